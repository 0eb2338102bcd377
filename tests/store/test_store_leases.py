"""Job leases and delivery claims: several processes sharing one store never work one job
at once, and never post one result twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.store import Database, FakeClock, JobStore, QuotaEngine, open_database
from bot.store.leases import JobLeases

from .conftest import GUILD, MakeJob

USER = 51


async def _jobs(quota: QuotaEngine, make_job: MakeJob, count: int) -> list[int]:
    await quota.set_concurrency(GUILD, per_user=100, per_guild=100)
    await quota.set_guild_allowance(GUILD, 100)
    return [(await make_job(USER)).id for _ in range(count)]


async def test_a_lease_is_held_renewed_released_and_taken_over_when_expired(
    db: Database, clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    first, second, third = await _jobs(quota, make_job, 3)
    await store.finish_succeeded(third)
    assert await store.mark_delivered(third, 1)  # done and posted: never leased again
    leases = JobLeases(db)

    assert await leases.claim_due("a", clock.now(), 30, limit=1) == [first]
    assert await leases.claim_due("b", clock.now(), 30, limit=10) == [second]
    assert await leases.claim_due("c", clock.now(), 30, limit=10) == []
    assert await leases.lease_of(first) == ("a", clock.now() + timedelta(seconds=30))

    clock.advance(seconds=20)
    assert await leases.renew(first, "a", clock.now(), 30)
    assert not await leases.renew(first, "b", clock.now(), 30)  # not b's
    clock.advance(seconds=20)  # b's lease on the second job ran out; a's was renewed
    assert await leases.claim_due("c", clock.now(), 30, limit=10) == [second]
    assert not await leases.renew(second, "b", clock.now(), 30)  # too late: c has it

    assert not await leases.release(first, "c")
    assert await leases.release(first, "a")
    assert await leases.lease_of(first) == (None, None)
    assert await leases.claim_due("c", clock.now(), 30, limit=10) == [first]


async def test_concurrent_claims_from_two_databases_never_share_a_job(
    db_target: Path | str, db: Database, clock: FakeClock, quota: QuotaEngine, make_job: MakeJob
) -> None:
    jobs = await _jobs(quota, make_job, 40)
    other = await open_database(db_target, clock=clock)
    try:
        mine, theirs = JobLeases(db), JobLeases(other)
        claims = await asyncio.gather(
            *(
                (mine if n % 2 else theirs).claim_due(f"worker-{n}", clock.now(), 60, limit=3)
                for n in range(20)
            )
        )
    finally:
        await other.close()
    claimed = [job_id for batch in claims for job_id in batch]
    assert sorted(claimed) == jobs  # each job once: 20 claims of up to 3 cover all 40
    assert all(len(batch) <= 3 for batch in claims)


async def test_a_result_is_claimed_for_delivery_exactly_once(
    db_target: Path | str, db: Database, clock: FakeClock, quota: QuotaEngine, make_job: MakeJob
) -> None:
    [job_id] = await _jobs(quota, make_job, 1)
    other = await open_database(db_target, clock=clock)
    try:
        attempts = [
            JobLeases(db if n % 2 else other).claim_delivery(job_id, f"p{n}") for n in range(10)
        ]
        results = await asyncio.gather(*attempts)
    finally:
        await other.close()
    assert results.count(True) == 1
    assert not await JobLeases(db).claim_delivery(job_id, "late")
