"""Custom actions of the hotline bot. They talk to the Flask channel API over loopback and
never log a slot value: every failure is logged by exception type only."""
