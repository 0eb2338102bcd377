"""The append-only credit ledger: holds, charges, releases, grants, and the sums over them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.store.clock import decode_time, encode_time
from bot.store.errors import StoreError
from bot.store.periods import PeriodWindow, bucket_of
from bot.store.sql import Tx


class EntryKind(StrEnum):
    HOLD = "hold"
    CHARGE = "charge"
    RELEASE = "release"
    GRANT = "grant"
    ADJUST = "adjust"


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row."""

    id: int
    kind: EntryKind
    guild_id: int
    user_id: int
    amount: int
    grant_amount: int
    """For hold/charge/release: how many of ``amount`` were paid from the user's grants."""
    job_id: int | None
    created_at: datetime
    actor_id: int | None
    reason: str | None


@dataclass(frozen=True)
class UsageRow:
    """One member's use of the guild's credits in the current period (by when jobs were made)."""

    user_id: int
    jobs: int
    charged: int
    """Credits spent on jobs that succeeded."""
    held: int
    """Credits set aside for jobs still in the making."""
    succeeded: int
    failed: int
    from_grants: int
    """Of ``charged + held``, how many came from one-off grants."""


async def record_hold(
    tx: Tx,
    job_id: int,
    guild_id: int,
    user_id: int,
    amount: int,
    grant_amount: int,
    now: datetime,
) -> None:
    """Write a job's hold (one per job: a second raises IntegrityError)."""
    await tx.execute(
        "INSERT INTO ledger (kind, guild_id, user_id, amount, grant_amount, job_id, created_at) "
        "VALUES ('hold', ?, ?, ?, ?, ?, ?)",
        guild_id,
        user_id,
        amount,
        grant_amount,
        job_id,
        encode_time(now),
    )


async def record_settlement(tx: Tx, job_id: int, kind: EntryKind, now: datetime) -> bool:
    """Charge or release a job's hold; return False if the job was already settled."""
    if kind not in (EntryKind.CHARGE, EntryKind.RELEASE):
        raise ValueError(f"a settlement is a charge or a release, not {kind}")
    # The unique index on settlements makes a second settlement of either kind a no-op.
    inserted = await tx.execute(
        "INSERT INTO ledger (kind, guild_id, user_id, amount, grant_amount, job_id, created_at) "
        "SELECT CAST(? AS TEXT), guild_id, user_id, amount, grant_amount, job_id, CAST(? AS TEXT) "
        "FROM ledger WHERE job_id = ? AND kind = 'hold' "
        "ON CONFLICT DO NOTHING",
        kind.value,
        encode_time(now),
        job_id,
    )
    if inserted == 1:
        return True
    held = await tx.fetchone("SELECT 1 FROM ledger WHERE job_id = ? AND kind = 'hold'", job_id)
    if held is None:
        raise StoreError(f"job {job_id} has no credit hold to settle")
    return False


async def record_grant(
    tx: Tx,
    guild_id: int,
    user_id: int,
    credits: int,
    actor_id: int | None,
    reason: str | None,
    now: datetime,
) -> int:
    """Add (or, negative, take back) one-off credits; return the new grant balance.

    Taking back never leaves the balance below zero; the row records what was really taken.
    """
    if credits == 0:
        raise ValueError("a grant of 0 credits changes nothing")
    kind = EntryKind.GRANT
    if credits < 0:
        kind = EntryKind.ADJUST
        credits = -min(-credits, await grant_balance(tx, guild_id, user_id))
        if credits == 0:
            return 0
    await tx.execute(
        "INSERT INTO ledger (kind, guild_id, user_id, amount, created_at, actor_id, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        kind.value,
        guild_id,
        user_id,
        credits,
        encode_time(now),
        actor_id,
        reason,
    )
    return await grant_balance(tx, guild_id, user_id)


# The repeated "kind IN ('charge', 'release')" lets SQLite use the partial unique index on
# settlements for these lookups (it only uses a partial index whose condition it can see).
_NOT_RELEASED = {
    "sqlite": "NOT EXISTS (SELECT 1 FROM ledger AS r WHERE r.job_id = h.job_id "
    "AND r.kind IN ('charge', 'release') AND r.kind = 'release')",
    # A scalar subquery: PostgreSQL may plan the anti join above as a read of every
    # settlement per hold, and a prepared statement planned while the ledger was small
    # keeps that plan. (On SQLite the NOT EXISTS is the faster.)
    "postgres": "(SELECT r.kind FROM ledger AS r WHERE r.job_id = h.job_id "
    "AND r.kind IN ('charge', 'release')) IS DISTINCT FROM 'release'",
}


def _not_released(tx: Tx) -> str:
    """SQL that is true when the hold ``h`` was not released."""
    return _NOT_RELEASED[tx.dialect.name]


async def allowance_used(tx: Tx, guild_id: int, user_id: int, window: PeriodWindow) -> int:
    """Credits of the period allowance held or charged by jobs made in ``window``."""
    return _number(
        await tx.fetchval(
            "SELECT COALESCE(SUM(h.amount - h.grant_amount), 0) FROM ledger AS h "
            "WHERE h.kind = 'hold' AND h.guild_id = ? AND h.user_id = ? "
            f"AND h.created_at >= ? AND h.created_at < ? AND {_not_released(tx)}",
            guild_id,
            user_id,
            encode_time(window.start),
            encode_time(window.end),
        )
    )


async def grant_balance(tx: Tx, guild_id: int, user_id: int) -> int:
    """One-off credits the user has left: grants and adjustments minus what holds took."""
    return _number(
        await tx.fetchval(
            "SELECT (SELECT COALESCE(SUM(amount), 0) FROM ledger "
            "        WHERE guild_id = ?1 AND user_id = ?2 AND kind IN ('grant', 'adjust'))"
            " - (SELECT COALESCE(SUM(h.grant_amount), 0) FROM ledger AS h "
            "    WHERE h.guild_id = ?1 AND h.user_id = ?2 AND h.kind = 'hold'"
            "    AND h.grant_amount > 0"
            f"   AND {_not_released(tx)})",
            guild_id,
            user_id,
        )
    )


async def guild_spend(tx: Tx, guild_id: int, window: PeriodWindow) -> int:
    """Credits held or charged by all of the guild's jobs made in ``window``."""
    if not window.bucket_aligned:
        # A historical or exotic offset; rare enough to pay for reading the ledger.
        return await guild_spend_from_ledger(tx, guild_id, window)
    return _number(
        await tx.fetchval(
            "SELECT COALESCE(SUM(credits), 0) FROM guild_spend "
            "WHERE guild_id = ? AND bucket >= ? AND bucket < ?",
            guild_id,
            bucket_of(window.start),
            bucket_of(window.end),
        )
    )


async def guild_spend_from_ledger(tx: Tx, guild_id: int, window: PeriodWindow) -> int:
    """Like ``guild_spend`` but summed from the ledger rows themselves."""
    return _number(
        await tx.fetchval(
            "SELECT COALESCE(SUM(h.amount), 0) FROM ledger AS h "
            "WHERE h.kind = 'hold' AND h.guild_id = ? AND h.created_at >= ? AND h.created_at < ? "
            f"AND {_not_released(tx)}",
            guild_id,
            encode_time(window.start),
            encode_time(window.end),
        )
    )


async def charged_in(tx: Tx, guild_id: int, window: PeriodWindow) -> int:
    """Credits charged (jobs succeeded) for the guild's jobs made in ``window``."""
    return _number(
        await tx.fetchval(
            "SELECT COALESCE(SUM(h.amount), 0) FROM ledger AS h "
            "WHERE h.kind = 'hold' AND h.guild_id = ? AND h.created_at >= ? AND h.created_at < ? "
            "AND EXISTS (SELECT 1 FROM ledger AS c WHERE c.job_id = h.job_id "
            "AND c.kind IN ('charge', 'release') AND c.kind = 'charge')",
            guild_id,
            encode_time(window.start),
            encode_time(window.end),
        )
    )


async def usage_by_user(tx: Tx, guild_id: int, window: PeriodWindow) -> list[UsageRow]:
    """Per member: jobs made in ``window`` and what they cost, biggest spenders first."""
    rows = await tx.fetchall(
        """
        SELECT h.user_id,
               COUNT(*),
               COALESCE(SUM(CASE s.kind WHEN 'charge' THEN h.amount ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN s.kind IS NULL THEN h.amount ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN s.kind = 'charge' THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN s.kind = 'release' THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN s.kind = 'release' THEN 0 ELSE h.grant_amount END), 0)
        FROM ledger AS h
        LEFT JOIN ledger AS s ON s.job_id = h.job_id AND s.kind IN ('charge', 'release')
        WHERE h.kind = 'hold' AND h.guild_id = ? AND h.created_at >= ? AND h.created_at < ?
        GROUP BY h.user_id
        ORDER BY 3 DESC, 4 DESC, h.user_id
        """,
        guild_id,
        encode_time(window.start),
        encode_time(window.end),
    )
    return [UsageRow(*(int(value) for value in row)) for row in rows]


async def entries(
    tx: Tx,
    guild_id: int,
    *,
    user_id: int | None = None,
    job_id: int | None = None,
    limit: int = 100,
) -> list[LedgerEntry]:
    """Return the newest ledger rows of a guild, optionally of one user or one job, oldest first."""
    rows = await tx.fetchall(
        "SELECT * FROM (SELECT id, kind, guild_id, user_id, amount, grant_amount, job_id, "
        "created_at, actor_id, reason FROM ledger WHERE guild_id = ?1 "
        "AND (user_id = ?2 OR ?2 IS NULL) AND (job_id = ?3 OR ?3 IS NULL) "
        "ORDER BY id DESC LIMIT ?4) AS newest ORDER BY id",
        guild_id,
        user_id,
        job_id,
        limit,
    )
    return [
        LedgerEntry(
            id=row[0],
            kind=EntryKind(row[1]),
            guild_id=row[2],
            user_id=row[3],
            amount=row[4],
            grant_amount=row[5],
            job_id=row[6],
            created_at=decode_time(row[7]),  # type: ignore[arg-type]
            actor_id=row[8],
            reason=row[9],
        )
        for row in rows
    ]


async def audit(tx: Tx) -> list[str]:
    """Return every inconsistency between jobs, ledger and spend totals (empty when sound)."""
    problems: list[str] = []
    for job_id, state, settled in await tx.fetchall(
        """
        SELECT j.id, j.hold_state, COALESCE(s.kind, 'none')
        FROM jobs AS j
        LEFT JOIN ledger AS s ON s.job_id = j.id AND s.kind IN ('charge', 'release')
        WHERE (j.hold_state = 'held' AND s.kind IS NOT NULL)
           OR (j.hold_state = 'charged' AND s.kind IS DISTINCT FROM 'charge')
           OR (j.hold_state = 'released' AND s.kind IS DISTINCT FROM 'release')
        """
    ):
        problems.append(f"job {job_id}: hold_state {state} but ledger settlement {settled}")
    for (job_id,) in await tx.fetchall(
        "SELECT j.id FROM jobs AS j WHERE NOT EXISTS "
        "(SELECT 1 FROM ledger WHERE job_id = j.id AND kind = 'hold')"
    ):
        problems.append(f"job {job_id}: no hold in the ledger")
    for job_id, cost, held in await tx.fetchall(
        "SELECT j.id, j.hold_cost, h.amount FROM jobs AS j JOIN ledger AS h "
        "ON h.job_id = j.id AND h.kind = 'hold' WHERE h.amount != j.hold_cost"
    ):
        problems.append(f"job {job_id}: hold_cost {cost} but the ledger holds {held}")
    bucket = f"{tx.dialect.epoch_seconds('h.created_at')} / 900 * 900"
    for guild_id, bucket_start, kept, actual in await tx.fetchall(
        f"""
        WITH actual AS (
            SELECT h.guild_id, {bucket} AS bucket, SUM(h.amount) AS credits
            FROM ledger AS h WHERE h.kind = 'hold' AND {_not_released(tx)}
            GROUP BY 1, 2
        )
        SELECT g.guild_id, g.bucket, g.credits, COALESCE(a.credits, 0)
        FROM guild_spend AS g LEFT JOIN actual AS a USING (guild_id, bucket)
        WHERE g.credits != COALESCE(a.credits, 0)
        UNION ALL
        SELECT a.guild_id, a.bucket, NULL, a.credits
        FROM actual AS a LEFT JOIN guild_spend AS g USING (guild_id, bucket)
        WHERE g.credits IS NULL AND a.credits != 0
        """
    ):
        problems.append(
            f"guild {guild_id} bucket {bucket_start}: spend total {kept} but the ledger says "
            f"{actual}"
        )
    return problems


def _number(value: object) -> int:
    """A SUM or COUNT, typed (PostgreSQL's SUM of bigint is numeric: whole all the same)."""
    assert isinstance(value, int | Decimal), value
    return int(value)
