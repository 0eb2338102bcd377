"""PostgreSQL through an asyncpg pool: each transaction on a connection of its own.

Writes run at READ COMMITTED; a check-then-write takes an explicit lock first: the guild's
transaction-level advisory lock (``Tx.lock_guild``, for quota checks and the queue) or the
job's row (``SELECT ... FOR UPDATE``), so processes sharing the database never both pass one
check. A write that loses a deadlock or a serialization race is rolled back whole by the
server and run again. Reads run in a READ ONLY REPEATABLE READ transaction: one snapshot.

The two hot paths, a new job and a job's status change, are one statement each
(``write_rows``: a call of the store's PL/pgSQL functions, ``bot.store.functions``, batched
under load), sent without BEGIN/COMMIT: one round trip, and the guilds' locks end with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import asyncpg

from bot.store.clock import Clock, SystemClock
from bot.store.database import Database, Listener, Migration, Work, load_migrations
from bot.store.errors import SchemaTooNewError, StoreError
from bot.store.sql import POSTGRES, Dialect, Row, to_dollar

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATION_LOCK = -0x70696B61_6D696772  # "pikamigr": never a guild id (those are positive)
_RETRY_STATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_ATTEMPTS = 5
FUNCTIONS_SCHEMA = 6
"""The schema from which ``pika_create_jobs`` and ``pika_update_jobs`` exist."""


def describe(url: str) -> str:
    """The URL's host, port and database, without user or password (for logs and errors)."""
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
    port = parts.port or parse_qs(parts.query).get("port", [""])[0]
    database = parts.path.lstrip("/") or "?"
    return f"postgresql://{host}{f':{port}' if port else ''}/{database}"


class PostgresTx:
    """A ``Tx`` over one asyncpg connection inside its transaction."""

    __slots__ = ("_connection",)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    @property
    def dialect(self) -> Dialect:
        return POSTGRES

    async def execute(self, sql: str, *args: Any) -> int:
        status: str = await self._connection.execute(to_dollar(sql), *args)
        last = status.rpartition(" ")[2]
        return int(last) if last.isdigit() else 0

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._connection.executemany(to_dollar(sql), list(rows))

    async def fetchone(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = await self._connection.fetchrow(to_dollar(sql), *args)
        return row

    async def fetchall(self, sql: str, *args: Any) -> list[Row]:
        rows: list[Row] = await self._connection.fetch(to_dollar(sql), *args)
        return rows

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._connection.fetchval(to_dollar(sql), *args)

    async def lock_guild(self, guild_id: int) -> None:
        await self._connection.execute("SELECT pg_advisory_xact_lock($1)", guild_id)


class _Started:
    """Whether a write's transaction has begun (a cancelled caller stops it only before)."""

    __slots__ = ("caller", "value")

    def __init__(self, caller: asyncio.Task[Any] | None) -> None:
        self.caller = caller
        self.value = False

    def begin(self) -> None:
        """Mark the write begun, unless its caller was cancelled before (then raise)."""
        if not self.value and self.caller is not None and self.caller.cancelling():
            raise asyncio.CancelledError
        self.value = True


class PostgresDatabase(Database):
    """A pool of connections to one PostgreSQL database."""

    dialect = POSTGRES

    def __init__(self, pool: asyncpg.Pool, name: str, clock: Clock, schema_version: int) -> None:
        self._pool = pool
        self.name = name
        self.clock = clock
        self.schema_version = schema_version
        self.functions = schema_version >= FUNCTIONS_SCHEMA
        self._writes: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._listener_connection: asyncpg.Connection | None = None
        self._heard: list[tuple[str, Any]] = []

    async def write(self, work: Work[T]) -> T:
        return await self._submit(work, in_transaction=True)

    async def write_rows(self, sql: str, *args: Any) -> list[Row]:
        return await self._submit(lambda tx: tx.fetchall(sql, *args), in_transaction=False)

    async def _submit(self, work: Work[T], *, in_transaction: bool) -> T:
        self._check_open()
        started = _Started(asyncio.current_task())
        task = asyncio.create_task(self._write(work, started, in_transaction))
        self._writes.add(task)
        task.add_done_callback(_forget(self._writes))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not started.value:
                task.cancel()
            raise

    async def _write(self, work: Work[T], started: _Started, in_transaction: bool) -> T:
        async with self._pool.acquire() as connection:
            for attempt in range(1, _ATTEMPTS + 1):
                started.begin()
                try:
                    if not in_transaction:  # one statement: its own transaction
                        return await work(PostgresTx(connection))
                    async with connection.transaction():
                        return await work(PostgresTx(connection))
                except asyncpg.PostgresError as error:
                    if error.sqlstate not in _RETRY_STATES or attempt == _ATTEMPTS:
                        raise
                    log.debug("write lost a race (%s), attempt %d; again", error.sqlstate, attempt)
        raise AssertionError("unreachable")

    async def read_rows(self, sql: str, *args: Any) -> list[Row]:
        self._check_open()
        rows: list[Row] = await self._pool.fetch(to_dollar(sql), *args)
        return rows

    async def read(self, work: Work[T]) -> T:
        self._check_open()
        async with (
            self._pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            return await work(PostgresTx(connection))

    async def settled(self) -> None:
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._listener_connection is not None:
            for channel, callback in self._heard:
                await self._listener_connection.remove_listener(channel, callback)
            self._heard.clear()
            # The pool skips asyncpg's reset on release (_keep_session): say UNLISTEN here.
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await self._listener_connection.execute("UNLISTEN *")
            await self._pool.release(self._listener_connection)
            self._listener_connection = None
        await self.settled()
        try:
            await asyncio.wait_for(self._pool.close(), timeout=10)
        except TimeoutError:
            log.warning("Connections to %s did not close in time; cut them", self.name)
            self._pool.terminate()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the database at {self.name} is closed")

    async def notify(self, channel: str, payload: str) -> None:
        """NOTIFY every process listening on ``channel`` (this one included)."""
        self._check_open()
        await self._pool.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def listen(self, channel: str, listener: Listener) -> None:
        """LISTEN on a connection of its own (a pooled one would lose its LISTEN on release).

        If the server drops that connection (a restart, a failover), the listening starts
        again on a new one; notices sent in between are lost, and the jobs they were about
        are found by the trackers' polls instead.
        """
        self._check_open()
        tasks = self._writes  # kept until done, so a listener's work is not garbage collected

        def heard(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            task = asyncio.create_task(listener(payload))
            tasks.add(task)
            task.add_done_callback(_forget(tasks))

        self._heard.append((channel, heard))
        if self._listener_connection is None:
            await self._connect_listener()
        else:
            await self._listener_connection.add_listener(channel, heard)

    async def _connect_listener(self) -> None:
        connection = await self._pool.acquire()
        try:
            for channel, callback in self._heard:
                await connection.add_listener(channel, callback)
        except BaseException:
            await self._discard(connection)
            raise
        if self._closed:  # closed while this connected: nothing to listen for any more
            await self._discard(connection)
            return
        connection.add_termination_listener(self._listener_lost)
        self._listener_connection = connection

    async def _discard(self, connection: asyncpg.Connection) -> None:
        connection.terminate()  # never back to the pool half listening
        await self._pool.release(connection)

    def _listener_lost(self, connection: object) -> None:
        if self._closed or connection is not self._listener_connection:
            return
        log.warning("Lost the connection listening to %s for wake-ups; listening again", self.name)
        self._listener_connection = None
        task = asyncio.create_task(self._listen_again(connection))
        self._writes.add(task)
        task.add_done_callback(_forget(self._writes))

    async def _listen_again(self, lost: Any) -> None:
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            await self._pool.release(lost)  # the pool replaces a closed connection
        delay = 0.5
        while not self._closed and self._listener_connection is None:
            try:
                await self._connect_listener()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
                log.warning(
                    "Cannot listen to %s yet (%s); again in %.1f s", self.name, error, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
                continue
            log.info("Listening to %s for wake-ups again", self.name)


def _forget(tasks: set[asyncio.Task[Any]]) -> Any:
    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()  # a caller that was cancelled no longer hears of it

    return done


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to undo when a connection goes back to the pool (asyncpg's own reset, one
    more round trip per transaction, would drop session state the store never sets: its
    locks end with their transactions, and it sets no session variables and listens on no
    pooled connection). An unfinished transaction is still rolled back by asyncpg first."""


async def _migrate(
    connection: asyncpg.Connection, name: str, migrations: Sequence[Migration]
) -> int:
    """Apply the pending migrations in one transaction and return the resulting version.

    The transaction-level advisory lock makes processes that start together migrate once.
    """
    known = len(migrations)
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
            "DEFAULT now())"
        )
        found = await connection.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        if found > known:
            raise SchemaTooNewError(name, found, known)
        for migration in migrations[found:]:
            # No arguments: the simple query protocol runs the whole script, dollar-quoted
            # function bodies and all.
            await connection.execute(migration.sql)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
    if found != known:
        log.info("Database %s migrated from schema %d to %d", name, found, known)
    return known


async def open_postgres(
    url: str,
    *,
    clock: Clock | None = None,
    migrations: Iterable[Migration] | None = None,
    min_size: int = 2,
    max_size: int = 10,
) -> PostgresDatabase:
    """Connect a pool to the database at ``url`` and migrate it."""
    name = describe(url)
    steps = load_migrations("postgres") if migrations is None else list(migrations)
    try:
        pool = await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, reset=_keep_session
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise StoreError(f"cannot connect to {name}: {error}") from error
    try:
        async with pool.acquire() as connection:
            version = await _migrate(connection, name, steps)
    except BaseException:
        pool.terminate()
        raise
    log.info("Database: %s, schema %d", name, version)
    return PostgresDatabase(pool, name, clock or SystemClock(), version)
