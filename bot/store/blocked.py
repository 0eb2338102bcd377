"""A server's blocked words, stored in their normalized form."""

from __future__ import annotations

from bot.domain.blocked import MAX_WORDS, BlockedWordsFull, normalize
from bot.store.clock import encode_time
from bot.store.database import Database
from bot.store.sql import Tx


def _normalized(words: list[str]) -> list[str]:
    return list(dict.fromkeys(w for w in (normalize(word) for word in words) if w))


class BlockedWords:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def words(self, guild_id: int) -> list[str]:
        async def work(tx: Tx) -> list[str]:
            rows = await tx.fetchall(
                "SELECT word FROM blocked_words WHERE guild_id = ? ORDER BY word", guild_id
            )
            return [str(row[0]) for row in rows]

        return await self._db.read(work)

    async def add(self, guild_id: int, words: list[str], actor_id: int) -> list[str]:
        """Block ``words``; return those that were not blocked before (normalized)."""
        wanted = _normalized(words)
        now = encode_time(self._db.clock.now())

        async def work(tx: Tx) -> list[str]:
            count = int(
                await tx.fetchval("SELECT count(*) FROM blocked_words WHERE guild_id = ?", guild_id)
            )
            added = []
            for word in wanted:
                changed = await tx.execute(
                    "INSERT INTO blocked_words (guild_id, word, added_by, added_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    guild_id,
                    word,
                    actor_id,
                    now,
                )
                if changed:
                    added.append(word)
            if count + len(added) > MAX_WORDS:
                raise BlockedWordsFull(MAX_WORDS)
            return added

        return await self._db.write(work)

    async def remove(self, guild_id: int, words: list[str]) -> list[str]:
        """Unblock ``words``; return those that were blocked (normalized)."""
        wanted = _normalized(words)

        async def work(tx: Tx) -> list[str]:
            removed = []
            for word in wanted:
                changed = await tx.execute(
                    "DELETE FROM blocked_words WHERE guild_id = ? AND word = ?", guild_id, word
                )
                if changed:
                    removed.append(word)
            return removed

        return await self._db.write(work)
