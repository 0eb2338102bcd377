"""The normalised job that every dialect's status answer is turned into."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.domain.failures import FailureReason
from bot.domain.operations import Operation
from bot.domain.status import JobStatus

__all__ = ["Job", "JobStatus", "Operation"]


class Job(BaseModel):
    """A provider job as the bot understands it, whatever dialect reported it."""

    model_config = ConfigDict(frozen=True)

    provider_job_id: str
    status: JobStatus
    progress: int | None = None
    """0..100, or None when the provider did not say."""
    detail: str | None = None
    """The provider's own status word (``delayed``, ``started``...), for wording progress."""
    result_url: str | None = None
    poster_url: str | None = None
    thumbnail_url: str | None = None
    duration: float | None = None
    seed: int | None = None
    error: str | None = None
    failure: FailureReason | None = None
    """Why it failed, when the provider said more than "failed" (else ``PIKA_FAILED``)."""
