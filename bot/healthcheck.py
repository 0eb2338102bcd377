"""``python -m bot.healthcheck``: exit 0 when the bot says it is healthy.

Asks the bot's own ``GET /healthz`` (gateway connected, database answering) at
``HTTP_LISTEN``; when the HTTP server is off, checks that the database answers (the
PostgreSQL database at ``DATABASE_URL``, else the SQLite file at ``DATABASE_PATH``).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import urllib.error
import urllib.request


def main() -> int:
    listen = os.environ.get("HTTP_LISTEN", "127.0.0.1:8088").strip()
    if listen.lower() != "off":
        host, _, port = listen.rpartition(":")
        if host in ("0.0.0.0", "::", "[::]", ""):
            host = "127.0.0.1"
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=4) as answer:
                return 0 if answer.status == 200 else 1
        except urllib.error.HTTPError as error:
            print(f"unhealthy: /healthz answered {error.code}", file=sys.stderr)
            return 1
        except OSError as error:
            print(f"unhealthy: {error}", file=sys.stderr)
            return 1
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return _check_postgres(url)
    path = os.environ.get("DATABASE_PATH", "data/bot.sqlite3")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=3) as connection:
            connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    return 0


def _check_postgres(url: str) -> int:
    import asyncpg

    from bot.store.postgres import describe

    async def ask() -> None:
        connection = await asyncpg.connect(url, timeout=3)
        try:
            await connection.fetchval("SELECT 1")
        finally:
            await connection.close()

    try:
        asyncio.run(asyncio.wait_for(ask(), timeout=4))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        print(f"unhealthy: {describe(url)}: {type(error).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
