"""The normalised job that every dialect's status answer is turned into."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Operation(StrEnum):
    """Every Pika operation the bot offers, one slash command each."""

    GENERATE = "generate"
    PIKAFFECT = "pikaffect"
    INGREDIENTS = "ingredients"
    ADDITIONS = "additions"
    SWAP = "swap"
    REPROMPT = "reprompt"
    EDIT = "edit"
    INPAINT = "inpaint"
    OUTPAINT = "outpaint"
    EXTEND = "extend"
    UPSCALE = "upscale"
    LIPSYNC = "lipsync"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


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
