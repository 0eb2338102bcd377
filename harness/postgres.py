"""A throwaway PostgreSQL server for tests and benchmarks: initdb + pg_ctl in a temp dir.

It listens on a Unix socket only (no TCP port to collide with), with durability off (fsync,
synchronous_commit): it is thrown away at the end. initdb refuses to run as root, so as root
the server runs as the ``postgres`` system user (or ``nobody``).

``find_binaries()`` says where ``initdb`` and ``pg_ctl`` are, or None. Tests skip when they are
missing, unless ``POSTGRES_REQUIRE=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

REQUIRE_ENV = "POSTGRES_REQUIRE"
SUPERUSER = "postgres"


def find_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (``POSTGRES_BIN``, PATH, then Debian's)."""
    candidates = []
    if os.environ.get("POSTGRES_BIN"):
        candidates.append(Path(os.environ["POSTGRES_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    candidates.extend(Path(p) for p in debian)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def required() -> bool:
    """Whether a missing PostgreSQL must fail the run instead of skipping its tests."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def _run_as() -> str | None:
    """The unprivileged user to run the server as when we are root; None when not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root, and there is no postgres or nobody user for initdb")


class PostgresServer:
    """One PostgreSQL cluster in a temp dir; ``url(name)`` connects to one of its databases."""

    def __init__(self, binaries: Path, folder: Path | None = None) -> None:
        self.binaries = binaries
        self._own_folder = folder is None
        self.folder = folder or Path(tempfile.mkdtemp(prefix="pika-pg-"))
        self.data = self.folder / "data"
        self.socket_dir = self.folder
        self.port = 5432
        self._user = _run_as()
        self.running = False

    def _command(self, *args: str) -> list[str]:
        if self._user is None:
            return list(args)
        return ["runuser", "-u", self._user, "--", *args]

    def start(self) -> None:
        """initdb, then start the server and wait until it accepts connections."""
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            self._command(
                str(self.binaries / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        options = " ".join(
            [
                "-c listen_addresses=''",
                f"-c unix_socket_directories='{self.socket_dir}'",
                f"-p {self.port}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=300",
                "-c shared_buffers=32MB",
            ]
        )
        subprocess.run(
            self._command(
                str(self.binaries / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.running = True

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        if self.running:
            subprocess.run(
                self._command(
                    str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
                ),
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.running = False
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for ``database`` over the Unix socket."""
        return (
            f"postgresql://{SUPERUSER}@/{quote(database)}"
            f"?host={quote(str(self.socket_dir))}&port={self.port}"
        )

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class Databases:
    """Databases of one server for the tests of one process (one pytest-xdist worker).

    ``shared()`` is one database reused by every test of the process: the store migrates it
    on first open, and ``empty()`` truncates every table but the migration record between
    tests (much faster than a database per test). ``fresh()`` makes a new empty database, for
    tests of migrations themselves.
    """

    def __init__(self, server: PostgresServer, prefix: str) -> None:
        self.server = server
        self.prefix = "".join(c if c.isalnum() else "_" for c in prefix).lower()
        self._count = 0
        self._shared: str | None = None

    async def _admin(self, sql: str, database: str = "postgres") -> None:
        import asyncpg

        connection = await asyncpg.connect(self.server.url(database))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def fresh(self) -> str:
        """A new, empty database; return its URL."""
        self._count += 1
        name = f"{self.prefix}_{self._count}"
        await self._admin(f'DROP DATABASE IF EXISTS "{name}"')
        await self._admin(f'CREATE DATABASE "{name}"')
        return self.server.url(name)

    async def shared(self) -> str:
        """The process's reusable database (created on first use); return its URL."""
        if self._shared is None:
            self._shared = f"{self.prefix}_shared"
            await self._admin(f'DROP DATABASE IF EXISTS "{self._shared}"')
            await self._admin(f'CREATE DATABASE "{self._shared}"')
        return self.server.url(self._shared)

    async def empty(self) -> None:
        """Empty every table of the shared database (kept migrated), ids from 1 again."""
        if self._shared is not None:
            await self._admin(TRUNCATE_SQL, self._shared)


TRUNCATE_SQL = """
DO $$
DECLARE
    names text;
BEGIN
    SELECT string_agg(format('%I', tablename), ', ') INTO names
    FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations';
    IF names IS NOT NULL THEN
        SET LOCAL session_replication_role = replica;
        EXECUTE 'TRUNCATE ' || names || ' RESTART IDENTITY CASCADE';
    END IF;
END
$$;
"""
"""Empty every table of the bot (not the migration record), triggers off, ids from 1 again."""
