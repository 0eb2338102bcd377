"""Job leases and delivery claims, for several bot processes sharing one store.

A process works on a job only while it holds the job's lease: ``claim_due`` takes up to
``limit`` unfinished jobs whose lease is free or expired, ``renew`` extends a lease its owner
still holds, ``release`` gives it back. On PostgreSQL two processes claiming at once skip each
other's rows (``FOR UPDATE SKIP LOCKED``); on SQLite writers take turns. ``claim_delivery`` is
set once and never cleared, so only one process ever posts a job's result.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store.clock import encode_time
from bot.store.database import Database
from bot.store.sql import Tx

# Same expression as the partial index jobs_unfinished.
_UNFINISHED = (
    "(status IN ('waiting', 'pending', 'submitting', 'submitted', 'queued', 'running') "
    "OR delivered_at IS NULL)"
)


class JobLeases:
    """Who works on which job, and who posts which result."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim_due(
        self, owner: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[int]:
        """Lease up to ``limit`` unfinished jobs (oldest first) whose lease is free or expired."""
        stamp = encode_time(now)
        until = encode_time(now + timedelta(seconds=lease_seconds))

        async def work(tx: Tx) -> list[int]:
            rows = await tx.fetchall(
                "UPDATE jobs SET lease_owner = ?1, lease_expires_at = ?2 WHERE id IN ("
                f"  SELECT id FROM jobs WHERE {_UNFINISHED} "
                "  AND (lease_expires_at IS NULL OR lease_expires_at <= ?3) "
                f"  ORDER BY id LIMIT ?4{tx.dialect.skip_locked}"
                ") RETURNING id",
                owner,
                until,
                stamp,
                limit,
            )
            return sorted(row[0] for row in rows)

        return await self._db.write(work)

    async def renew(self, job_id: int, owner: str, now: datetime, lease_seconds: float) -> bool:
        """Extend the lease if ``owner`` still holds it (False: it expired or was taken)."""
        until = encode_time(now + timedelta(seconds=lease_seconds))

        async def work(tx: Tx) -> bool:
            changed = await tx.execute(
                "UPDATE jobs SET lease_expires_at = ? "
                "WHERE id = ? AND lease_owner = ? AND lease_expires_at > ?",
                until,
                job_id,
                owner,
                encode_time(now),
            )
            return changed == 1

        return await self._db.write(work)

    async def release(self, job_id: int, owner: str) -> bool:
        """Give the lease back (False when ``owner`` did not hold it)."""

        async def work(tx: Tx) -> bool:
            changed = await tx.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL "
                "WHERE id = ? AND lease_owner = ?",
                job_id,
                owner,
            )
            return changed == 1

        return await self._db.write(work)

    async def lease_of(self, job_id: int) -> tuple[str | None, datetime | None]:
        """Who holds the job's lease and until when (None, None when free)."""

        async def work(tx: Tx) -> tuple[str | None, datetime | None]:
            row = await tx.fetchone(
                "SELECT lease_owner, lease_expires_at FROM jobs WHERE id = ?", job_id
            )
            if row is None or row[0] is None:
                return None, None
            return row[0], datetime.fromisoformat(row[1])

        return await self._db.read(work)

    async def claim_delivery(self, job_id: int, owner: str) -> bool:
        """Claim the right to post the job's result: True for exactly one caller, ever."""

        async def work(tx: Tx) -> bool:
            changed = await tx.execute(
                "UPDATE jobs SET delivery_claimed_by = ?, delivery_claimed_at = ? "
                "WHERE id = ? AND delivery_claimed_by IS NULL",
                owner,
                encode_time(self._db.clock.now()),
                job_id,
            )
            return changed == 1

        return await self._db.write(work)
