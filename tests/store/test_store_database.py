"""Opening the database: pragmas, migrations in one transaction, upgrades, newer files refused."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from bot.store import (
    Database,
    FakeClock,
    Migration,
    QuotaEngine,
    SchemaTooNewError,
    StoreError,
    load_migrations,
    open_database,
)
from bot.store.database import split_statements

from .conftest import GUILD


def _schema(path: Path) -> list[tuple[str, str, str, str | None]]:
    with closing(sqlite3.connect(path)) as raw:
        return raw.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()


def _user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as raw:
        return raw.execute("PRAGMA user_version").fetchone()[0]


def test_migrations_are_numbered_without_gaps() -> None:
    migrations = load_migrations()
    assert len(migrations) >= 2
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_initial.sql"


async def test_a_fresh_database_uses_wal_foreign_keys_and_the_latest_schema(
    db: Database, db_path: Path
) -> None:
    def pragmas(raw: sqlite3.Connection) -> tuple[object, ...]:
        return tuple(
            raw.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        )

    assert await db.read(pragmas) == ("wal", 1, 5000, 1)
    assert db.schema_version == len(load_migrations())
    assert _user_version(db_path) == len(load_migrations())
    tables = {row[1] for row in _schema(db_path) if row[0] == "table"}
    assert {"jobs", "ledger", "guild_settings", "guild_costs", "quota_policies"} <= tables
    assert "guild_spend" in tables


async def test_an_old_database_upgrades_in_place_to_the_same_schema_and_keeps_its_data(
    tmp_path: Path, clock: FakeClock
) -> None:
    fresh_path = tmp_path / "fresh.sqlite3"
    await (await open_database(fresh_path, clock=clock)).close()

    old_path = tmp_path / "old.sqlite3"
    old = await open_database(old_path, clock=clock, migrations=load_migrations()[:1])
    assert _user_version(old_path) == 1
    # Data written by the first version: two charged jobs and one released job in January.
    await old.write(_insert_version_one_history)
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


def _insert_version_one_history(raw: sqlite3.Connection) -> None:
    for job_id, cost, settled in ((1, 1, "charge"), (2, 2, "charge"), (3, 2, "release")):
        stamp = f"2025-01-15T0{job_id}:05:00.000000Z"
        state = "charged" if settled == "charge" else "released"
        status = "succeeded" if settled == "charge" else "failed"
        raw.execute(
            "INSERT INTO jobs (id, owner_id, guild_id, channel_id, operation, request_json, "
            "provider, status, created_at, updated_at, hold_cost, hold_state) "
            "VALUES (?, 7, ?, 8, 'generate', '{}', 'simulator', ?, ?, ?, ?, ?)",
            (job_id, GUILD, status, stamp, stamp, cost, state),
        )
        for kind in ("hold", settled):
            raw.execute(
                "INSERT INTO ledger (kind, guild_id, user_id, amount, job_id, created_at) "
                "VALUES (?, ?, 7, ?, ?, ?)",
                (kind, GUILD, cost, job_id, stamp),
            )
    raw.execute(
        "INSERT INTO guild_settings (guild_id, default_allowance, updated_at) "
        "VALUES (?, 5, '2025-01-01T00:00:00.000000Z')",
        (GUILD,),
    )


async def test_a_database_from_a_newer_bot_is_refused_untouched(
    db_path: Path, clock: FakeClock
) -> None:
    db_path.parent.mkdir(parents=True)
    known = len(load_migrations())
    newer = known + 1
    with closing(sqlite3.connect(db_path, isolation_level=None)) as raw:
        raw.execute("CREATE TABLE future_things (id INTEGER PRIMARY KEY)")
        raw.execute(f"PRAGMA user_version = {newer}")

    with pytest.raises(SchemaTooNewError) as refused:
        await open_database(db_path, clock=clock)

    assert str(refused.value) == (
        f"the database at {db_path} was written by a newer version of the bot "
        f"(schema {newer}, this bot knows {known}); upgrade the bot"
    )
    assert (refused.value.found, refused.value.known) == (newer, known)
    assert _user_version(db_path) == newer
    assert [row[1] for row in _schema(db_path)] == ["future_things"]


async def test_an_older_bot_refuses_a_database_the_current_one_wrote(
    db: Database, db_path: Path, clock: FakeClock
) -> None:
    with pytest.raises(SchemaTooNewError, match=r"schema \d+, this bot knows 1\)"):
        await open_database(db_path, clock=clock, migrations=load_migrations()[:1])


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


async def test_a_closed_database_says_so(db_path: Path, clock: FakeClock) -> None:
    database = await open_database(db_path, clock=clock)
    await database.close()
    with pytest.raises(StoreError, match="closed"):
        await database.read(lambda raw: raw.execute("SELECT 1").fetchone())


async def test_a_failed_write_rolls_back_all_its_statements(db: Database) -> None:
    def half(raw: sqlite3.Connection) -> None:
        raw.execute(
            "INSERT INTO guild_costs (guild_id, operation, credits) VALUES (1, 'generate', 3)"
        )
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError):
        await db.write(half)
    count = await db.read(lambda raw: raw.execute("SELECT COUNT(*) FROM guild_costs").fetchone())
    assert count[0] == 0


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
    def insert(operation: str, fail: bool = False) -> Callable[[sqlite3.Connection], str]:
        def work(raw: sqlite3.Connection) -> str:
            raw.execute(
                "INSERT INTO guild_costs (guild_id, operation, credits) VALUES (1, ?, 1)",
                (operation,),
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
    rows = await db.read(lambda raw: raw.execute("SELECT operation FROM guild_costs").fetchall())
    assert sorted(row[0] for row in rows) == ["generate", "swap"]


async def test_a_write_that_loses_the_transaction_fails_its_whole_batch(db: Database) -> None:
    def insert(raw: sqlite3.Connection) -> None:
        raw.execute("INSERT INTO guild_costs (guild_id, operation, credits) VALUES (1, 'edit', 1)")

    def abandon(raw: sqlite3.Connection) -> None:
        raw.execute("ROLLBACK")  # as SQLite does by itself on a full disk
        raise sqlite3.OperationalError("database or disk is full")

    results = await asyncio.gather(
        db.write(insert), db.write(abandon), db.write(insert), return_exceptions=True
    )

    # The first write was rolled back with the batch: it must not be reported as done.
    assert all(isinstance(result, sqlite3.OperationalError) for result in results)
    count = await db.read(lambda raw: raw.execute("SELECT COUNT(*) FROM guild_costs").fetchone())
    assert count[0] == 0
    await db.write(insert)  # the connection is usable again
    count = await db.read(lambda raw: raw.execute("SELECT COUNT(*) FROM guild_costs").fetchone())
    assert count[0] == 1


async def test_a_write_cancelled_before_it_ran_leaves_nothing(db: Database) -> None:
    def insert(raw: sqlite3.Connection) -> None:
        raw.execute("INSERT INTO guild_costs (guild_id, operation, credits) VALUES (1, 'edit', 1)")

    task = asyncio.create_task(db.write(insert))
    await asyncio.sleep(0)  # let the task queue its write, not a wait for time to pass
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.write(lambda raw: None)  # the writer has run everything queued before this
    count = await db.read(lambda raw: raw.execute("SELECT COUNT(*) FROM guild_costs").fetchone())
    assert count[0] == 0
