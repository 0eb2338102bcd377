"""Job leases and delivery claims (``JobStore``): several processes sharing one store never
work one job at once, and never post one result twice."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

from bot.store import Database, FakeClock, JobStore, QuotaEngine, open_database

from .conftest import GUILD, MakeJob

USER = 51
LEASE = timedelta(seconds=30)


async def _jobs(quota: QuotaEngine, make_job: MakeJob, count: int) -> list[int]:
    """``count`` jobs stored without a lease (as before leases): anyone may take them."""
    await quota.set_concurrency(GUILD, per_user=100, per_guild=100)
    await quota.set_guild_allowance(GUILD, 100)
    return [(await make_job(USER)).id for _ in range(count)]


async def _lease_of(db: Database, job_id: int) -> tuple[str | None, datetime | None]:
    sql = "SELECT lease_owner, lease_expires_at FROM jobs WHERE id = ?"
    row = await db.read(lambda tx: tx.fetchone(sql, job_id))
    assert row is not None
    return row[0], None if row[1] is None else datetime.fromisoformat(row[1])


async def test_a_lease_is_claimed_renewed_and_taken_over_only_when_expired(
    db: Database, clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    first, second, third = await _jobs(quota, make_job, 3)
    await store.finish_succeeded(third)
    assert await store.mark_delivered(third, 1)  # done and posted: never leased again

    assert await store.claim_jobs("a", clock.now() + LEASE, limit=1) == [first]
    assert await store.claim_jobs("b", clock.now() + LEASE, limit=10) == [second]
    assert await store.claim_jobs("c", clock.now() + LEASE, limit=10) == []
    assert await _lease_of(db, first) == ("a", clock.now() + LEASE)
    assert not await store.take_lease(first, "c", clock.now() + LEASE)  # a's, and alive

    clock.advance(seconds=20)
    assert await store.renew_leases("a", clock.now() + LEASE) == [first]
    clock.advance(seconds=20)  # b's lease on the second job ran out; a's was renewed
    assert await store.claim_jobs("c", clock.now() + LEASE, limit=10) == [second]
    assert await store.renew_leases("b", clock.now() + LEASE) == []  # too late: c has it
    assert await _lease_of(db, second) == ("c", clock.now() + LEASE)

    assert await store.take_lease(first, "a", clock.now() + LEASE)  # its own: extended
    clock.advance(seconds=31)
    assert await store.take_lease(first, "c", clock.now() + LEASE)  # a's expired
    assert await store.renew_leases("a", clock.now() + LEASE) == []
    assert await store.renew_leases("c", clock.now() + LEASE) == [first, second]


async def test_concurrent_claims_from_two_databases_never_share_a_job(
    db_target: Path | str, db: Database, clock: FakeClock, quota: QuotaEngine, make_job: MakeJob
) -> None:
    jobs = await _jobs(quota, make_job, 40)
    other = await open_database(db_target, clock=clock)
    try:
        mine, theirs = JobStore(db, quota), JobStore(other, QuotaEngine(other))
        claims = await asyncio.gather(
            *(
                (mine if n % 2 else theirs).claim_jobs(f"worker-{n}", clock.now() + LEASE, limit=3)
                for n in range(20)
            )
        )
    finally:
        await other.close()
    claimed = [job_id for batch in claims for job_id in batch]
    assert sorted(claimed) == jobs  # each job once: 20 claims of up to 3 cover all 40
    assert all(len(batch) <= 3 for batch in claims)


async def test_a_result_is_claimed_for_delivery_once_until_the_claim_goes_stale(
    db_target: Path | str,
    db: Database,
    clock: FakeClock,
    quota: QuotaEngine,
    store: JobStore,
    make_job: MakeJob,
) -> None:
    [job_id] = await _jobs(quota, make_job, 1)
    await store.finish_succeeded(job_id)
    stale = timedelta(minutes=5)
    other = await open_database(db_target, clock=clock)
    try:
        theirs = JobStore(other, QuotaEngine(other))
        stores = [store, theirs]
        results = await asyncio.gather(
            *(stores[n % 2].claim_delivery(job_id, f"p{n}", stale) for n in range(10))
        )
    finally:
        await other.close()
    assert sorted(results, key=lambda r: r or 0) == [None] * 9 + [1]
    winner = f"p{results.index(1)}"

    assert await store.claim_delivery(job_id, "late", stale) is None  # the winner may be posting
    assert await store.claim_delivery(job_id, winner, stale) == 2  # the winner tries again
    clock.advance(stale + timedelta(seconds=1))
    assert await store.claim_delivery(job_id, "late", stale) == 3  # the winner went quiet
    assert await store.mark_delivered(job_id, 99)
    assert await store.claim_delivery(job_id, "late", stale) is None  # posted: never again
