"""What every Pika dialect offers the rest of the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bot.pika.job import Job, Operation

if TYPE_CHECKING:
    from bot.pika.requests import PikaRequest


@dataclass(frozen=True)
class Capabilities:
    """Which operations, and which models for them, a dialect can serve."""

    operations: frozenset[Operation]
    models: dict[Operation, tuple[str, ...]] = field(default_factory=dict)
    """Models accepted per operation; an operation missing here takes no model choice."""

    def supports(self, operation: Operation) -> bool:
        return operation in self.operations


class PikaProvider(Protocol):
    """One Pika dialect: it submits requests and reports jobs, and knows nothing of Discord."""

    name: str
    capabilities: Capabilities

    async def submit(
        self, request: PikaRequest, *, ref: str | None = None, webhook_url: str | None = None
    ) -> str:
        """Send the request once and return the provider's job id."""
        ...

    async def fetch(self, provider_job_id: str) -> Job:
        """Return the job's current state."""
        ...
