"""A server's blocked words, stored in their normalized form."""

from __future__ import annotations

import sqlite3

from bot.domain.blocked import MAX_WORDS, normalize
from bot.store.database import Database


class BlockedWordsFull(Exception):
    """The server already blocks ``MAX_WORDS`` words."""


class BlockedWords:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def words(self, guild_id: int) -> list[str]:
        def work(raw: sqlite3.Connection) -> list[str]:
            rows = raw.execute(
                "SELECT word FROM blocked_words WHERE guild_id = ? ORDER BY word", (guild_id,)
            ).fetchall()
            return [str(row[0]) for row in rows]

        return await self._db.read(work)

    async def add(self, guild_id: int, words: list[str], actor_id: int) -> list[str]:
        """Block ``words``; return those that were not blocked before (normalized)."""
        wanted = list(dict.fromkeys(w for w in (normalize(word) for word in words) if w))
        now = self._db.clock.now().isoformat()

        def work(raw: sqlite3.Connection) -> list[str]:
            (count,) = raw.execute(
                "SELECT count(*) FROM blocked_words WHERE guild_id = ?", (guild_id,)
            ).fetchone()
            added = []
            for word in wanted:
                cursor = raw.execute(
                    "INSERT INTO blocked_words (guild_id, word, added_by, added_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (guild_id, word, actor_id, now),
                )
                if cursor.rowcount:
                    added.append(word)
            if count + len(added) > MAX_WORDS:
                raise BlockedWordsFull(MAX_WORDS)
            return added

        return await self._db.write(work)

    async def remove(self, guild_id: int, words: list[str]) -> list[str]:
        """Unblock ``words``; return those that were blocked (normalized)."""
        wanted = list(dict.fromkeys(w for w in (normalize(word) for word in words) if w))

        def work(raw: sqlite3.Connection) -> list[str]:
            removed = []
            for word in wanted:
                cursor = raw.execute(
                    "DELETE FROM blocked_words WHERE guild_id = ? AND word = ?", (guild_id, word)
                )
                if cursor.rowcount:
                    removed.append(word)
            return removed

        return await self._db.write(work)
