"""The end of a job: its video (or why it failed, or that it was cancelled), posted once.

Before posting the engine counts a delivery attempt; after a crash it first looks for a message
with the job's footer in the channel, so a result is posted exactly once.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import aiohttp

from bot import metrics
from bot.domain.jobs import JobRecord
from bot.domain.status import StoredStatus
from bot.jobs.download import DownloadError, discard, download_to_file
from bot.jobs.ports import OutletError, RetryLater, TokenDead, TooLarge, Unreachable

if TYPE_CHECKING:
    from bot.jobs.engine import JobEngine

log = logging.getLogger(__name__)

RETRY_SECONDS = 10.0


class Delivery:
    """Posts each finished job's outcome through the engine's outlet."""

    def __init__(self, engine: JobEngine, http: aiohttp.ClientSession) -> None:
        self._engine = engine
        self._http = http
        self._link_only: set[int] = set()

    def forget(self, job_id: int) -> None:
        self._link_only.discard(job_id)

    async def finish(self, record: JobRecord) -> None:
        """Deliver a finished job's outcome exactly once, then forget it."""
        if record.delivered:
            self._engine.forget(record.id)
            return
        if record.status is StoredStatus.SUCCEEDED:
            await self._deliver_result(record)
        elif record.status is StoredStatus.CANCELLED:
            await self._deliver_cancel(record)
        else:
            await self._deliver_failure(record)

    async def _already_posted(self, record: JobRecord, kind: str) -> bool:
        if record.delivery_attempts == 0:
            return False
        found = await self._engine.outlet.find_posted(self._engine.target(record), record.id, kind)
        if found is None:
            return False
        await self._delivered(record, found)
        log.info(
            "Job %s: found message %s from before the restart; not posting again", record.id, found
        )
        return True

    async def _deliver_result(self, record: JobRecord) -> None:
        if await self._already_posted(record, "result"):
            return
        assert record.result_url is not None  # succeeded jobs have one
        engine = self._engine
        limit = record.upload_limit or engine.settings.default_upload_limit
        if record.id in self._link_only:
            limit = 0
        if not await self._claim(record):
            return
        try:
            downloaded = await download_to_file(self._http, record.result_url, max_bytes=limit)
        except DownloadError as error:
            log.warning("Job %s: %s; retrying", record.id, error)
            engine.track(record.id, RETRY_SECONDS)
            return
        try:
            oversize = downloaded.size if downloaded.path is None else None
            message_id = await engine.outlet.post_result(
                engine.target(record), engine.view(record), downloaded.path, oversize
            )
        except OutletError as error:
            await self._after_post_error(record, error)
            return
        finally:
            discard(downloaded)
        seen = engine.finished_seen(record.id)
        if seen is not None:
            metrics.FINISH_TO_POSTED.observe(time.monotonic() - seen)
        await self._delivered(record, message_id)

    async def _deliver_failure(self, record: JobRecord) -> None:
        if await self._already_posted(record, "failure"):
            return
        engine = self._engine
        if not await self._claim(record):
            return
        try:
            message_id = await engine.outlet.post_failure(
                engine.target(record), engine.view(record)
            )
        except OutletError as error:
            await self._after_post_error(record, error)
            return
        await self._delivered(record, message_id)

    async def _deliver_cancel(self, record: JobRecord) -> None:
        """A cancelled job is never posted: its progress message says it was stopped."""
        engine = self._engine
        try:
            shown = await engine.outlet.show_progress(engine.target(record), engine.view(record))
        except TokenDead:
            shown = False
        except OutletError as error:
            if isinstance(error, RetryLater):
                engine.track(record.id, error.after)
                return
            shown = False
        await self._delivered(record, record.progress_message_id if shown else None)

    async def _claim(self, record: JobRecord) -> bool:
        """Claim the posting in the database, so no two processes post one outcome even if
        both believe they hold the job; a claim older than a lease can be taken over."""
        engine = self._engine
        stale = timedelta(seconds=engine.settings.lease_seconds)
        attempt = await engine.store.claim_delivery(record.id, engine.owner, stale)
        if attempt is None:
            # Look again once that claim could be stale: by then it was posted (and this
            # finds it delivered), or its process died mid-post and this one takes over. The
            # job stays this process's (its lease is renewed): forgetting it here left it
            # unposted for good when the claimant had been killed.
            log.info("Job %s: another process is posting it; looking again later", record.id)
            engine.track(record.id, engine.settings.lease_seconds)
            return False
        return True

    async def _delivered(self, record: JobRecord, message_id: int | None) -> None:
        await self._engine.store.mark_delivered(record.id, message_id)
        self._engine.forget(record.id)
        log.info(
            "Job %s: delivered as message %s (user %s, guild %s)",
            record.id,
            message_id,
            record.owner_id,
            record.guild_id,
        )

    async def _after_post_error(self, record: JobRecord, error: OutletError) -> None:
        """Learn from a failed post and try again when it can work."""
        engine = self._engine
        if isinstance(error, TokenDead):
            # Discord's clock killed the token before ours did: use the channel from now on.
            engine.mark_token_dead(record.id)
            log.info("Job %s: the interaction token is dead; using channel messages", record.id)
            engine.track(record.id, 0)
        elif isinstance(error, TooLarge):
            self._link_only.add(record.id)
            log.info("Job %s: the video is over the upload limit; posting a link", record.id)
            engine.track(record.id, 0)
        elif isinstance(error, Unreachable):
            log.warning("Job %s: its channel is gone (%s); giving up delivery", record.id, error)
            await self._delivered(record, None)
        else:
            after = error.after if isinstance(error, RetryLater) else RETRY_SECONDS
            log.warning("Job %s: posting failed (%s); retrying in %.0fs", record.id, error, after)
            engine.track(record.id, after)
