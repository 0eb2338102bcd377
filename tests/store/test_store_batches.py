"""Calls made together go to the server together, and each caller still gets its own answer.

The first tests drive ``Coalescer`` with a plain ``send`` that records its batches; the last
ones run the store's hot writes on a real PostgreSQL, where the batches are real statements.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.domain.errors import QuotaExceeded, QuotaReason
from bot.store import Database, JobNotFoundError, JobStore, QuotaEngine, StoredStatus
from bot.store.batches import Coalescer
from bot.store.models import NEW_JOB_COLUMNS
from bot.store.sql import Row, Tx
from tests.store.conftest import GUILD, new_job


class Server:
    """A ``send`` that holds each batch until released, answers n -> n * 10, refuses 13."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_whole_batches_with: set[int] = set()
        self._sent = asyncio.Condition()

    async def send(self, items: Sequence[int]) -> list[int | Exception]:
        async with self._sent:
            self.batches.append(list(items))
            self._sent.notify_all()
        await self.gate.wait()
        if len(items) > 1 and self.fail_whole_batches_with & set(items):
            raise RuntimeError("the statement failed")
        return [ValueError(f"no {n}") if n == 13 else n * 10 for n in items]

    async def wait_for_batches(self, count: int) -> None:
        async with asyncio.timeout(5), self._sent:
            await self._sent.wait_for(lambda: len(self.batches) >= count)


async def behind_a_busy_lane(
    coalescer: Coalescer[int, int], server: Server, *items: int
) -> tuple[asyncio.Task[int], list[asyncio.Task[int]]]:
    """Call 1 and hold its batch at the server; then call ``items``, which wait in line."""
    server.gate.clear()
    blocker = asyncio.create_task(coalescer.call(1))
    await server.wait_for_batches(1)
    waiting = [asyncio.create_task(coalescer.call(n)) for n in items]
    # Not a wait for time: one pass of the loop runs each new task up to its place in line.
    await asyncio.sleep(0)
    return blocker, waiting


async def test_a_call_with_a_free_lane_goes_at_once_and_alone() -> None:
    server = Server()
    coalescer = Coalescer(server.send, size=8, lanes=1)
    assert await coalescer.call(4) == 40
    assert await coalescer.call(5) == 50
    assert server.batches == [[4], [5]]


async def test_calls_made_while_the_lanes_are_busy_go_as_one_batch_in_their_order() -> None:
    server = Server()
    coalescer = Coalescer(server.send, size=8, lanes=1)
    first, later = await behind_a_busy_lane(coalescer, server, *range(2, 12))
    server.gate.set()

    assert await first == 10
    assert [await task for task in later] == [n * 10 for n in range(2, 12)]
    assert server.batches == [[1], [2, 3, 4, 5, 6, 7, 8, 9], [10, 11]]  # at most 8 at a time


async def test_a_burst_larger_than_a_batch_takes_a_second_lane() -> None:
    server = Server()
    server.gate.clear()
    coalescer = Coalescer(server.send, size=3, lanes=2)
    tasks = [asyncio.create_task(coalescer.call(n)) for n in range(1, 6)]
    await server.wait_for_batches(2)
    server.gate.set()
    assert [await task for task in tasks] == [10, 20, 30, 40, 50]
    assert server.batches == [[1, 2, 3], [4, 5]]  # both on their way at once


async def test_one_items_refusal_reaches_only_its_caller() -> None:
    server = Server()
    coalescer = Coalescer(server.send, size=8, lanes=1)
    blocker, tasks = await behind_a_busy_lane(coalescer, server, 12, 13, 14)
    server.gate.set()
    results = await asyncio.gather(blocker, *tasks, return_exceptions=True)

    assert results[:2] == [10, 120] and results[3] == 140
    assert isinstance(results[2], ValueError) and str(results[2]) == "no 13"
    assert server.batches == [[1], [12, 13, 14]]


async def test_a_batch_that_fails_whole_is_sent_again_item_by_item() -> None:
    server = Server()
    server.fail_whole_batches_with = {7}
    coalescer = Coalescer(server.send, size=8, lanes=1)
    blocker, tasks = await behind_a_busy_lane(coalescer, server, 6, 7, 13)
    server.gate.set()
    results = await asyncio.gather(blocker, *tasks, return_exceptions=True)

    assert results[:3] == [10, 60, 70]  # 7 spoiled the batch, not its own answer
    assert isinstance(results[3], ValueError)
    assert server.batches == [[1], [6, 7, 13], [6], [7], [13]]


async def test_a_caller_cancelled_while_waiting_is_never_sent() -> None:
    server = Server()
    coalescer = Coalescer(server.send, size=8, lanes=1)
    blocker, (kept, dropped) = await behind_a_busy_lane(coalescer, server, 2, 3)
    dropped.cancel()
    server.gate.set()

    assert (await blocker, await kept) == (10, 20)
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert server.batches == [[1], [2]]  # 3 was taken out before the second batch left


@pytest.mark.postgres_only  # SQLite runs its writes in Python, one at a time: nothing to batch
async def test_simultaneous_jobs_of_many_members_each_get_their_own_answer(
    db: Database, quota: QuotaEngine, store: JobStore
) -> None:
    """Sixty members of three servers ask at once: the server gets a few statements, and each
    member gets their own job (or, for those with no allowance, their own refusal)."""
    guilds = [GUILD, GUILD + 1, GUILD + 2]
    for guild in guilds:
        await quota.set_guild_allowance(guild, 5)
        await quota.set_concurrency(guild, per_user=5, per_guild=100)
    broke = {1005, 1031, 1042}  # one in each server
    for user in broke:
        await quota.set_user_allowance(guilds[user % 3], user, 0)
    statements: list[int] = []
    write_rows = db.write_rows

    async def counted(sql: str, *args: object) -> list[Row]:
        statements.append(len(args[0]))  # type: ignore[arg-type]
        return await write_rows(sql, *args)

    db.write_rows = counted  # type: ignore[method-assign]
    users = range(1000, 1060)
    results = await asyncio.gather(
        *(
            store.create_job(new_job(user, guild_id=guilds[user % 3], prompt=f"video of {user}"))
            for user in users
        ),
        return_exceptions=True,
    )

    for user, result in zip(users, results, strict=True):
        if user in broke:
            assert isinstance(result, QuotaExceeded), (user, result)
            assert result.reason is QuotaReason.USER_ALLOWANCE
        else:
            assert not isinstance(result, BaseException), (user, result)
            assert (result.owner_id, result.guild_id) == (user, guilds[user % 3])
            assert f"video of {user}" in result.request_json
    assert sum(statements) == 60
    assert len(statements) < 60  # gathered: fewer statements than jobs
    assert max(statements) > 1
    assert len(await quota.ledger_entries(GUILD)) == 20 - 1
    assert await quota.audit() == []


@pytest.mark.postgres_only
async def test_simultaneous_status_changes_settle_each_job_once(
    db: Database, quota: QuotaEngine, store: JobStore
) -> None:
    await quota.set_concurrency(GUILD, per_user=50, per_guild=100)
    jobs = [await store.create_job(new_job(2000 + n)) for n in range(30)]
    outcomes = [StoredStatus.SUCCEEDED if n % 3 else StoredStatus.FAILED for n in range(30)]
    changes = [
        store.update_status(job.id, outcome, result_url=f"https://cdn.example/{job.id}.mp4")
        for job, outcome in zip(jobs, outcomes, strict=True)
    ]
    first = await asyncio.gather(*changes, store.update_status(jobs[0].id, StoredStatus.FAILED))
    again = await asyncio.gather(*(store.update_status(job.id, "succeeded") for job in jobs))
    missing = await asyncio.gather(store.update_status(99_999, "failed"), return_exceptions=True)

    assert first[1:30] == [True] * 29
    assert sorted([first[0], first[30]]) == [False, True]  # one of the two failures counted
    assert again == [False] * 30
    assert isinstance(missing[0], JobNotFoundError)
    for job, outcome in zip(jobs, outcomes, strict=True):
        stored = await store.get_job(job.id)
        assert stored is not None and stored.status is outcome
        expected = f"https://cdn.example/{job.id}.mp4"
        assert stored.result_url == expected
    spend = await quota.guild_spend(GUILD)
    assert spend.charged == sum(outcome is StoredStatus.SUCCEEDED for outcome in outcomes)
    assert await quota.audit() == []


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("item_type", "function"),
    [("pika_new_job", "pika_create_job"), ("pika_job_change", "pika_update_job")],
)
async def test_a_batch_item_carries_the_arguments_of_one_call_in_their_order(
    db: Database, item_type: str, function: str
) -> None:
    """Each batch item type (0006) lists its function's arguments (0005) in order; a new job's
    start with its columns as ``new_job_values`` gives them."""

    async def names(tx: Tx) -> tuple[list[str], list[str]]:
        arguments = await tx.fetchval(
            "SELECT proargnames[1:pronargs] FROM pg_proc WHERE proname = ?", function
        )
        rows = await tx.fetchall(
            "SELECT attname FROM pg_attribute WHERE attrelid = "
            "(SELECT typrelid FROM pg_type WHERE typname = ?) AND attnum > 0 ORDER BY attnum",
            item_type,
        )
        return [name.removeprefix("p_") for name in arguments], [row["attname"] for row in rows]

    arguments, fields = await db.read(names)
    assert fields == arguments
    if item_type == "pika_new_job":
        columns = [column.strip() for column in NEW_JOB_COLUMNS.split(",")]
        assert fields[: len(columns)] == columns
