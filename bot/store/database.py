"""The database the store runs on: SQLite (one file) or PostgreSQL (``postgresql://`` URL).

``open_database`` picks the backend from its target. Store code never knows which one runs: a
transaction is an ``async`` function of a ``Tx`` (``bot.store.sql``), passed to ``write`` or
``read``. Migrations are numbered ``.sql`` files per dialect in ``migrations/<dialect>/``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Generic, Self, TypeVar

import aiosqlite

from bot.store.clock import Clock, SystemClock
from bot.store.errors import SchemaTooNewError, StoreError
from bot.store.sql import SQLITE, Dialect, Row, Tx

log = logging.getLogger(__name__)

T = TypeVar("T")

Work = Callable[[Tx], Coroutine[Any, Any, T]]
"""A transaction: an async function of a ``Tx``; it must not begin, commit or roll back."""

BUSY_TIMEOUT_SECONDS = 5.0
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered ``.sql`` file; version N brings the schema from N-1 to N."""

    version: int
    name: str
    sql: str


def load_migrations(dialect: str = "sqlite") -> list[Migration]:
    """Read the packaged migrations of a dialect in order, refusing gaps in the numbering."""
    folder = resources.files(__package__) / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    numbers = [migration.version for migration in found]
    if numbers != list(range(1, len(found) + 1)):
        raise StoreError(f"migrations must be numbered 0001, 0002, ... without gaps; got {numbers}")
    return found


def split_statements(script: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies (``BEGIN ... END;``) whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        # sqlite3.complete_statement understands comments, strings and trigger bodies.
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    leftover = "".join(
        line for line in buffer.splitlines() if line.strip() and not line.strip().startswith("--")
    )
    if leftover:
        raise StoreError(f"incomplete SQL statement at the end of a migration: {leftover[:80]!r}")
    return statements


Listener = Callable[[str], Coroutine[Any, Any, None]]
"""Called with each payload notified on a channel the database listens to."""


class Database(ABC):
    """The store's database, whichever backend runs; shared by every coroutine of the bot.

    ``write(work)`` runs ``work`` atomically and raises what it raises; a caller cancelled
    before its write started leaves nothing behind, and once started the write completes
    (commits unless it raises), as if only the answer had been lost. ``read(work)`` runs
    ``work`` in a read transaction whose queries all see one snapshot.
    """

    dialect: Dialect
    functions = False
    """Whether the store's functions on the server (``bot.store.functions``) are there to run
    new jobs and status changes in one statement per batch (PostgreSQL, schema 6 on)."""
    clock: Clock
    schema_version: int
    name: str
    """Where the data is, for logs and errors: a path, or host and database (no password)."""

    @abstractmethod
    async def write(self, work: Work[T]) -> T:
        """Run ``work`` in a write transaction; raise what it raises (nothing is then written)."""

    async def write_rows(self, sql: str, *args: Any) -> list[Row]:
        """Run one statement as a write of its own; return its rows.

        The same as ``write`` of that one statement, which is what SQLite does. PostgreSQL
        sends it without BEGIN and COMMIT (a statement is a transaction by itself): one round
        trip, and any lock it takes ends with it.
        """
        return await self.write(lambda tx: tx.fetchall(sql, *args))

    @abstractmethod
    async def read(self, work: Work[T]) -> T:
        """Run ``work`` in a read transaction, so all its queries see one snapshot."""

    async def read_rows(self, sql: str, *args: Any) -> list[Row]:
        """Run one query on its own; return its rows (one statement is one snapshot anyway).

        PostgreSQL sends it without a transaction around it: one round trip instead of three,
        for the reads made before an interaction is acknowledged (Discord allows 3 s).
        """
        return await self.read(lambda tx: tx.fetchall(sql, *args))

    @abstractmethod
    async def settled(self) -> None:
        """Wait until every write asked for so far has finished (committed or not)."""

    @abstractmethod
    async def close(self) -> None:
        """Finish the writes already asked for, then close."""

    @abstractmethod
    async def notify(self, channel: str, payload: str) -> None:
        """Tell every listener of ``channel``, in every process sharing the database where
        the backend can, ``payload``."""

    @abstractmethod
    async def listen(self, channel: str, listener: Listener) -> None:
        """Call ``listener`` with each payload notified on ``channel`` from now on."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def run_without_suspending(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a transaction coroutine to its end in one step, on the current thread.

    SQLite's ``Tx`` methods are coroutines that never suspend, so a transaction runs whole on
    the connection's worker thread; anything else awaited there is a bug and is refused.
    """
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: T = finished.value
        return result
    coroutine.close()
    raise StoreError("a SQLite transaction awaited something other than its Tx")


class SqliteTx:
    """A ``Tx`` over a ``sqlite3.Connection``; its coroutines never suspend."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    @property
    def dialect(self) -> Dialect:
        return SQLITE

    async def execute(self, sql: str, *args: Any) -> int:
        return self.raw.execute(sql, args).rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = self.raw.execute(sql, args).fetchone()
        return row

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        rows: list[Row] = self.raw.execute(sql, args).fetchall()
        return rows

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = self.raw.execute(sql, args).fetchone()
        return None if row is None else row[0]

    async def lock_guild(self, guild_id: int) -> None:
        """Nothing to do: BEGIN IMMEDIATE already excludes every other writer."""


def _sync(work: Work[T]) -> Callable[[sqlite3.Connection], T]:
    return lambda raw: run_without_suspending(work(SqliteTx(raw)))


class SqliteDatabase(Database):
    """One connection to the bot's SQLite file, shared by every coroutine of the bot.

    A transaction runs whole on the connection's worker thread (its ``Tx`` calls never
    suspend): the thread's FIFO queue serialises them (it is the write lock),
    a cancelled caller cannot leave one half done, and it costs one thread hop instead of one
    per statement. Writes use ``BEGIN IMMEDIATE`` so that another connection or process on the
    same file waits (up to the busy timeout) instead of racing a check.

    Group commit: writes that arrive while another batch is on the thread are run together in
    one transaction, each inside its own SAVEPOINT. A write that raises is rolled back to its
    savepoint alone; the others commit together, and no caller hears of success before that
    COMMIT. Each write stays atomic; only the cost of committing is shared.
    """

    MAX_BATCH = 64
    dialect = SQLITE

    def __init__(
        self, connection: aiosqlite.Connection, path: Path, clock: Clock, schema_version: int
    ) -> None:
        self._connection = connection
        self.path = path
        self.name = str(path)
        self.clock = clock
        self.schema_version = schema_version
        self._queued: list[_Write[Any]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False
        self._listeners: dict[str, list[Listener]] = {}

    async def notify(self, channel: str, payload: str) -> None:
        """One process owns a SQLite file: its own listeners are all there are."""
        for listener in list(self._listeners.get(channel, ())):
            await listener(payload)

    async def listen(self, channel: str, listener: Listener) -> None:
        self._listeners.setdefault(channel, []).append(listener)

    async def write(self, work: Work[T]) -> T:
        """Run ``work`` atomically in a ``BEGIN IMMEDIATE`` transaction; raise what it raises."""
        if self._closed:
            raise StoreError(f"the database at {self.path} is closed")
        write: _Write[T] = _Write(_sync(work), asyncio.get_running_loop().create_future())
        self._queued.append(write)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name=f"sqlite writes {self.path}")
        return await write.future

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` in a read transaction, so all its queries see one snapshot."""
        if self._closed:
            raise StoreError(f"the database at {self.path} is closed")
        return await self._call(lambda raw: _in_transaction(raw, _sync(work), "BEGIN"))

    async def settled(self) -> None:
        """Wait until the writer has run every write queued so far."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def close(self) -> None:
        """Finish queued writes, let SQLite refresh its planner statistics, and close."""
        self._closed = True
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        try:
            await self._call(lambda raw: raw.execute("PRAGMA optimize"))
        except (StoreError, sqlite3.Error) as error:
            log.warning("PRAGMA optimize failed while closing %s: %s", self.path, error)
        await self._connection.close()

    async def _flush(self) -> None:
        try:
            while self._queued:
                batch = [w for w in self._queued[: self.MAX_BATCH] if not w.future.cancelled()]
                del self._queued[: self.MAX_BATCH]
                if not batch:
                    continue
                try:
                    outcomes = await self._call(partial(_run_batch, works=[w.work for w in batch]))
                except BaseException as error:
                    # The batch as a whole failed (its COMMIT, or the connection): nothing
                    # of it was written.
                    for write in batch:
                        _settle_future(write.future, error)
                    if isinstance(error, asyncio.CancelledError):
                        raise
                    continue
                for write, outcome in zip(batch, outcomes, strict=True):
                    _settle_future(write.future, outcome)
        finally:
            self._flusher = None
            for write in self._queued:
                _settle_future(write.future, StoreError("the database writer stopped"))
            self._queued.clear()

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._connection
        try:
            # aiosqlite offers no public way to run a function on its worker thread; its
            # per-statement calls would cost a thread hop each (about 100 us) and could be
            # interrupted between statements by task cancellation. The versions this works
            # with are pinned in pyproject.toml; every store test fails at once if it breaks.
            result: T = await connection._execute(  # type: ignore[no-untyped-call]
                lambda: work(connection._conn)
            )
            return result
        except ValueError as error:
            if "closed" in str(error) or "no active connection" in str(error):
                raise StoreError(f"the database at {self.path} is closed") from error
            raise


@dataclass
class _Write(Generic[T]):
    work: Callable[[sqlite3.Connection], T]
    future: asyncio.Future[T]


class _Failed:
    """A write of a batch that raised; it was rolled back to its savepoint."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _settle_future(future: asyncio.Future[Any], outcome: object) -> None:
    if future.done():  # the caller was cancelled
        return
    if isinstance(outcome, _Failed):
        future.set_exception(outcome.error)
    elif isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _run_batch(
    raw: sqlite3.Connection, works: list[Callable[[sqlite3.Connection], Any]]
) -> list[Any]:
    """Run each write in its own savepoint of one IMMEDIATE transaction, then commit."""
    outcomes: list[Any] = []
    raw.execute("BEGIN IMMEDIATE")
    try:
        for work in works:
            raw.execute("SAVEPOINT write")
            try:
                outcomes.append(work(raw))
            except Exception as error:
                if not raw.in_transaction:
                    # SQLite abandoned the whole transaction (disk full, I/O error...): the
                    # writes before this one are gone too, and the rest must not run alone.
                    raise
                raw.execute("ROLLBACK TO write")
                outcomes.append(_Failed(error))
            raw.execute("RELEASE write")
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return outcomes


def _in_transaction(
    raw: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], begin: str
) -> T:
    raw.execute(begin)
    try:
        result = work(raw)
        raw.execute("COMMIT")
    except BaseException:
        # SQLite may already have rolled back by itself (e.g. after SQLITE_FULL).
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return result


def _configure(raw: sqlite3.Connection) -> None:
    mode = _switch_to_wal(raw)
    if mode.lower() != "wal":
        raise StoreError(f"SQLite refused WAL mode (journal_mode is {mode})")
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    # In WAL mode NORMAL keeps the database consistent across power loss; only the last
    # commits before the loss may be undone. FULL would fsync on every commit.
    raw.execute("PRAGMA synchronous = NORMAL")


def _switch_to_wal(raw: sqlite3.Connection) -> str:
    """Ask for WAL mode; return the journal mode SQLite settled on.

    Two connections opening a new file at once both read it, then both need its exclusive
    lock to switch: SQLite answers one of them "locked" at once instead of waiting (waiting
    could deadlock, so its busy handler is not called). That one asks again, until the
    busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            return str(raw.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # on the database's own thread, not the event loop


def _migrate(raw: sqlite3.Connection, path: Path, migrations: Sequence[Migration]) -> int:
    """Apply the pending migrations in one transaction and return the resulting version."""
    known = len(migrations)
    # A migration that rebuilds a table (SQLite's only way to change a constraint) drops the
    # old one while other tables still reference it; foreign keys are off meanwhile (a no-op
    # inside a transaction, hence out here) and checked as a whole before the commit.
    raw.execute("PRAGMA foreign_keys = OFF")
    raw.execute("BEGIN IMMEDIATE")
    try:
        found = raw.execute("PRAGMA user_version").fetchone()[0]
        if found > known:
            raise SchemaTooNewError(path, found, known)
        for migration in migrations[found:]:
            for statement in split_statements(migration.sql):
                raw.execute(statement)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"migrating {path} would break {len(broken)} references: {broken[:3]}")
        if found != known:
            raw.execute(f"PRAGMA user_version = {known:d}")
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    finally:
        raw.execute("PRAGMA foreign_keys = ON")
    if found != known:
        log.info("Database %s migrated from schema %d to %d", path, found, known)
    return known


def is_postgres_url(target: Path | str) -> bool:
    """Whether ``target`` names a PostgreSQL database (a postgres:// or postgresql:// URL)."""
    return isinstance(target, str) and target.startswith(("postgres://", "postgresql://"))


async def open_database(
    target: Path | str,
    *,
    clock: Clock | None = None,
    migrations: Iterable[Migration] | None = None,
) -> Database:
    """Open the database and bring its schema up to date.

    ``target`` is a SQLite file (created if needed) or a ``postgresql://`` URL (the database
    must exist; its tables are created). ``migrations`` defaults to the packaged ones of the
    backend; tests pass a prefix to build older schemas. Raises ``SchemaTooNewError`` for a
    database written by a newer bot.
    """
    if is_postgres_url(target):
        from bot.store.postgres import open_postgres

        return await open_postgres(str(target), clock=clock, migrations=migrations)
    return await open_sqlite(Path(target), clock=clock, migrations=migrations)


async def open_sqlite(
    path: Path,
    *,
    clock: Clock | None = None,
    migrations: Iterable[Migration] | None = None,
) -> SqliteDatabase:
    """Open (creating if needed) the SQLite file at ``path`` and migrate it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    steps = load_migrations("sqlite") if migrations is None else list(migrations)
    connection = await aiosqlite.connect(
        path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS, cached_statements=256
    )
    connection.row_factory = sqlite3.Row
    database = SqliteDatabase(connection, path, clock or SystemClock(), schema_version=0)
    try:
        await database._call(_configure)
        database.schema_version = await database._call(lambda raw: _migrate(raw, path, steps))
    except BaseException:
        await connection.close()
        raise
    return database
