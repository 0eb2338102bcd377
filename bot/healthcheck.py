"""``python -m bot.healthcheck``: exit 0 when the bot's database opens and answers."""

from __future__ import annotations

import os
import sqlite3
import sys


def main() -> int:
    path = os.environ.get("DATABASE_PATH", "data/bot.sqlite3")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=3) as connection:
            connection.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
