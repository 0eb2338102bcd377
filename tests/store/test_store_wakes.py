"""Wake-ups between processes sharing a database: LISTEN/NOTIFY on PostgreSQL, this process's
own listeners on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from bot.store import Database, open_database
from bot.store.wakes import DatabaseWakeBus


class Heard:
    def __init__(self) -> None:
        self.wakes: list[tuple[int, str]] = []
        self.changed = asyncio.Event()

    async def __call__(self, job_id: int, reason: str) -> None:
        self.wakes.append((job_id, reason))
        self.changed.set()

    async def until(self, count: int) -> list[tuple[int, str]]:
        async with asyncio.timeout(5):
            while len(self.wakes) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.wakes


async def test_a_published_wake_reaches_the_subscribers_of_this_database(db: Database) -> None:
    bus = DatabaseWakeBus(db)
    heard = Heard()
    await bus.subscribe(heard)

    await bus.publish(17, "push")
    await bus.publish(18, "look")

    assert await heard.until(2) == [(17, "push"), (18, "look")]


async def test_a_payload_that_names_no_job_is_ignored(db: Database) -> None:
    bus = DatabaseWakeBus(db)
    heard = Heard()
    await bus.subscribe(heard)

    await db.notify("pika_jobs", "not-a-job push")
    await bus.publish(5, "look")

    assert await heard.until(1) == [(5, "look")]


@pytest.mark.postgres_only
async def test_a_wake_from_one_process_reaches_another_on_postgres(
    db: Database, db_target: Path | str
) -> None:
    # A second pool on the same database stands for a second bot process.
    other = await open_database(db_target)
    try:
        heard_here, heard_there = Heard(), Heard()
        await DatabaseWakeBus(db).subscribe(heard_here)
        await DatabaseWakeBus(other).subscribe(heard_there)

        await DatabaseWakeBus(other).publish(99, "push")

        assert await heard_here.until(1) == [(99, "push")]
        assert await heard_there.until(1) == [(99, "push")]
    finally:
        await other.close()


@pytest.mark.postgres_only
async def test_closing_releases_the_listening_connection(db_target: Path | str) -> None:
    database = await open_database(db_target)
    await DatabaseWakeBus(database).subscribe(Heard())
    async with asyncio.timeout(15):
        await database.close()


@pytest.mark.postgres_only
async def test_wakes_arrive_again_after_the_server_drops_the_listening_connection(
    db: Database, db_target: Path | str
) -> None:
    heard = Heard()
    await DatabaseWakeBus(db).subscribe(heard)
    other = await open_database(db_target)  # the process that pushes, and the server's admin
    try:
        await DatabaseWakeBus(other).publish(1, "push")
        await heard.until(1)
        dropped = await other.read(
            lambda tx: tx.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN %'"
            )
        )
        assert dropped == 1

        # Wakes sent while it listens again are lost (the polls find those jobs); keep
        # pushing until one is heard, as a real push would be retried by the next poll.
        async with asyncio.timeout(15):
            job = 2
            while len(heard.wakes) < 2:
                await DatabaseWakeBus(other).publish(job, "push")
                heard.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(heard.changed.wait(), 0.2)
                job += 1
        assert heard.wakes[0] == (1, "push") and heard.wakes[1][1] == "push"
    finally:
        await other.close()
