"""Only genuine Twilio requests: X-Twilio-Signature over the public URL and the form."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator


class SignatureChecker:
    def __init__(self, auth_token: str, public_base_url: str) -> None:
        self._validator = RequestValidator(auth_token)
        # Behind a proxy the signature covers the URL Twilio called, not request.url.
        self.public_base_url = public_base_url.rstrip("/")

    def valid(self, path: str, form: Mapping[str, str], signature: str | None) -> bool:
        if not signature:
            return False
        return bool(self._validator.validate(self.public_base_url + path, dict(form), signature))

    def sign(self, path: str, form: Mapping[str, str]) -> str:
        """What Twilio would send (the local simulator and tests use this)."""
        return str(self._validator.compute_signature(self.public_base_url + path, dict(form)))
