"""A new job and a job's status change in one statement each, where the server can run them.

On PostgreSQL (``Database.functions``) ``JobStore.create_job`` and ``update_status`` call the
PL/pgSQL functions of ``migrations/postgres/0005_one_statement_jobs.sql``: one round trip
each, and the guild's lock is held only while the server works. They follow the rules that
SQLite runs in Python (``quota.py`` plan_hold, ``jobs.py``), and the store's tests hold both
to them. What stays here: the bot's defaults and the period window go in as arguments, and
the functions' refusals come back as the store's usual errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.errors import QuotaExceeded, QuotaReason
from bot.domain.jobs import NewJob
from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.store.clock import encode_time
from bot.store.database import Database
from bot.store.errors import JobNotFoundError, StoreError, StoreFunctionRefused
from bot.store.models import JobRecord, job_from_row, new_job_values
from bot.store.periods import PeriodWindow, bucket_of, current_period
from bot.store.policies import QuotaDefaults
from bot.store.sql import Row

_CREATE = f"SELECT * FROM pika_create_job({', '.join('?' * 31)})"
_UPDATE = f"SELECT * FROM pika_update_job({', '.join('?' * 12)})"
_STALE_PERIOD = "PKS01"
_MAX_REMEMBERED = 10_000


class PeriodGuesses:
    """The period and time zone each guild had when last seen, to compute its window with.

    Only a guess: the function checks it against the guild's settings under the guild's lock
    and says when it was wrong (then the window is computed again, and the call repeated).
    """

    def __init__(self, defaults: QuotaDefaults) -> None:
        self._defaults = defaults
        self._seen: dict[int, tuple[QuotaPeriod, str | None]] = {}

    def of(self, guild_id: int) -> tuple[QuotaPeriod, str | None]:
        return self._seen.get(guild_id, (self._defaults.period, None))

    def correct(self, guild_id: int, period: QuotaPeriod, timezone: str | None) -> None:
        if len(self._seen) >= _MAX_REMEMBERED:
            self._seen.clear()
        self._seen[guild_id] = (period, timezone)


async def create_job(
    db: Database,
    defaults: QuotaDefaults,
    guesses: PeriodGuesses,
    new: NewJob,
    request_text: str,
    roles: Sequence[int],
    exempt: bool,
) -> JobRecord:
    """Check the quota, store the job and its hold, and give it a slot if one is free."""
    operation = Operation(new.operation)
    now = db.clock.now()
    stamp = encode_time(now)
    role_ids = sorted(set(roles))
    for _ in range(3):  # a guild's period changes seldom; twice in a row, hardly ever
        period, timezone = guesses.of(new.guild_id)
        window = current_period(now, period, timezone)
        buckets = (
            (bucket_of(window.start), bucket_of(window.end))
            if window.bucket_aligned
            else (None, None)
        )
        try:
            row = await db.write_one(
                _CREATE,
                *new_job_values(new, request_text),
                stamp,
                exempt,
                role_ids,
                float(new.cost_multiplier),
                defaults.costs[operation],
                defaults.allowance,
                defaults.period.value,
                defaults.max_in_flight_user,
                defaults.max_in_flight_guild,
                defaults.max_queued_user,
                period.value,
                timezone,
                encode_time(window.start),
                encode_time(window.end),
                *buckets,
            )
        except StoreFunctionRefused as refusal:
            if refusal.code == _STALE_PERIOD:
                found = refusal.detail
                guesses.correct(new.guild_id, QuotaPeriod(found["period"]), found["timezone"])
                continue
            raise _translated(refusal, window) from None
        assert row is not None  # the function returns the stored job
        return job_from_row(row)
    raise StoreError(f"guild {new.guild_id}: its quota period kept changing; try again")


async def update_job(
    db: Database, job_id: int, status: str, now: datetime, changes: dict[str, Any]
) -> Row:
    """Store a status and the fields in ``changes``; settle the hold if the job finished.

    Returns the job's ``owner_id``, ``guild_id`` and ``hold_state`` (None when the job had
    already finished and nothing changed).
    """
    try:
        row = await db.write_one(
            _UPDATE,
            job_id,
            status,
            encode_time(now),
            changes.get("progress"),
            changes.get("status_detail"),
            changes.get("result_url"),
            changes.get("poster_url"),
            changes.get("thumbnail_url"),
            changes.get("duration"),
            changes.get("seed"),
            changes.get("error"),
            changes.get("error_code"),
        )
    except StoreFunctionRefused as refusal:
        raise _translated(refusal, None) from None
    assert row is not None  # one row, or a refusal
    return row


def _translated(refusal: StoreFunctionRefused, window: PeriodWindow | None) -> Exception:
    found = refusal.detail
    match refusal.code:
        case "PKQ01":
            return QuotaExceeded(
                QuotaReason(found["reason"]),
                int(found["needed"]),
                int(found["available"]),
                window.end if window is not None and found.get("window") else None,
                running=int(found.get("running", 0)),
                waiting=int(found.get("waiting", 0)),
            )
        case "PKJ01":
            return JobNotFoundError(int(found["job_id"]))
        case "PKH01":
            return StoreError(f"job {found['job_id']} has no credit hold to settle")
    return refusal
