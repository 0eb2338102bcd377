"""A new job and a job's status change run by the server, many in one statement under load.

On PostgreSQL (``Database.functions``) ``JobStore.create_job`` and ``update_status`` go through
``ServerFunctions``: the PL/pgSQL functions of ``migrations/postgres/0005_one_statement_jobs.sql``
apply the rules that SQLite runs in Python (``quota.py`` plan_hold, ``jobs.py``), and the
store's tests hold both to them; ``0006_batched_jobs.sql`` runs a batch of them in one
statement, which ``batches.Coalescer`` fills with the calls made at the same time. What stays
here: the bot's defaults and the period window go in with each item, and the functions'
refusals come back as the store's usual errors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.errors import QuotaExceeded, QuotaReason
from bot.domain.jobs import NewJob
from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.store.batches import Coalescer
from bot.store.clock import encode_time
from bot.store.database import Database
from bot.store.errors import JobNotFoundError, StoreError
from bot.store.models import JobRecord, job_from_row, new_job_values
from bot.store.periods import PeriodWindow, bucket_of, current_period
from bot.store.policies import QuotaDefaults
from bot.store.sql import Row

_CREATE = "SELECT b.item, b.refusal, b.detail, (b.job).* FROM pika_create_jobs(?) AS b"
_UPDATE = "SELECT * FROM pika_update_jobs(?)"
_STALE_PERIOD = "PKS01"
_MAX_REMEMBERED = 10_000
BATCH_SIZE = 32
"""Items per statement: each is a subtransaction, and the server caches 64 per transaction."""
LANES = 1
"""Batches of one kind on their way at once. One: a second batch of the same guilds only waits
for the first's locks (bench_quota.py, 3 processes on one guild: about 2,900 pairs/s with one
lane, about 1,000 with two), and a single lane makes the batches larger."""


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


class Refused(Exception):
    """One item's refusal by the server's functions: a ``PK...`` code and its figures."""

    def __init__(self, code: str, detail: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class ServerFunctions:
    """The store's hot writes as calls of its functions on the server, batched under load."""

    def __init__(self, db: Database, defaults: QuotaDefaults) -> None:
        self._db = db
        self._defaults = defaults
        self._guesses = PeriodGuesses(defaults)
        self._creates = self._batches_of(_CREATE)
        self._updates = self._batches_of(_UPDATE)

    async def create_job(
        self, new: NewJob, request_text: str, roles: Sequence[int], exempt: bool
    ) -> JobRecord:
        """Check the quota, store the job and its hold, and give it a slot if one is free."""
        operation = Operation(new.operation)
        defaults = self._defaults
        now = self._db.clock.now()
        role_ids = sorted(set(roles))
        for _ in range(3):  # a guild's period changes seldom; twice in a row, hardly ever
            period, timezone = self._guesses.of(new.guild_id)
            window = current_period(now, period, timezone)
            buckets = (
                (bucket_of(window.start), bucket_of(window.end))
                if window.bucket_aligned
                else (None, None)
            )
            item = (
                *new_job_values(new, request_text),
                encode_time(now),
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
            try:
                return job_from_row(await self._creates.call(item))
            except Refused as refusal:
                if refusal.code == _STALE_PERIOD:
                    found = refusal.detail
                    self._guesses.correct(
                        new.guild_id, QuotaPeriod(found["period"]), found["timezone"]
                    )
                    continue
                raise _translated(refusal, window) from None
        raise StoreError(f"guild {new.guild_id}: its quota period kept changing; try again")

    async def update_job(
        self, job_id: int, status: str, now: datetime, changes: dict[str, Any]
    ) -> Row:
        """Store a status and the fields in ``changes``; settle the hold if the job finished.

        Returns the job's ``owner_id``, ``guild_id`` and ``hold_state`` (None when the job had
        already finished and nothing changed).
        """
        item = (
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
        try:
            return await self._updates.call(item)
        except Refused as refusal:
            raise _translated(refusal, None) from None

    def _batches_of(self, sql: str) -> Coalescer[tuple[Any, ...], Row]:
        """Calls of the batch function ``sql`` takes its items to (one array parameter)."""

        async def send(items: Sequence[tuple[Any, ...]]) -> list[Row | Exception]:
            return _by_item(await self._db.write_rows(sql, list(items)), len(items))

        return Coalescer(send, size=BATCH_SIZE, lanes=LANES)


def _by_item(rows: list[Row], count: int) -> list[Row | Exception]:
    """Put the rows back in their items' order (the server runs them in guild order)."""
    results: list[Row | Exception | None] = [None] * count
    for row in rows:
        refusal = row["refusal"]
        results[row["item"] - 1] = (
            row if refusal is None else Refused(refusal, json.loads(row["detail"] or "{}"))
        )
    if any(result is None for result in results):
        raise StoreError(f"the server answered {len(rows)} of {count} items")
    return [result for result in results if result is not None]


def _translated(refusal: Refused, window: PeriodWindow | None) -> Exception:
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
    return StoreError(f"the store's function refused: {refusal.code} {found}")
