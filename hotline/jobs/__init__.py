"""Background jobs: the periodic work (Twilio deletions, SMS purge, escalations, digests,
retention with the orphan sweep) as RQ jobs on Redis, fired by one scheduler.

Without Redis the same work runs from cron (`flask jobs run NAME`, or the older commands).
"""
