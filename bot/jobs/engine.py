"""The job engine: submit once, track, show progress, deliver, settle.

Every step reads what the previous one stored, so a restart resumes at any step:
``pending`` (stored with its hold) -> ``submitting`` (recorded before the request leaves) ->
``submitted``/``queued``/``running`` (polled) -> ``succeeded``/``failed`` (settled) ->
delivered (a message id is stored). The engine speaks to the store, the provider and the
outlet through typed interfaces (``bot.jobs.ports``); it knows no Discord and no SQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp

from bot.domain.failures import FailureReason
from bot.domain.jobs import JobRecord, ProgressKind
from bot.domain.status import JobStatus, StoredStatus
from bot.jobs.download import DownloadError, discard, download_to_file
from bot.jobs.ports import (
    JobStorePort,
    MessageTarget,
    Outlet,
    OutletError,
    RetryLater,
    TokenDead,
    TooLarge,
    Unreachable,
)
from bot.jobs.scheduler import DueQueue, RateLimiter, next_poll_delay
from bot.jobs.views import JobView, request_of, view_of
from bot.pika.errors import (
    AuthenticationError,
    PikaError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
    UnsupportedOperationError,
)
from bot.pika.job import Job
from bot.pika.provider import PikaProvider

log = logging.getLogger(__name__)

MAX_CONCURRENT_POLLS = 32
DELIVERY_RETRY_SECONDS = 10.0


def ref_for(job_id: int) -> str:
    """The reference a submission carries, so a provider (or a push) can name our job."""
    return f"job-{job_id}"


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

    signature: Hashable | None = None
    edited_at: float = float("-inf")
    polls: int = 0
    failures: int = 0


def _failure_of(error: PikaError) -> tuple[FailureReason, str | None]:
    """Why a submission failed, and the provider's own words where it gave any."""
    if isinstance(error, UnavailableError):
        if error.maybe_submitted:
            return FailureReason.PIKA_NO_ANSWER, None
        return FailureReason.PIKA_UNAVAILABLE, None
    if isinstance(error, AuthenticationError):
        return FailureReason.PIKA_KEY_REFUSED, None
    if isinstance(error, RateLimitedError):
        return FailureReason.PIKA_BUSY, None
    if isinstance(error, UnsupportedOperationError):
        return FailureReason.UNSUPPORTED, str(error)
    if isinstance(error, RejectedError):
        return FailureReason.PIKA_REFUSED, error.reason
    return FailureReason.PIKA_REFUSED, str(error)


class JobEngine:
    """One tracker for every job: a due-time queue, a poll rate limit, throttled edits."""

    def __init__(
        self,
        *,
        store: JobStorePort,
        provider: PikaProvider,
        outlet: Outlet,
        http: aiohttp.ClientSession,
        settings: EngineSettings,
        now: Callable[[], datetime],
        simulated: bool = False,
    ) -> None:
        self.store = store
        self.provider = provider
        self.outlet = outlet
        self.http = http
        self.settings = settings
        self.now = now
        self.simulated = simulated
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
        interrupted = []
        for record in await self.store.unfinished_jobs():
            if record.status is StoredStatus.SUBMITTING:
                interrupted.append(record)
            else:
                self._queue.schedule(record.id, 0)
        for record in interrupted:
            await self._reconcile(record)
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

    def view(self, record: JobRecord) -> JobView:
        return view_of(record, self.now(), simulated=self.simulated)

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
        if record.status is StoredStatus.PENDING:
            await self.submit(record)
        elif record.status is StoredStatus.SUBMITTING:
            return  # being sent right now; its sender tracks it
        elif record.status.active:
            await self._poll(record)
        else:
            await self._finish(record)

    async def submit(self, record: JobRecord) -> None:
        """Send a stored job to Pika, once ever; a refusal releases the credits and says why."""
        if not await self.store.begin_submit(record.id):
            log.info("Job %s: its submission was already started; not sending again", record.id)
            return
        try:
            provider_job_id = await self.provider.submit(request_of(record), ref=ref_for(record.id))
        except PikaError as error:
            code, detail = _failure_of(error)
            if code is FailureReason.PIKA_NO_ANSWER:
                log.warning("Job %s: Pika may have taken it but did not answer", record.id)
            await self._fail(record, code, detail)
            return
        except Exception:
            # A bug, not Pika's answer: whether Pika got the request is unknown, so never resend.
            log.exception("Job %s: submitting failed unexpectedly", record.id)
            await self._fail(record, FailureReason.UNEXPECTED)
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

    async def _reconcile(self, record: JobRecord) -> None:
        """A submission was on its way when the bot stopped: find it, or give the credits back.

        It is never sent again (the owner would pay twice); a provider that can look the job
        up by our reference recovers it, otherwise the job fails with nothing charged.
        """
        try:
            found = await self.provider.recover(ref_for(record.id), request_of(record))
        except PikaError as error:
            log.warning("Job %s: could not look up its lost submission (%s)", record.id, error)
            found = None
        if found is None:
            log.warning("Job %s: the bot stopped while Pika was taking it; releasing", record.id)
            await self._fail(record, FailureReason.SUBMISSION_LOST)
            return
        await self.store.mark_submitted(record.id, found)
        log.info("Job %s: found its submission as %s after the restart", record.id, found)
        self.track(record.id, 0)

    async def _poll(self, record: JobRecord) -> None:
        shown = self._shown.setdefault(record.id, _Shown())
        if self.now() - record.created_at > self.settings.deadline:
            limit = str(int(self.settings.deadline.total_seconds()))
            await self._fail(record, FailureReason.DEADLINE, limit)
            return
        assert record.provider_job_id is not None  # submitted jobs have one
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
            await self._fail(record, FailureReason.PIKA_FAILED, job.error)
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
            await self._finish_by_id(record.id)
            return
        status = StoredStatus.RUNNING if job.status is JobStatus.RUNNING else StoredStatus.QUEUED
        await self.store.update_status(
            record.id,
            status,
            progress=job.progress,
            detail=job.detail,
            poster_url=job.poster_url,
            thumbnail_url=job.thumbnail_url,
        )
        updated = await self.store.get_job(record.id)
        if updated is None:
            return
        await self._show_progress(updated, shown)
        since = updated.submitted_at or updated.created_at
        delay = next_poll_delay(
            status,
            job.progress,
            shown.polls,
            self.settings.poll_interval,
            (self.now() - since).total_seconds(),
        )
        if shown.signature != self.outlet.signature(self.view(updated)):
            # A change is waiting for the edit throttle: come back when it may be shown.
            wait = shown.edited_at + self.settings.edit_interval - time.monotonic()
            delay = min(delay, max(wait, 0.05))
        self.track(record.id, delay)

    async def _show_progress(self, record: JobRecord, shown: _Shown) -> None:
        view = self.view(record)
        signature = self.outlet.signature(view)
        if signature == shown.signature:
            return
        if time.monotonic() - shown.edited_at < self.settings.edit_interval:
            return
        try:
            if not await self.outlet.show_progress(self.target(record), view):
                await self._hand_over(record, view)
        except TokenDead:
            self._dead_tokens.add(record.id)
            await self._hand_over(record, view)
        except (RetryLater, Unreachable) as error:
            log.warning("Job %s: progress edit failed (%s)", record.id, error)
            return
        shown.signature = signature
        shown.edited_at = time.monotonic()

    async def _hand_over(self, record: JobRecord, view: JobView) -> None:
        """The interaction token is (nearly) dead: continue in the bot's own channel message."""
        try:
            message_id = await self.outlet.continue_in_channel(self.target(record), view)
        except OutletError as error:
            log.warning("Job %s: could not continue in the channel (%s)", record.id, error)
            return
        log.info("Job %s: progress continues in channel message %s", record.id, message_id)
        await self.store.set_progress_message(record.id, message_id, ProgressKind.CHANNEL)

    async def announce(self, record: JobRecord, *, reply_to: int | None) -> JobRecord:
        """Show a new job (started by a button) in its channel; return it as stored after."""
        message_id = await self.outlet.announce(
            record.channel_id, self.view(record), reply_to=reply_to
        )
        await self.store.set_progress_message(record.id, message_id, ProgressKind.CHANNEL)
        stored = await self.store.get_job(record.id)
        assert stored is not None
        return stored

    # -- the end of a job --------------------------------------------------------------------

    async def _fail(
        self, record: JobRecord, code: FailureReason, detail: str | None = None
    ) -> None:
        await self.store.finish_failed(record.id, detail, code=code)
        log.info("Job %s: failed (%s%s); hold released", record.id, code.value,
                 f": {detail}" if detail else "")  # fmt: skip
        await self._finish_by_id(record.id)

    async def _finish_by_id(self, job_id: int) -> None:
        record = await self.store.get_job(job_id)
        if record is not None:
            await self._finish(record)

    async def _finish(self, record: JobRecord) -> None:
        """Deliver a finished job's outcome exactly once, then forget it."""
        if record.delivered:
            self._forget(record.id)
            return
        if record.status is StoredStatus.SUCCEEDED:
            await self._deliver_result(record)
        else:
            await self._deliver_failure(record)

    def _forget(self, job_id: int) -> None:
        self._shown.pop(job_id, None)
        self._queue.discard(job_id)
        self._dead_tokens.discard(job_id)
        self._link_only.discard(job_id)

    async def _already_posted(self, record: JobRecord, kind: str) -> bool:
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

    async def _deliver_result(self, record: JobRecord) -> None:
        if await self._already_posted(record, "result"):
            return
        assert record.result_url is not None  # succeeded jobs have one
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
            oversize = downloaded.size if downloaded.path is None else None
            message_id = await self.outlet.post_result(
                self.target(record), self.view(record), downloaded.path, oversize
            )
        except OutletError as error:
            await self._after_post_error(record, error)
            return
        finally:
            discard(downloaded)
        await self._delivered(record, message_id)

    async def _deliver_failure(self, record: JobRecord) -> None:
        if await self._already_posted(record, "failure"):
            return
        await self.store.record_delivery_attempt(record.id)
        try:
            message_id = await self.outlet.post_failure(self.target(record), self.view(record))
        except OutletError as error:
            await self._after_post_error(record, error)
            return
        await self._delivered(record, message_id)

    async def _delivered(self, record: JobRecord, message_id: int | None) -> None:
        await self.store.mark_delivered(record.id, message_id)
        self._forget(record.id)
        log.info(
            "Job %s: delivered as message %s (user %s, guild %s)",
            record.id,
            message_id,
            record.owner_id,
            record.guild_id,
        )

    async def _after_post_error(self, record: JobRecord, error: OutletError) -> None:
        """Learn from a failed post and try again when it can work."""
        if isinstance(error, TokenDead):
            # Discord's clock killed the token before ours did: use the channel from now on.
            self._dead_tokens.add(record.id)
            log.info("Job %s: the interaction token is dead; using channel messages", record.id)
            self.track(record.id, 0)
        elif isinstance(error, TooLarge):
            self._link_only.add(record.id)
            log.info("Job %s: the video is over the upload limit; posting a link", record.id)
            self.track(record.id, 0)
        elif isinstance(error, Unreachable):
            log.warning("Job %s: its channel is gone (%s); giving up delivery", record.id, error)
            await self._delivered(record, None)
        else:
            after = error.after if isinstance(error, RetryLater) else DELIVERY_RETRY_SECONDS
            log.warning("Job %s: posting failed (%s); retrying in %.0fs", record.id, error, after)
            self.track(record.id, after)

    def target(self, record: JobRecord) -> MessageTarget:
        token_dead = record.id in self._dead_tokens
        return MessageTarget(
            channel_id=record.channel_id,
            message_id=record.progress_message_id,
            kind=record.progress_message_kind or ProgressKind.CHANNEL,
            application_id=None if token_dead else record.interaction_app_id,
            token=None if token_dead else record.interaction_token,
            token_expires_at=None if token_dead else record.token_expires_at,
        )
