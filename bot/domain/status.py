"""A job's life: as a provider reports it, and as the bot records it."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    """What a provider says of a job, normalised across dialects."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Stopped by its owner or staff; never posted (charged only if the provider kept it)."""

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class StoredStatus(StrEnum):
    """A job's life as the bot records it."""

    WAITING = "waiting"
    """Stored with its hold, waiting in the server's queue for a free slot."""
    PENDING = "pending"
    """Stored with its hold and a slot; nothing has been sent to the provider yet."""
    SUBMITTING = "submitting"
    """The submission is being sent (or was, before a crash): it may have reached the provider,
    so it is never sent again."""
    SUBMITTED = "submitted"
    """The provider accepted it and gave its job id."""
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    """Stopped by its owner or staff; never posted (charged only if the provider kept it)."""

    @property
    def finished(self) -> bool:
        return self in TERMINAL

    @property
    def active(self) -> bool:
        return self in ACTIVE

    @classmethod
    def of(cls, status: StoredStatus | JobStatus | str) -> StoredStatus:
        """Accept a stored status, a provider ``JobStatus`` or their string value."""
        return cls(str(status))


ACTIVE = frozenset(
    {
        StoredStatus.WAITING,
        StoredStatus.PENDING,
        StoredStatus.SUBMITTING,
        StoredStatus.SUBMITTED,
        StoredStatus.QUEUED,
        StoredStatus.RUNNING,
    }
)
"""Statuses of a job still being made (its outcome is not known yet)."""
TERMINAL = frozenset({StoredStatus.SUCCEEDED, StoredStatus.FAILED, StoredStatus.CANCELLED})
SUBMITTED = frozenset({StoredStatus.SUBMITTED, StoredStatus.QUEUED, StoredStatus.RUNNING})
"""Statuses of a job the provider has (it may be making it now)."""
"""Statuses a job never leaves."""
