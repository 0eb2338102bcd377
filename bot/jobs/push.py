"""The webhook URL each submission carries, and the check of the token in it.

The token is an HMAC-SHA256 of the job id under a secret (``PIKA_WEBHOOK_SECRET``, or one the
bot made once and keeps in its database), so only whoever we gave the URL to can name the job;
it is compared in constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac


class WebhookSigner:
    """Makes and checks the per-job webhook URLs under one base URL."""

    def __init__(self, base_url: str, secret: str) -> None:
        self._base = base_url.rstrip("/")
        self._key = secret.encode()

    def __repr__(self) -> str:
        return f"WebhookSigner({self._base!r})"  # never the secret

    def token(self, job_id: int) -> str:
        return hmac.new(self._key, str(job_id).encode(), hashlib.sha256).hexdigest()

    def url_for(self, job_id: int) -> str:
        return f"{self._base}/pika/webhook/{job_id}/{self.token(job_id)}"

    def valid(self, job_id: int, token: str) -> bool:
        return hmac.compare_digest(self.token(job_id), token)
