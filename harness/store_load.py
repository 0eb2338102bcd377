"""Load on the store from several OS processes at once (tests and benchmarks share it).

Each function here is the body of one ``multiprocessing`` (spawn) child: it opens its own
store on the database it is given, waits at the barrier so all children start together, does
its work and puts its answer on the queue.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from bot.pika.job import Operation
from bot.store import JobStore, NewJob, QuotaDefaults, QuotaEngine, QuotaExceeded, open_database

CHANNEL = 1_200_000_000_000_000_002


def new_job(user_id: int, guild_id: int, prompt: str) -> NewJob:
    return NewJob(user_id, guild_id, CHANNEL, Operation.GENERATE, {"prompt": prompt}, "simulator")


def hold_many(url: str, guild_id: int, user_id: int, attempts: int, barrier: Any, out: Any) -> None:
    """Try ``attempts`` holds for one member at once; put (job ids held, refusals) on ``out``."""

    async def run() -> tuple[list[int], int]:
        db = await open_database(url)
        try:
            store = JobStore(db, QuotaEngine(db, QuotaDefaults()))

            async def attempt(n: int) -> int | None:
                try:
                    return (await store.create_job(new_job(user_id, guild_id, f"race {n}"))).id
                except QuotaExceeded:
                    return None

            # Connect the pool's connections before the start, so the race is of the holds.
            await asyncio.gather(*(db.read(lambda tx: tx.fetchval("SELECT 1")) for _ in range(4)))
            await asyncio.to_thread(barrier.wait)
            results = await asyncio.gather(*(attempt(n) for n in range(attempts)))
        finally:
            await db.close()
        held = [job_id for job_id in results if job_id is not None]
        return held, len(results) - len(held)

    out.put(asyncio.run(run()))


def guild_of(user_id: int, guilds: Sequence[int]) -> int:
    """The guild a benchmark member makes their jobs in (members are dealt out in turn)."""
    return guilds[user_id % len(guilds)]


def hold_and_charge(
    url: str, guilds: Sequence[int], users: range, pairs: int, barrier: Any, out: Any
) -> None:
    """Make ``pairs`` jobs (hold, then charge) over ``users``, each in their guild (``guild_of``);
    put (started, ended) on ``out``."""

    async def run() -> tuple[float, float]:
        db = await open_database(url)
        try:
            store = JobStore(db, QuotaEngine(db, QuotaDefaults()))
            remaining = pairs

            async def member(user_id: int) -> None:
                nonlocal remaining
                while remaining > 0:
                    remaining -= 1
                    job = await store.create_job(
                        new_job(user_id, guild_of(user_id, guilds), f"benchmark video {remaining}"),
                        roles=(77, 78),
                    )
                    await store.finish_succeeded(job.id, result_url="https://cdn.example/v.mp4")

            await asyncio.gather(*(db.read(lambda tx: tx.fetchval("SELECT 1")) for _ in range(4)))
            await asyncio.to_thread(barrier.wait)
            started = time.time()
            await asyncio.gather(*(member(user_id) for user_id in users))
            return started, time.time()
        finally:
            await db.close()

    out.put(asyncio.run(run()))
