"""Twilio: signature checks, TwiML replies, SMS splitting and message-body deletion."""
