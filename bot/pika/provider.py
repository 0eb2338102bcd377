"""What every Pika dialect offers the rest of the bot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from bot.pika.capabilities import Capabilities
from bot.pika.job import Job

if TYPE_CHECKING:
    from bot.pika.requests import PikaRequest

__all__ = ["Capabilities", "PikaProvider"]


class PikaProvider(Protocol):
    """One Pika dialect: it submits requests and reports jobs, and knows nothing of Discord."""

    @property
    def name(self) -> str:
        """The dialect's name, stored with each job."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What this service can make; commands it cannot serve are not offered."""
        ...

    async def submit(
        self, request: PikaRequest, *, ref: str | None = None, webhook_url: str | None = None
    ) -> str:
        """Send the request once and return the provider's job id."""
        ...

    async def fetch(self, provider_job_id: str) -> Job:
        """Return the job's current state."""
        ...

    async def recover(self, ref: str, request: PikaRequest) -> str | None:
        """Find the job a submission with ``ref`` made, when the answer to it was lost.

        None when the provider cannot tell (neither reseller dialect documents a lookup).
        """
        ...

    def pushed_job_id(self, payload: object) -> str | None:
        """The provider's job id a webhook push names (the push is never trusted beyond it)."""
        ...

    async def verify_push(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether a push's own signature holds (after the bot's per-job token was checked).

        True for a service that signs no pushes; a signing service (fal) checks its signature
        over the raw body, so a push whose URL leaked still cannot be forged.
        """
        ...

    async def claim(self, provider_job_id: str, request: PikaRequest) -> Job | None:
        """Fetch the job a push named; return it only if it is the job ``request`` asked for.

        For a submission whose answer was lost: the job's prompt and options must match what
        was sent, so a push can recover the job but never attach a stranger's video to it.
        """
        ...

    async def cancel(self, provider_job_id: str) -> bool:
        """Ask the provider to stop the job; True only when it confirms it will not be made
        (and so not billed). False when the provider offers no cancel."""
        ...
