"""The records the storage layer hands out: jobs as stored, and what a new job needs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.pika.job import JobStatus, Operation
from bot.store.clock import decode_time


class StoredStatus(StrEnum):
    """A job's life as the bot records it; the last four match ``bot.pika.job.JobStatus``."""

    PENDING = "pending"
    """Stored with its hold, not yet accepted by the provider."""
    SUBMITTED = "submitted"
    """The provider accepted it and gave its job id."""
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (StoredStatus.SUCCEEDED, StoredStatus.FAILED)

    @classmethod
    def of(cls, status: StoredStatus | JobStatus | str) -> StoredStatus:
        """Accept a stored status, a provider ``JobStatus`` or their string value."""
        return cls(str(status))


class HoldState(StrEnum):
    """What became of a job's credit hold."""

    HELD = "held"
    CHARGED = "charged"
    RELEASED = "released"


class ProgressKind(StrEnum):
    """Which message shows a job's progress."""

    INTERACTION = "interaction"
    """The interaction's original response, editable with its token for 15 minutes."""
    CHANNEL = "channel"
    """A message of the bot's own in the channel, editable for ever."""


@dataclass(frozen=True)
class NewJob:
    """What the bot knows about a request before it is stored."""

    owner_id: int
    guild_id: int
    channel_id: int
    operation: Operation
    request_json: str | Mapping[str, Any]
    """The validated request, as JSON text or a JSON-serialisable mapping."""
    provider: str
    interaction_app_id: int | None = None
    interaction_token: str | None = None
    token_expires_at: datetime | None = None
    parent_job_id: int | None = None
    """The job whose result this one extends, upscales or rerolls."""
    upload_limit: int | None = None
    """The largest attachment Discord accepts for the result, in bytes (None: the default)."""

    def request_text(self) -> str:
        if isinstance(self.request_json, str):
            json.loads(self.request_json)  # refuse text that is not JSON before storing it
            return self.request_json
        return json.dumps(self.request_json, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class JobRecord:
    """One stored job with every column; the caller parses ``request_json`` into its model."""

    id: int
    owner_id: int
    guild_id: int
    channel_id: int
    operation: Operation
    request_json: str
    parent_job_id: int | None
    provider: str
    provider_job_id: str | None
    status: StoredStatus
    progress: int | None
    status_detail: str | None
    result_url: str | None
    poster_url: str | None
    thumbnail_url: str | None
    duration: float | None
    seed: int | None
    error: str | None
    interaction_app_id: int | None
    interaction_token: str | None
    token_expires_at: datetime | None
    progress_message_id: int | None
    progress_message_kind: ProgressKind | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    finished_at: datetime | None
    next_poll_at: datetime | None
    delivered_message_id: int | None
    delivered_at: datetime | None
    delivery_attempts: int
    hold_cost: int
    hold_state: HoldState
    upload_limit: int | None = None

    @property
    def request(self) -> dict[str, Any]:
        """The stored request, parsed from JSON."""
        return json.loads(self.request_json)

    @property
    def finished(self) -> bool:
        return self.status.finished

    @property
    def delivered(self) -> bool:
        """Whether the result (or the failure notice) has been posted, or delivery given up."""
        return self.delivered_at is not None

    @property
    def in_flight(self) -> bool:
        """Whether its credits are still held (counted against concurrency limits)."""
        return self.hold_state is HoldState.HELD

    def token_alive(self, now: datetime) -> bool:
        """Whether the interaction token may still be used at ``now``."""
        return (
            self.interaction_token is not None
            and self.token_expires_at is not None
            and now < self.token_expires_at
        )

    def __repr__(self) -> str:
        # The interaction token is a credential for 15 minutes: keep it out of logs.
        return (
            f"JobRecord(id={self.id}, operation={self.operation.value}, owner_id={self.owner_id}, "
            f"guild_id={self.guild_id}, status={self.status.value}, "
            f"hold={self.hold_cost} {self.hold_state.value})"
        )


def job_from_row(row: sqlite3.Row) -> JobRecord:
    """Build a record from a ``SELECT * FROM jobs`` row."""
    kind = row["progress_message_kind"]
    return JobRecord(
        id=row["id"],
        owner_id=row["owner_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        operation=Operation(row["operation"]),
        request_json=row["request_json"],
        parent_job_id=row["parent_job_id"],
        provider=row["provider"],
        provider_job_id=row["provider_job_id"],
        status=StoredStatus(row["status"]),
        progress=row["progress"],
        status_detail=row["status_detail"],
        result_url=row["result_url"],
        poster_url=row["poster_url"],
        thumbnail_url=row["thumbnail_url"],
        duration=row["duration"],
        seed=row["seed"],
        error=row["error"],
        interaction_app_id=row["interaction_app_id"],
        interaction_token=row["interaction_token"],
        token_expires_at=decode_time(row["token_expires_at"]),
        progress_message_id=row["progress_message_id"],
        progress_message_kind=None if kind is None else ProgressKind(kind),
        created_at=decode_time(row["created_at"]),  # type: ignore[arg-type]
        submitted_at=decode_time(row["submitted_at"]),
        updated_at=decode_time(row["updated_at"]),  # type: ignore[arg-type]
        finished_at=decode_time(row["finished_at"]),
        next_poll_at=decode_time(row["next_poll_at"]),
        delivered_message_id=row["delivered_message_id"],
        delivered_at=decode_time(row["delivered_at"]),
        delivery_attempts=row["delivery_attempts"],
        hold_cost=row["hold_cost"],
        hold_state=HoldState(row["hold_state"]),
        upload_limit=row["upload_limit"],
    )
