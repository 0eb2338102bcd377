"""What every Pika dialect offers the rest of the bot."""

from __future__ import annotations

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
