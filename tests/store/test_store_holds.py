"""Holding credits atomically, settling once, and the concurrency and budget limits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.pika.job import Operation
from bot.store import (
    Database,
    EntryKind,
    FakeClock,
    HoldState,
    JobStore,
    QuotaDefaults,
    QuotaEngine,
    QuotaExceeded,
    QuotaReason,
    StoredStatus,
    SubjectKind,
    open_database,
)

from .conftest import GUILD, MakeJob, new_job

USER = 11


async def _attempt(store: JobStore, owner_id: int) -> int | QuotaExceeded:
    try:
        job = await store.create_job(new_job(owner_id))
    except QuotaExceeded as refusal:
        return refusal
    return job.id


async def test_fifty_concurrent_holds_on_one_connection_pass_exactly_three(
    quota: QuotaEngine, store: JobStore
) -> None:
    await quota.set_guild_allowance(GUILD, 3)
    await quota.set_concurrency(GUILD, per_user=100, per_guild=100)

    results = await asyncio.gather(*(_attempt(store, USER) for _ in range(50)))

    held = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(held) == 3
    assert len(refused) == 47
    assert {r.reason for r in refused} == {QuotaReason.USER_ALLOWANCE}
    assert {(r.needed, r.available) for r in refused} == {(1, 0)}
    entries = await quota.ledger_entries(GUILD)
    assert [e.kind for e in entries] == [EntryKind.HOLD] * 3
    assert sorted(e.job_id for e in entries) == sorted(held)
    assert await quota.audit() == []


async def test_fifty_concurrent_holds_across_two_databases_pass_exactly_three(
    db_target: Path | str, clock: FakeClock, db: Database, quota: QuotaEngine
) -> None:
    await quota.set_guild_allowance(GUILD, 3)
    await quota.set_concurrency(GUILD, per_user=100, per_guild=100)
    other = await open_database(db_target, clock=clock)
    try:
        first = JobStore(db, quota)
        second = JobStore(other, QuotaEngine(other, QuotaDefaults()))
        attempts = [_attempt(first if i % 2 else second, USER) for i in range(50)]

        results = await asyncio.gather(*attempts)
    finally:
        await other.close()

    held = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(held) == 3
    assert len(refused) == 47
    assert {r.reason for r in refused} == {QuotaReason.USER_ALLOWANCE}
    status = await quota.status(GUILD, USER)
    assert status.remaining == 0
    assert sorted(job.id for job in status.in_flight) == sorted(held)
    assert await quota.audit() == []


async def test_guild_budget_caps_the_sum_while_members_still_have_allowance(
    quota: QuotaEngine, store: JobStore
) -> None:
    await quota.set_guild_allowance(GUILD, 10)
    await quota.set_guild_budget(GUILD, 7)
    await quota.set_concurrency(GUILD, per_user=100, per_guild=100)
    members = range(100, 110)

    results = await asyncio.gather(*(_attempt(store, m) for m in members for _ in range(5)))

    held = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(held) == 7
    assert {r.reason for r in refused} == {QuotaReason.GUILD_BUDGET}
    assert all(r.available == 0 and r.needed == 1 for r in refused)
    # Every member is still within their own allowance.
    for member in members:
        assert (await quota.status(GUILD, member)).remaining >= 5
    spend = await quota.guild_spend(GUILD)
    assert (spend.spent, spend.held, spend.charged, spend.remaining) == (7, 7, 0, 0)


async def test_guild_budget_is_not_bypassed_by_grants_and_counts_unlimited_spend(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_guild_budget(GUILD, 3)
    await quota.set_concurrency(GUILD, per_user=10, per_guild=None)
    await quota.set_unlimited(GUILD, 500, SubjectKind.USER, True)
    await quota.grant(GUILD, 1, 50, actor_id=9, reason="contest winner")

    for _ in range(2):
        await make_job(500)  # unlimited, but spends the guild's money all the same
    await make_job(1)
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(1)
    assert refused.value.reason is QuotaReason.GUILD_BUDGET
    assert refused.value.available == 0

    # The unlimited member is not stopped by the budget, nor is the owner.
    await make_job(500)
    await make_job(999, exempt=True)
    assert (await quota.guild_spend(GUILD)).spent == 5


async def test_budget_refusal_reports_what_is_left_and_when_it_resets(
    quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_guild_budget(GUILD, 3)
    await make_job(1, Operation.SWAP)  # costs 2
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(2, Operation.UPSCALE)
    assert (refused.value.needed, refused.value.available) == (2, 1)
    assert refused.value.resets_at.isoformat() == "2025-01-16T00:00:00+00:00"
    assert (await quota.status(GUILD, 2)).budget_remaining == 1


async def test_charge_and_release_repeated_leave_one_row_per_real_transition(
    db_target: Path | str, clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    a = await make_job(USER, Operation.GENERATE)  # 1 credit
    b = await make_job(USER, Operation.SWAP)  # 2 credits
    await quota.set_concurrency(GUILD, per_user=5, per_guild=None)
    c = await make_job(USER, Operation.EXTEND)  # 1 credit, stays in flight
    assert (await quota.status(GUILD, USER)).remaining == 10 - 4

    assert await store.finish_succeeded(a.id, result_url="https://cdn.example/a.mp4")
    assert not await store.finish_succeeded(a.id, result_url="https://cdn.example/a.mp4")
    assert not await store.finish_failed(a.id, "late failure report")  # must not refund
    assert (await store.get_job(a.id)).hold_state is HoldState.CHARGED
    assert await store.finish_failed(b.id, "Pika rejected the prompt")
    assert not await store.update_status(b.id, StoredStatus.FAILED, error="again")
    assert (await store.get_job(b.id)).hold_state is HoldState.RELEASED
    assert (await store.get_job(c.id)).hold_state is HoldState.HELD  # not finished

    # A restart in the middle: a new connection's late reports settle nothing again.
    reopened = await open_database(db_target, clock=clock)
    try:
        again = JobStore(reopened, QuotaEngine(reopened))
        assert not await again.finish_succeeded(a.id)
        assert not await again.finish_failed(b.id, "late")
        assert not await again.finish_succeeded(b.id)
    finally:
        await reopened.close()

    entries = await quota.ledger_entries(GUILD, user_id=USER)
    assert [(e.kind, e.job_id, e.amount) for e in entries] == [
        (EntryKind.HOLD, a.id, 1),
        (EntryKind.HOLD, b.id, 2),
        (EntryKind.HOLD, c.id, 1),
        (EntryKind.CHARGE, a.id, 1),
        (EntryKind.RELEASE, b.id, 2),
    ]
    status = await quota.status(GUILD, USER)
    assert status.remaining == 10 - 1 - 1  # a charged, b given back, c held
    assert [job.id for job in status.in_flight] == [c.id]
    assert (await store.get_job(a.id)).hold_state is HoldState.CHARGED
    assert (await store.get_job(b.id)).hold_state is HoldState.RELEASED
    usage = await quota.usage_report(GUILD)
    assert [(u.user_id, u.jobs, u.charged, u.held, u.succeeded, u.failed) for u in usage] == [
        (USER, 3, 1, 1, 1, 1)
    ]
    spend = await quota.guild_spend(GUILD)
    assert (spend.spent, spend.charged, spend.held, spend.in_flight) == (2, 1, 1, 1)
    assert await quota.audit() == []


async def test_concurrent_settles_of_one_job_charge_once(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    job = await make_job(USER)
    await store.update_status(job.id, StoredStatus.RUNNING, progress=50)

    results = await asyncio.gather(
        *(store.finish_succeeded(job.id) for _ in range(10)),
        *(store.finish_failed(job.id, "a late failure") for _ in range(10)),
    )

    assert results.count(True) == 1 and results[:10].count(True) == 1
    kinds = [e.kind for e in await quota.ledger_entries(GUILD, job_id=job.id)]
    assert kinds == [EntryKind.HOLD, EntryKind.CHARGE]


async def test_the_ledger_refuses_updates_and_deletes(db: Database, make_job: MakeJob) -> None:
    await make_job(USER)
    with pytest.raises(Exception, match="append-only"):
        await db.write(lambda tx: tx.execute("UPDATE ledger SET amount = 0"))
    with pytest.raises(Exception, match="append-only"):
        await db.write(lambda tx: tx.execute("DELETE FROM ledger"))
    if db.dialect.name == "postgres":
        with pytest.raises(Exception, match="append-only"):
            await db.write(lambda tx: tx.execute("TRUNCATE ledger CASCADE"))
    assert len(await db.read(lambda tx: tx.fetchall("SELECT * FROM ledger"))) == 1


async def test_a_second_settlement_row_for_a_job_is_refused_by_the_schema(
    db: Database, store: JobStore, make_job: MakeJob
) -> None:
    job = await make_job(USER)
    await store.finish_succeeded(job.id)
    with pytest.raises(Exception, match=r"(?i)unique") as refused:
        await db.write(
            lambda tx: tx.execute(
                "INSERT INTO ledger (kind, guild_id, user_id, amount, job_id, created_at) "
                "VALUES ('release', ?, ?, 1, ?, '2025-01-15T12:00:00.000000Z')",
                GUILD,
                USER,
                job.id,
            )
        )
    if db.dialect.name == "postgres":
        assert "ledger_one_settlement_per_job" in str(refused.value)


async def test_past_the_member_limit_jobs_wait_then_a_full_queue_is_refused(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    first = await make_job(USER)
    second = await make_job(USER)
    assert (first.status, second.status) == (StoredStatus.PENDING, StoredStatus.PENDING)
    waiting = [await make_job(USER) for _ in range(3)]  # QuotaDefaults: 2 in flight, 3 queued
    assert {job.status for job in waiting} == {StoredStatus.WAITING}
    assert all(job.hold_state is HoldState.HELD for job in waiting)  # paid for while waiting
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER)
    assert refused.value.reason is QuotaReason.USER_QUEUE_FULL
    assert (refused.value.running, refused.value.waiting, refused.value.resets_at) == (2, 3, None)
    # Someone else queues behind the line too, but gets a free slot as soon as it is handed.
    other = await make_job(USER + 1)
    assert other.status is StoredStatus.WAITING
    assert await store.promote_waiting(GUILD) == [other.id]

    await store.finish_failed(first.id, "timed out")
    assert await store.promote_waiting(GUILD) == [waiting[0].id]
    assert (await store.get_job(waiting[0].id)).status is StoredStatus.PENDING
    status = await quota.status(GUILD, USER)
    assert [j.id for j in status.in_flight] == [second.id, waiting[0].id]
    assert [j.id for j in status.waiting] == [waiting[1].id, waiting[2].id]


async def test_with_no_queue_a_full_member_is_refused_as_before(
    quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_concurrency(GUILD, per_user=1, per_guild=None, queued_per_user=0)
    await make_job(USER)
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER)
    assert refused.value.reason is QuotaReason.USER_CONCURRENCY


async def test_the_server_limit_queues_every_member(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_concurrency(GUILD, per_user=None, per_guild=3)
    jobs = [await make_job(member) for member in (1, 2, 3)]
    late = await make_job(4)
    assert late.status is StoredStatus.WAITING
    assert (await make_job(4, guild_id=GUILD + 1)).status is StoredStatus.PENDING

    await store.finish_succeeded(jobs[0].id)
    assert await store.promote_waiting(GUILD) == [late.id]
    assert await store.promote_waiting(GUILD) == []  # no slot is free now


async def test_slots_go_round_robin_between_members_and_survive_a_restart(
    db_target: Path | str, clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_concurrency(GUILD, per_user=1, per_guild=1)
    alice = [await make_job(1) for _ in range(3)]
    bob = [await make_job(2) for _ in range(3)]
    assert alice[0].status is StoredStatus.PENDING
    assert await store.waiting_line(GUILD) == [bob[0].id, alice[1].id, bob[1].id, alice[2].id,
                                               bob[2].id]  # fmt: skip

    order = [alice[0].id]
    running = alice[0].id
    reopened = await open_database(db_target, clock=clock)
    try:
        for turn in range(5):
            await store.finish_succeeded(running)
            if turn == 2:  # a restart in the middle keeps the order
                store = JobStore(reopened, QuotaEngine(reopened))
            [running] = await store.promote_waiting(GUILD)
            order.append(running)
    finally:
        await reopened.close()
    assert order == [alice[0].id, bob[0].id, alice[1].id, bob[1].id, alice[2].id, bob[2].id]


async def test_concurrency_applies_to_unlimited_members_but_not_the_owner(
    quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_unlimited(GUILD, 77, SubjectKind.ROLE, True)
    await make_job(USER, roles=(77,))
    await make_job(USER, roles=(77,))
    assert (await make_job(USER, roles=(77,))).status is StoredStatus.WAITING

    await quota.set_guild_allowance(GUILD, 0)
    owner_jobs = [await make_job(999, exempt=True) for _ in range(12)]
    assert {job.status for job in owner_jobs} == {StoredStatus.PENDING}
    owner = await quota.status(GUILD, 999, exempt=True)
    assert owner.unlimited and owner.exempt and owner.max_in_flight is None
    assert len(owner.in_flight) == 12
    assert len(await quota.ledger_entries(GUILD, user_id=999)) == 12


async def test_a_waiting_job_can_be_cancelled_and_its_hold_released(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_concurrency(GUILD, per_user=1, per_guild=None)
    await make_job(USER)
    waiting = await make_job(USER)
    assert await store.request_cancel(waiting.id, USER) is not None
    assert await store.finish_cancelled(waiting.id, charge=False)
    assert not await store.finish_cancelled(waiting.id, charge=True)  # once only
    cancelled = await store.get_job(waiting.id)
    assert (cancelled.status, cancelled.hold_state, cancelled.cancelled_by) == (
        StoredStatus.CANCELLED,
        HoldState.RELEASED,
        USER,
    )
    assert await store.request_cancel(waiting.id, USER) is None  # finished: nothing to stop
    assert await quota.audit() == []


async def test_a_refused_request_leaves_no_job_and_no_ledger_row(
    db: Database, quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 1)
    with pytest.raises(QuotaExceeded):
        await make_job(USER, Operation.LIPSYNC)
    assert await db.read(lambda tx: tx.fetchval("SELECT COUNT(*) FROM jobs")) == 0
    assert await quota.ledger_entries(GUILD) == []


async def test_cancelled_callers_leave_every_job_with_its_hold(
    db: Database, quota: QuotaEngine, store: JobStore
) -> None:
    await quota.set_concurrency(GUILD, per_user=100, per_guild=100)
    await quota.set_guild_allowance(GUILD, 100)
    tasks = [asyncio.create_task(store.create_job(new_job(USER))) for _ in range(30)]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await db.settled()  # every write that started has finished (the others never will)
    jobs = await db.read(lambda tx: tx.fetchval("SELECT COUNT(*) FROM jobs"))

    assert len(done) <= jobs <= 30
    holds = await quota.ledger_entries(GUILD)
    assert len(holds) == jobs
    assert await quota.audit() == []
