"""Fixtures for the storage tests: a real SQLite file in tmp_path and a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.pika.job import Operation
from bot.store import (
    Database,
    FakeClock,
    JobRecord,
    JobStore,
    NewJob,
    QuotaDefaults,
    QuotaEngine,
    open_database,
)

GUILD = 1_000_000_000_000_001
CHANNEL = 2_000_000_000_000_002

MakeJob = Callable[..., Awaitable[JobRecord]]


@pytest.fixture
def clock() -> FakeClock:
    # A Wednesday in winter, mid-day UTC.
    return FakeClock(datetime(2025, 1, 15, 12, 0, tzinfo=UTC))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
async def db(db_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    database = await open_database(db_path, clock=clock)
    yield database
    await database.close()


@pytest.fixture
def quota(db: Database) -> QuotaEngine:
    return QuotaEngine(db, QuotaDefaults())


@pytest.fixture
def store(db: Database, quota: QuotaEngine) -> JobStore:
    return JobStore(db, quota)


def new_job(
    owner_id: int,
    operation: Operation = Operation.GENERATE,
    *,
    guild_id: int = GUILD,
    prompt: str = "a cat surfing a wave",
    parent_job_id: int | None = None,
) -> NewJob:
    return NewJob(
        owner_id=owner_id,
        guild_id=guild_id,
        channel_id=CHANNEL,
        operation=operation,
        request_json={"prompt": prompt},
        provider="simulator",
        interaction_app_id=42,
        interaction_token="token-secret",
        token_expires_at=datetime(2025, 1, 15, 12, 15, tzinfo=UTC),
        parent_job_id=parent_job_id,
    )


@pytest.fixture
def make_job(store: JobStore) -> MakeJob:
    """Create a job through the store (so its hold is checked and written)."""

    async def make(
        owner_id: int,
        operation: Operation = Operation.GENERATE,
        *,
        roles: tuple[int, ...] = (),
        exempt: bool = False,
        target: JobStore | None = None,
        **fields: object,
    ) -> JobRecord:
        return await (target or store).create_job(
            new_job(owner_id, operation, **fields),  # type: ignore[arg-type]
            roles=roles,
            exempt=exempt,
        )

    return make
