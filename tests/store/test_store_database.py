"""Opening the database: pragmas, migrations in one transaction, upgrades, newer ones refused;
and what every write promises, on both backends."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Coroutine
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.store import (
    Database,
    FakeClock,
    Migration,
    QuotaEngine,
    SchemaTooNewError,
    StoreError,
    Tx,
    load_migrations,
    open_database,
)
from bot.store.database import split_statements
from bot.store.postgres import describe
from bot.store.sql import to_dollar

from .conftest import GUILD


def _schema(path: Path) -> list[tuple[str, str, str, str | None]]:
    with closing(sqlite3.connect(path)) as raw:
        return raw.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()


def _user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as raw:
        return raw.execute("PRAGMA user_version").fetchone()[0]


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_migrations_are_numbered_without_gaps(dialect: str) -> None:
    migrations = load_migrations(dialect)
    assert len(migrations) >= 1
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_initial.sql"


@pytest.mark.sqlite_only
async def test_a_fresh_database_uses_wal_foreign_keys_and_the_latest_schema(
    db: Database, db_path: Path
) -> None:
    async def pragmas(tx: Tx) -> tuple[object, ...]:
        names = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        return tuple([await tx.fetchval(f"PRAGMA {name}") for name in names])

    assert await db.read(pragmas) == ("wal", 1, 5000, 1)
    assert db.schema_version == len(load_migrations())
    assert _user_version(db_path) == len(load_migrations())
    tables = {row[1] for row in _schema(db_path) if row[0] == "table"}
    assert {"jobs", "ledger", "guild_settings", "guild_costs", "quota_policies"} <= tables
    assert "guild_spend" in tables


@pytest.mark.sqlite_only
async def test_an_old_database_upgrades_in_place_to_the_same_schema_and_keeps_its_data(
    tmp_path: Path, clock: FakeClock
) -> None:
    fresh_path = tmp_path / "fresh.sqlite3"
    await (await open_database(fresh_path, clock=clock)).close()

    old_path = tmp_path / "old.sqlite3"
    old = await open_database(old_path, clock=clock, migrations=load_migrations()[:1])
    assert _user_version(old_path) == 1
    # Data written by the first version: two charged jobs and one released job in January.
    await old.write(lambda tx: _insert_version_one_history(tx))
    await old.close()

    upgraded = await open_database(old_path, clock=clock)
    try:
        assert _schema(old_path) == _schema(fresh_path)
        assert _user_version(old_path) == _user_version(fresh_path) == len(load_migrations())
        quota = QuotaEngine(upgraded)
        spend = await quota.guild_spend(GUILD)  # read from the totals the upgrade built
        assert (spend.spent, spend.charged) == (3, 3)
        assert (await quota.guild_settings(GUILD)).anyone_can_press is False
        assert await quota.audit() == []
    finally:
        await upgraded.close()


async def _insert_version_one_history(tx: Tx) -> None:
    for job_id, cost, settled in ((1, 1, "charge"), (2, 2, "charge"), (3, 2, "release")):
        stamp = f"2025-01-15T0{job_id}:05:00.000000Z"
        state = "charged" if settled == "charge" else "released"
        status = "succeeded" if settled == "charge" else "failed"
        await tx.execute(
            "INSERT INTO jobs (id, owner_id, guild_id, channel_id, operation, request_json, "
            "provider, status, created_at, updated_at, hold_cost, hold_state) "
            "VALUES (?, 7, ?, 8, 'generate', '{}', 'simulator', ?, ?, ?, ?, ?)",
            *(job_id, GUILD, status, stamp, stamp, cost, state),
        )
        for kind in ("hold", settled):
            await tx.execute(
                "INSERT INTO ledger (kind, guild_id, user_id, amount, job_id, created_at) "
                "VALUES (?, ?, 7, ?, ?, ?)",
                *(kind, GUILD, cost, job_id, stamp),
            )
    await tx.execute(
        "INSERT INTO guild_settings (guild_id, default_allowance, updated_at) "
        "VALUES (?, 5, '2025-01-01T00:00:00.000000Z')",
        GUILD,
    )


@pytest.mark.sqlite_only
async def test_a_database_from_a_newer_bot_is_refused_untouched(
    db_path: Path, clock: FakeClock
) -> None:
    db_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db_path, isolation_level=None)) as raw:
        raw.execute("CREATE TABLE future_things (id INTEGER PRIMARY KEY)")
        raw.execute("PRAGMA user_version = 99")
    known = len(load_migrations())

    with pytest.raises(SchemaTooNewError) as refused:
        await open_database(db_path, clock=clock)

    assert str(refused.value) == (
        f"the database at {db_path} was written by a newer version of the bot "
        f"(schema 99, this bot knows {known}); upgrade the bot"
    )
    assert (refused.value.found, refused.value.known) == (99, known)
    assert _user_version(db_path) == 99
    assert [row[1] for row in _schema(db_path)] == ["future_things"]


@pytest.mark.sqlite_only
async def test_an_older_bot_refuses_a_database_the_current_one_wrote(
    db: Database, db_path: Path, clock: FakeClock
) -> None:
    with pytest.raises(SchemaTooNewError, match=r"schema \d+, this bot knows 1\)"):
        await open_database(db_path, clock=clock, migrations=load_migrations()[:1])


@pytest.mark.sqlite_only
async def test_a_failing_migration_leaves_the_database_as_it_was(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "broken.sqlite3"
    await (await open_database(path, clock=clock)).close()
    before = _schema(path)
    broken = Migration(
        len(load_migrations()) + 1,
        "9999_broken.sql",
        "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
    )

    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await open_database(path, clock=clock, migrations=[*load_migrations(), broken])

    assert _schema(path) == before
    assert _user_version(path) == len(load_migrations())


@pytest.mark.sqlite_only
async def test_two_connections_opening_a_new_file_at_once_migrate_it_once(
    db_path: Path, clock: FakeClock
) -> None:
    first, second = await asyncio.gather(
        open_database(db_path, clock=clock), open_database(db_path, clock=clock)
    )
    try:
        assert first.schema_version == second.schema_version == len(load_migrations())
    finally:
        await first.close()
        await second.close()


async def test_a_closed_database_says_so(db_target: Path | str, clock: FakeClock) -> None:
    database = await open_database(db_target, clock=clock)
    await database.close()
    with pytest.raises(StoreError, match="closed"):
        await database.read(lambda tx: tx.fetchval("SELECT 1"))
    with pytest.raises(StoreError, match="closed"):
        await database.write(lambda tx: tx.fetchval("SELECT 1"))


async def _count_costs(db: Database) -> int:
    count: int = await db.read(lambda tx: tx.fetchval("SELECT COUNT(*) FROM guild_costs"))
    return count


async def test_a_failed_write_rolls_back_all_its_statements(db: Database) -> None:
    async def half(tx: Tx) -> None:
        await tx.execute(
            "INSERT INTO guild_costs (guild_id, operation, credits) VALUES (1, 'generate', 3)"
        )
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError):
        await db.write(half)
    assert await _count_costs(db) == 0


def test_split_statements_keeps_trigger_bodies_and_ignores_comment_semicolons() -> None:
    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE t (x TEXT DEFAULT 'a;b');\n"
        "CREATE TRIGGER tr AFTER INSERT ON t\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
        "-- trailing comment\n"
    )
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    with pytest.raises(StoreError, match="incomplete"):
        split_statements("CREATE TABLE t (x)\n")


async def test_writes_committed_together_stay_atomic_one_by_one(db: Database) -> None:
    def insert(operation: str, fail: bool = False) -> Callable[[Tx], Coroutine[Any, Any, str]]:
        async def work(tx: Tx) -> str:
            await tx.execute(
                "INSERT INTO guild_costs (guild_id, operation, credits) VALUES (1, ?, 1)",
                operation,
            )
            if fail:
                raise RuntimeError(f"{operation} changed its mind")
            return operation

        return work

    # Queued in one go, these run as one batch: the failure must undo only its own insert.
    results = await asyncio.gather(
        db.write(insert("generate")),
        db.write(insert("extend", fail=True)),
        db.write(insert("swap")),
        return_exceptions=True,
    )

    assert results[0] == "generate" and results[2] == "swap"
    assert isinstance(results[1], RuntimeError)
    rows = await db.read(lambda tx: tx.fetchall("SELECT operation FROM guild_costs"))
    assert sorted(row[0] for row in rows) == ["generate", "swap"]


async def _insert_edit(tx: Tx) -> None:
    await tx.execute("INSERT INTO guild_costs (guild_id, operation, credits) VALUES (1, 'edit', 1)")


@pytest.mark.sqlite_only
async def test_a_write_that_loses_the_transaction_fails_its_whole_batch(db: Database) -> None:
    insert = _insert_edit

    async def abandon(tx: Tx) -> None:
        await tx.execute("ROLLBACK")  # as SQLite does by itself on a full disk
        raise sqlite3.OperationalError("database or disk is full")

    results = await asyncio.gather(
        db.write(insert), db.write(abandon), db.write(insert), return_exceptions=True
    )

    # The first write was rolled back with the batch: it must not be reported as done.
    assert all(isinstance(result, sqlite3.OperationalError) for result in results)
    assert await _count_costs(db) == 0
    await db.write(insert)  # the connection is usable again
    assert await _count_costs(db) == 1


async def test_a_write_cancelled_before_it_ran_leaves_nothing(db: Database) -> None:
    task = asyncio.create_task(db.write(_insert_edit))
    await asyncio.sleep(0)  # let the task queue its write, not a wait for time to pass
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.settled()
    assert await _count_costs(db) == 0


@pytest.mark.postgres_only  # SQLite's run whole on their thread: never caught midway
async def test_a_write_cancelled_once_started_still_commits(db: Database) -> None:
    began = asyncio.Event()

    async def slow_insert(tx: Tx) -> None:
        await _insert_edit(tx)
        began.set()
        await tx.fetchval("SELECT pg_sleep(0.05)")

    task = asyncio.create_task(db.write(slow_insert))
    await began.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.settled()
    assert await _count_costs(db) == 1


async def test_a_transaction_is_one_snapshot_and_sees_its_own_writes(db: Database) -> None:
    async def write_then_read(tx: Tx) -> list[int]:
        await tx.executemany(
            "INSERT INTO guild_costs (guild_id, operation, credits) VALUES (?, ?, ?)",
            [(1, "edit", 1), (1, "swap", 2), (2, "edit", 3)],
        )
        changed = await tx.execute(
            "UPDATE guild_costs SET credits = credits + 1 WHERE guild_id = 1"
        )
        rows = await tx.fetchall("SELECT credits FROM guild_costs ORDER BY guild_id, operation")
        return [changed, *(row["credits"] for row in rows)]

    assert await db.write(write_then_read) == [2, 2, 3, 3]
    assert await db.read(lambda tx: tx.fetchone("SELECT 1 WHERE 1 = 0")) is None


# -- PostgreSQL ---------------------------------------------------------------------------------


async def test_a_fresh_postgres_database_gets_the_latest_schema_once(
    pg_fresh_url: str, clock: FakeClock
) -> None:
    first, second = await asyncio.gather(
        open_database(pg_fresh_url, clock=clock), open_database(pg_fresh_url, clock=clock)
    )
    try:
        known = len(load_migrations("postgres"))
        assert first.schema_version == second.schema_version == known
        tables = await first.read(
            lambda tx: tx.fetchall("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )
        assert {"jobs", "ledger", "guild_spend", "queue_turns", "schema_migrations"} <= {
            row[0] for row in tables
        }
        versions = await first.read(lambda tx: tx.fetchall("SELECT version FROM schema_migrations"))
        assert [row[0] for row in versions] == list(range(1, known + 1))
        assert first.name.startswith("postgresql://") and "store_" in first.name
    finally:
        await first.close()
        await second.close()


async def test_a_postgres_database_from_a_newer_bot_is_refused(
    pg_fresh_url: str, clock: FakeClock
) -> None:
    await (await open_database(pg_fresh_url, clock=clock)).close()
    known = len(load_migrations("postgres"))
    future = Migration(known + 1, "9999_future.sql", "CREATE TABLE future_things (id integer);")
    await (
        await open_database(
            pg_fresh_url, clock=clock, migrations=[*load_migrations("postgres"), future]
        )
    ).close()

    with pytest.raises(SchemaTooNewError, match=rf"schema {known + 1}, this bot knows {known}\)"):
        await open_database(pg_fresh_url, clock=clock)


async def test_a_failing_postgres_migration_leaves_the_database_as_it_was(
    pg_fresh_url: str, clock: FakeClock
) -> None:
    broken = Migration(
        len(load_migrations("postgres")) + 1,
        "9999_broken.sql",
        "CREATE TABLE half_done (id integer);\nINSERT INTO no_such_table VALUES (1);\n",
    )
    with pytest.raises(asyncpg.UndefinedTableError):
        await open_database(
            pg_fresh_url, clock=clock, migrations=[*load_migrations("postgres"), broken]
        )

    database = await open_database(pg_fresh_url, clock=clock)
    try:
        assert database.schema_version == len(load_migrations("postgres"))
        found = await database.read(lambda tx: tx.fetchval("SELECT to_regclass('half_done')"))
        assert found is None
    finally:
        await database.close()


async def test_an_unreachable_postgres_says_where_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://bot:hunter2@/pika?host={tmp_path}&port=5999"
    with pytest.raises(StoreError, match="cannot connect to postgresql://") as refused:
        await open_database(url)
    assert "hunter2" not in str(refused.value)
    assert describe("postgresql://bot:secret@db.example.org:5433/pika") == (
        "postgresql://db.example.org:5433/pika"
    )


def test_placeholders_become_numbered_outside_quotes() -> None:
    assert to_dollar("SELECT ? , '?' || ?, \"a?\" FROM t WHERE x = ?") == (
        "SELECT $1 , '?' || $2, \"a?\" FROM t WHERE x = $3"
    )
    assert to_dollar("WHERE a = ?1 AND (?2 IS NULL OR b = ?2) LIMIT ?10") == (
        "WHERE a = $1 AND ($2 IS NULL OR b = $2) LIMIT $10"
    )
    assert to_dollar("SELECT 'it''s ?' , ?") == "SELECT 'it''s ?' , $1"
    with pytest.raises(ValueError, match="mixes"):
        to_dollar("SELECT ?1, ?")
