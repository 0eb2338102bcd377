"""Wake-ups between the bot processes sharing one database (LISTEN/NOTIFY on PostgreSQL).

A push may reach any process, while the job is carried by the one holding its lease: the
receiver publishes the job's id and every process hears it; the holder looks at the job at
once. On SQLite (one process) the notice goes to this process's own listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.store.database import Database

log = logging.getLogger(__name__)

CHANNEL = "pika_jobs"

Handler = Callable[[int, str], Awaitable[None]]


class DatabaseWakeBus:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._handlers: list[Handler] = []
        self._listening = False

    async def publish(self, job_id: int, reason: str) -> None:
        await self._db.notify(CHANNEL, f"{job_id} {reason}")

    async def subscribe(self, handler: Handler) -> None:
        self._handlers.append(handler)
        if not self._listening:
            self._listening = True
            await self._db.listen(CHANNEL, self._heard)

    async def _heard(self, payload: str) -> None:
        job, _, reason = payload.partition(" ")
        if not job.isdigit():
            log.warning("Ignoring a wake-up that names no job: %r", payload[:80])
            return
        for handler in list(self._handlers):
            await handler(int(job), reason)
