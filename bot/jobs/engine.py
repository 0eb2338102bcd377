"""The job engine: hold credits and store, submit, track, show progress, deliver, settle.

Every step reads what the previous one stored, so a restart resumes at any step:
``pending`` (stored with its hold, not yet confirmed by Pika) ->
``submitted``/``queued``/``running``
(polled) -> ``succeeded``/``failed`` (settled) -> delivered (a message id is stored).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord

from bot.jobs.download import DownloadError, discard, download_to_file
from bot.jobs.outlet import DiscordOutlet, MessageTarget
from bot.jobs.scheduler import DueQueue, RateLimiter, next_poll_delay
from bot.pika.errors import PikaError, UnavailableError
from bot.pika.job import Job, JobStatus
from bot.pika.requests import parse_request
from bot.ui import render

log = logging.getLogger(__name__)

ACTIVE = ("pending", "submitted", "queued", "running")
MAX_CONCURRENT_POLLS = 32
DELIVERY_RETRY_SECONDS = 10.0
INVALID_WEBHOOK_TOKEN = 50027
REQUEST_TOO_LARGE = 40005


@dataclass(frozen=True)
class EngineSettings:
    poll_interval: float = 3.0
    polls_per_second: float = 5.0
    edit_interval: float = 3.0
    deadline: timedelta = timedelta(minutes=30)
    default_upload_limit: int = 10 * 1024 * 1024


@dataclass
class _Shown:
    """What the progress message last showed, and when it was edited."""

    signature: tuple[Any, ...] | None = None
    edited_at: float = float("-inf")
    polls: int = 0
    failures: int = 0


class JobEngine:
    """One tracker for every job: a due-time queue, a poll rate limit, throttled edits."""

    def __init__(
        self,
        *,
        store: Any,
        provider: Any,
        outlet: DiscordOutlet,
        http: aiohttp.ClientSession,
        settings: EngineSettings,
        view_for_result: Callable[[Any], discord.ui.View | None],
        now: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.provider = provider
        self.outlet = outlet
        self.http = http
        self.settings = settings
        self.view_for_result = view_for_result
        self.now = now
        self._queue = DueQueue()
        self._limiter = RateLimiter(settings.polls_per_second)
        self._shown: dict[int, _Shown] = {}
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_POLLS)
        self._loop_task: asyncio.Task[None] | None = None
        self._dead_tokens: set[int] = set()
        self._link_only: set[int] = set()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Pick up every job a previous run left unfinished, then start tracking."""
        for record in await self.store.unfinished_jobs():
            self._queue.schedule(record.id, 0)
        log.info("Job engine started; %d unfinished jobs picked up", len(self._queue))
        self._loop_task = asyncio.create_task(self._run(), name="job-tracker")

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def track(self, job_id: int, delay: float = 0.0) -> None:
        self._queue.schedule(job_id, delay)

    async def _run(self) -> None:
        while True:
            try:
                job_id = self._queue.pop_due()
                if job_id is None:
                    await self._queue.wait(timeout=30)
                    continue
                if job_id in self._busy:
                    self._queue.schedule(job_id, 0.5)
                    continue
                wait = self._limiter.try_acquire()
                if wait > 0:
                    self._queue.schedule(job_id, 0)
                    await asyncio.sleep(wait)  # the rate limit itself, not synchronisation
                    continue
                await self._slots.acquire()
                self._busy.add(job_id)
                task = asyncio.create_task(self._step_guarded(job_id), name=f"job-{job_id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Job tracker loop error; continuing")

    async def _step_guarded(self, job_id: int) -> None:
        try:
            await self._step(job_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Job %s: step failed; retrying later", job_id)
            self._queue.schedule(job_id, DELIVERY_RETRY_SECONDS)
        finally:
            self._busy.discard(job_id)
            self._slots.release()

    # -- one step of one job -----------------------------------------------------------------

    async def _step(self, job_id: int) -> None:
        record = await self.store.get_job(job_id)
        if record is None:
            return
        if record.status == "pending":
            await self.submit(record)
            return
        if record.status in ACTIVE:
            await self._poll(record)
            return
        await self._finish(record)

    async def submit(self, record: Any) -> None:
        """Send a stored job to Pika once; a refusal releases the credits and says why."""
        request = parse_request(record.request_json)
        try:
            provider_job_id = await self.provider.submit(request, ref=f"job-{record.id}")
        except UnavailableError as error:
            if error.maybe_submitted:
                log.warning("Job %s: Pika may have taken the request but did not answer", record.id)
            await self._fail(record, "Pika is unavailable right now, so the video was not made.")
            return
        except PikaError as error:
            await self._fail(record, str(error))
            return
        except Exception:
            # A bug, not Pika's answer: whether Pika got the request is unknown, so never resend.
            log.exception("Job %s: submitting failed unexpectedly", record.id)
            await self._fail(record, "Something went wrong sending this to Pika.")
            return
        await self.store.mark_submitted(record.id, provider_job_id)
        log.info(
            "Job %s: submitted to %s as %s (user %s, guild %s)",
            record.id,
            self.provider.name,
            provider_job_id,
            record.owner_id,
            record.guild_id,
        )
        self.track(record.id, self.settings.poll_interval)

    async def _poll(self, record: Any) -> None:
        shown = self._shown.setdefault(record.id, _Shown())
        if self.now() - record.created_at > self.settings.deadline:
            limit = render.format_elapsed(self.settings.deadline.total_seconds())
            await self._fail(
                record,
                f"Pika did not finish this video within {limit}; "
                "it may be overloaded, so try again later.",
            )
            return
        try:
            job: Job = await self.provider.fetch(record.provider_job_id)
        except PikaError as error:
            shown.failures += 1
            delay = min(self.settings.poll_interval * 2 ** min(shown.failures, 5), 60)
            log.warning(
                "Job %s: status check failed (%s); retrying in %.1fs", record.id, error, delay
            )
            self.track(record.id, delay)
            return
        shown.failures = 0
        shown.polls += 1
        if job.status is JobStatus.FAILED:
            await self._fail(record, job.error or "Pika could not make this video.")
            return
        if job.status is JobStatus.SUCCEEDED:
            await self.store.finish_succeeded(
                record.id,
                result_url=job.result_url,
                poster_url=job.poster_url,
                thumbnail_url=job.thumbnail_url,
                duration=job.duration,
                seed=job.seed,
            )
            await self._finish(await self.store.get_job(record.id))
            return
        status = "running" if job.status is JobStatus.RUNNING else "queued"
        await self.store.update_status(
            record.id,
            status,
            progress=job.progress,
            detail=job.detail,
            poster_url=job.poster_url,
            thumbnail_url=job.thumbnail_url,
        )
        record = await self.store.get_job(record.id)
        await self._show_progress(record, shown)
        since = record.submitted_at or record.created_at
        delay = next_poll_delay(
            status,
            job.progress,
            shown.polls,
            self.settings.poll_interval,
            (self.now() - since).total_seconds(),
        )
        if shown.signature != render.progress_signature(self.view(record)):
            # A change is waiting for the edit throttle: come back when it may be shown.
            wait = shown.edited_at + self.settings.edit_interval - time.monotonic()
            delay = min(delay, max(wait, 0.05))
        self.track(record.id, delay)

    async def _show_progress(self, record: Any, shown: _Shown) -> None:
        view = self.view(record)
        signature = render.progress_signature(view)
        if signature == shown.signature:
            return
        if time.monotonic() - shown.edited_at < self.settings.edit_interval:
            return
        target = self.target(record)
        try:
            if not await self.outlet.edit(target, render.progress_embed(view)):
                record = await self._hand_over(record, view)
        except discord.HTTPException as error:
            log.warning("Job %s: progress edit failed (%s)", record.id, error)
            if error.status in (401, 404):
                self._dead_tokens.add(record.id)
                await self._hand_over(record, view)
            return
        shown.signature = signature
        shown.edited_at = time.monotonic()

    async def _hand_over(self, record: Any, view: render.JobView) -> Any:
        """The interaction token is (nearly) dead: continue in the bot's own channel message."""
        target = self.target(record)
        message_id = await self.outlet.post(
            MessageTarget(target.channel_id, None, "channel", None, None, None),
            content=(
                f"<@{record.owner_id}> your video is still being made; progress continues here."
            ),
            embed=render.progress_embed(view),
            reply_to=target.message_id,
        )
        log.info("Job %s: progress continues in channel message %s", record.id, message_id)
        await self.store.set_progress_message(record.id, message_id, kind="channel")
        return await self.store.get_job(record.id)

    # -- the end of a job --------------------------------------------------------------------

    async def _fail(self, record: Any, reason: str) -> None:
        await self.store.finish_failed(record.id, error=reason)
        log.info("Job %s: failed (%s); hold released", record.id, reason)
        await self._finish(await self.store.get_job(record.id))

    async def _finish(self, record: Any) -> None:
        """Deliver a finished job's outcome exactly once, then forget it."""
        if record.delivered:
            self._forget(record.id)
            return
        if record.status == "succeeded":
            await self._deliver_result(record)
        else:
            await self._deliver_failure(record)

    def _forget(self, job_id: int) -> None:
        self._shown.pop(job_id, None)
        self._queue.discard(job_id)
        self._dead_tokens.discard(job_id)
        self._link_only.discard(job_id)

    async def _already_posted(self, record: Any, kind: str) -> bool:
        if record.delivery_attempts == 0:
            return False
        found = await self.outlet.find_posted(record.channel_id, record.id, kind)
        if found is None:
            return False
        await self.store.mark_delivered(record.id, found)
        self._forget(record.id)
        log.info(
            "Job %s: found message %s from before the restart; not posting again", record.id, found
        )
        return True

    async def _deliver_result(self, record: Any) -> None:
        if await self._already_posted(record, "result"):
            return
        view = self.view(record)
        target = self.target(record)
        limit = record.upload_limit or self.settings.default_upload_limit
        if record.id in self._link_only:
            limit = 0
        try:
            downloaded = await download_to_file(self.http, record.result_url, max_bytes=limit)
        except DownloadError as error:
            log.warning("Job %s: %s; retrying", record.id, error)
            self.track(record.id, DELIVERY_RETRY_SECONDS)
            return
        try:
            await self.store.record_delivery_attempt(record.id)
            link_note = None
            if downloaded.path is None:
                size_mb = downloaded.size / (1024 * 1024)
                link_note = (
                    f"[Download the video]({record.result_url}) ({size_mb:.1f} MB is over "
                    "this server's upload limit). The link expires within a day or two, "
                    "so save it soon."
                )
            with contextlib.suppress(discord.HTTPException):
                await self.outlet.edit(target, render.progress_embed(view))
            message_id = await self.outlet.post(
                target,
                content=f"<@{record.owner_id}> your video is ready!",
                embed=render.result_embed(view, link_note=link_note),
                file_path=downloaded.path,
                filename=f"pika-{record.id}.mp4",
                view=self.view_for_result(record),
                reply_to=target.message_id,
            )
        except discord.HTTPException as error:
            self.track(record.id, self._after_post_error(record, error))
            return
        finally:
            discard(downloaded)
        await self.store.mark_delivered(record.id, message_id)
        self._forget(record.id)
        log.info(
            "Job %s: delivered as message %s (user %s, guild %s)",
            record.id,
            message_id,
            record.owner_id,
            record.guild_id,
        )

    async def _deliver_failure(self, record: Any) -> None:
        if await self._already_posted(record, "failure"):
            return
        view = self.view(record)
        target = self.target(record)
        embed = render.failure_embed(view)
        await self.store.record_delivery_attempt(record.id)
        try:
            if await self.outlet.edit(target, embed):
                message_id = target.message_id
            else:
                message_id = await self.outlet.post(
                    target, content=f"<@{record.owner_id}>", embed=embed, reply_to=target.message_id
                )
        except discord.HTTPException as error:
            self.track(record.id, self._after_post_error(record, error))
            return
        await self.store.mark_delivered(record.id, message_id)
        self._forget(record.id)

    # -- views of a stored job -----------------------------------------------------------------

    def _after_post_error(self, record: Any, error: discord.HTTPException) -> float:
        """Learn from a failed post and say when to try again."""
        if error.status == 401 or error.code == INVALID_WEBHOOK_TOKEN:
            # Discord's clock killed the token before ours did: use the channel from now on.
            self._dead_tokens.add(record.id)
            log.info("Job %s: the interaction token is dead; using channel messages", record.id)
            return 0.0
        if error.status == 413 or error.code == REQUEST_TOO_LARGE:
            self._link_only.add(record.id)
            log.info("Job %s: the video is over the upload limit; posting a link", record.id)
            return 0.0
        log.warning("Job %s: posting failed (%s); retrying", record.id, error)
        return DELIVERY_RETRY_SECONDS

    def target(self, record: Any) -> MessageTarget:
        token_dead = record.id in self._dead_tokens
        return MessageTarget(
            channel_id=record.channel_id,
            message_id=record.progress_message_id,
            kind=record.progress_message_kind or "channel",
            application_id=None if token_dead else record.interaction_app_id,
            token=None if token_dead else record.interaction_token,
            token_expires_at=None if token_dead else record.token_expires_at,
        )

    def view(self, record: Any) -> render.JobView:
        request = parse_request(record.request_json)
        end = record.finished_at or self.now()
        return render.JobView(
            job_id=record.id,
            owner_id=record.owner_id,
            operation=record.operation.value,
            prompt=getattr(request, "prompt", None),
            model=getattr(request, "model", None),
            status=record.status.value,
            progress=record.progress,
            detail=record.status_detail,
            poster_url=record.poster_url,
            elapsed_seconds=(end - record.created_at).total_seconds(),
            error=record.error,
            seed=record.seed,
            duration=record.duration,
            cost=record.hold_cost,
        )
