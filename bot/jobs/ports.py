"""The engine's view of its neighbours: what it needs from the store and from Discord.

The engine is written against these protocols, so it knows neither SQL nor discord.py; the
Discord outlet turns Discord's answers into the outcomes below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.domain.failures import FailureReason
from bot.domain.jobs import JobRecord, ProgressKind
from bot.domain.operations import Operation
from bot.domain.status import StoredStatus
from bot.jobs.views import JobView
from bot.store.policies import GuildSettings


class JobStorePort(Protocol):
    """The job store as the engine uses it (SQLite or PostgreSQL behind it)."""

    async def get_job(self, job_id: int) -> JobRecord | None: ...

    async def unfinished_jobs(self) -> list[JobRecord]: ...

    async def begin_submit(self, job_id: int) -> bool: ...

    async def mark_submitted(self, job_id: int, provider_job_id: str) -> bool: ...

    async def update_status(
        self,
        job_id: int,
        status: StoredStatus,
        *,
        progress: int | None = None,
        detail: str | None = None,
        poster_url: str | None = None,
        thumbnail_url: str | None = None,
    ) -> bool: ...

    async def finish_succeeded(
        self,
        job_id: int,
        *,
        result_url: str | None = None,
        poster_url: str | None = None,
        thumbnail_url: str | None = None,
        duration: float | None = None,
        seed: int | None = None,
    ) -> bool: ...

    async def finish_failed(
        self, job_id: int, error: str | None = None, *, code: FailureReason | None = None
    ) -> bool: ...

    async def set_progress_message(
        self, job_id: int, message_id: int, kind: ProgressKind | str
    ) -> None: ...

    async def record_delivery_attempt(self, job_id: int) -> int: ...

    async def renew_leases(self, owner: str, until: datetime) -> list[int]: ...

    async def claim_jobs(self, owner: str, until: datetime, limit: int = 500) -> list[int]: ...

    async def take_lease(self, job_id: int, owner: str, until: datetime) -> bool: ...

    async def claim_delivery(
        self, job_id: int, owner: str, stale_after: timedelta
    ) -> int | None: ...

    async def mark_delivered(self, job_id: int, message_id: int | None) -> bool: ...

    async def promote_waiting(self, guild_id: int) -> list[int]: ...

    async def waiting_line(self, guild_id: int) -> list[int]: ...

    async def pending_jobs(self, guild_id: int | None = None) -> list[JobRecord]: ...

    async def has_waiting(self, guild_id: int) -> bool: ...

    async def running_jobs(self, guild_id: int) -> list[JobRecord]: ...

    async def guilds_with_waiting_jobs(self) -> list[int]: ...

    async def guild_settings(self, guild_id: int) -> GuildSettings: ...

    async def request_cancel(self, job_id: int, actor_id: int) -> JobRecord | None: ...

    async def finish_cancelled(self, job_id: int, *, charge: bool) -> bool: ...

    async def record_duration(
        self, provider: str, operation: Operation, model: str, seconds: float
    ) -> None: ...

    async def recent_durations(
        self, per_kind: int = 20
    ) -> dict[tuple[str, str, str], list[float]]: ...


@dataclass(frozen=True)
class MessageTarget:
    """The message that shows a job, and how the bot may reach it."""

    channel_id: int
    message_id: int | None
    kind: ProgressKind
    application_id: int | None
    token: str | None
    token_expires_at: datetime | None
    owner_id: int = 0
    direct: bool = False
    """A personal or private job: where a channel message would go, the owner's DM gets it."""
    private: bool = False
    """Only the owner sees it: followups are ephemeral."""


class WakeBus(Protocol):
    """Tells every bot process sharing the database that a job needs a look now (a push came,
    a slot freed); the process holding the job's lease acts on it."""

    async def publish(self, job_id: int, reason: str) -> None: ...

    async def subscribe(self, handler: Callable[[int, str], Awaitable[None]]) -> None: ...


class OutletError(Exception):
    """Discord did not take a post or an edit; the subclass says what to do next."""


class TokenDead(OutletError):
    """The interaction token (or the message itself) no longer works: continue in a new
    channel message of the bot's own."""


class TooLarge(OutletError):
    """The file is over the upload limit: post the poster and a link instead."""


class RetryLater(OutletError):
    """A passing fault (5xx, a network error, a rate limit that outlasted its retries)."""

    def __init__(self, reason: str, after: float = 10.0) -> None:
        super().__init__(reason)
        self.after = after


class Unreachable(OutletError):
    """The channel is gone or the bot lost access to it: nothing can be posted there."""


class Outlet(Protocol):
    """Where a job's messages go; it words and draws them (``bot.ui``)."""

    def signature(self, view: JobView) -> Hashable:
        """What the member would notice changing in the progress message."""
        ...

    async def show_progress(self, target: MessageTarget, view: JobView) -> bool:
        """Edit the progress message; False when it can no longer be edited that way."""
        ...

    async def continue_in_channel(self, target: MessageTarget, view: JobView) -> int:
        """Post the progress as a channel message replying to the old one; return its id."""
        ...

    async def announce(self, channel_id: int, view: JobView, *, reply_to: int | None) -> int:
        """Post a new job's progress in the channel (a button's job); return the message id."""
        ...

    async def post_result(
        self, target: MessageTarget, view: JobView, video: Path | None, oversize: int | None
    ) -> int:
        """Post the finished video with its buttons; return the message id.

        ``video`` None means it was ``oversize`` bytes, over the upload limit: post its poster
        and a link instead.
        """
        ...

    async def post_failure(self, target: MessageTarget, view: JobView) -> int:
        """Say why the job failed, in its message if possible; return the message id."""
        ...

    async def find_posted(self, target: MessageTarget, job_id: int, kind: str) -> int | None:
        """A message the bot already posted for this job (after a crash mid-delivery)."""
        ...
