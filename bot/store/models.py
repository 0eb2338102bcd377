"""How a stored row becomes the domain's job record (the records themselves are in bot.domain)."""

from __future__ import annotations

from typing import Any

from bot.domain.failures import FailureReason
from bot.domain.jobs import HoldState, JobRecord, NewJob, ProgressKind
from bot.domain.operations import Operation
from bot.domain.status import StoredStatus
from bot.store.clock import decode_time, encode_optional_time
from bot.store.sql import Row

__all__ = [
    "NEW_JOB_COLUMNS",
    "HoldState",
    "JobRecord",
    "NewJob",
    "ProgressKind",
    "StoredStatus",
    "job_from_row",
    "new_job_values",
]

NEW_JOB_COLUMNS = (
    "owner_id, guild_id, channel_id, operation, request_json, parent_job_id, provider, "
    "interaction_app_id, interaction_token, token_expires_at, upload_limit, private, locale, "
    "lease_owner, lease_expires_at"
)
"""The columns a new job's row takes from its ``NewJob``, in ``new_job_values`` order (the
PostgreSQL function ``pika_create_job`` and its batch item ``pika_new_job`` take them first, in
the same order; tests/store/test_store_batches.py holds them to it)."""


def new_job_values(new: NewJob, request_text: str) -> tuple[Any, ...]:
    return (
        new.owner_id,
        new.guild_id,
        new.channel_id,
        Operation(new.operation).value,
        request_text,
        new.parent_job_id,
        new.provider,
        new.interaction_app_id,
        new.interaction_token,
        encode_optional_time(new.token_expires_at),
        new.upload_limit,
        int(new.private),
        new.locale,
        new.lease_owner,
        encode_optional_time(new.lease_expires_at),
    )


def job_from_row(row: Row) -> JobRecord:
    """Build a record from a ``SELECT * FROM jobs`` row."""
    kind = row["progress_message_kind"]
    created_at = decode_time(row["created_at"])
    updated_at = decode_time(row["updated_at"])
    assert created_at is not None and updated_at is not None  # NOT NULL columns
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
        created_at=created_at,
        submitted_at=decode_time(row["submitted_at"]),
        updated_at=updated_at,
        finished_at=decode_time(row["finished_at"]),
        delivered_message_id=row["delivered_message_id"],
        delivered_at=decode_time(row["delivered_at"]),
        delivery_attempts=row["delivery_attempts"],
        hold_cost=row["hold_cost"],
        hold_state=HoldState(row["hold_state"]),
        upload_limit=row["upload_limit"],
        submit_started_at=decode_time(row["submit_started_at"]),
        error_code=_failure(row["error_code"]),
        queue_seq=row["queue_seq"],
        started_at=decode_time(row["started_at"]),
        cancel_requested_at=decode_time(row["cancel_requested_at"]),
        cancelled_by=row["cancelled_by"],
        private=bool(row["private"]),
        locale=row["locale"],
    )


def _failure(code: str | None) -> FailureReason | None:
    # A code written by a newer bot reads as "no code": the words in ``error`` still show.
    if code is None or code not in FailureReason._value2member_map_:
        return None
    return FailureReason(code)
