"""The job engine: queue fairly, submit once, track, show progress, deliver, settle.

Every step reads what the previous one stored, so a restart resumes at any step:
``waiting`` (in the server's queue) -> ``pending`` (a slot, never sent) -> ``submitting``
(recorded before the request leaves) -> ``submitted``/``queued``/``running`` (polled, or woken
by a push) -> ``succeeded``/``failed``/``cancelled`` (settled) -> delivered. The engine speaks
to the store, the provider and the outlet through typed interfaces (``bot.jobs.ports``); it
knows no Discord and no SQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import aiohttp

from bot import metrics
from bot.domain.failures import FailureReason
from bot.domain.jobs import PERSONAL_SCOPE, JobRecord, ProgressKind
from bot.domain.status import SUBMITTED, JobStatus, StoredStatus
from bot.jobs.delivery import Delivery
from bot.jobs.eta import DurationModel
from bot.jobs.ports import (
    JobStorePort,
    MessageTarget,
    Outlet,
    OutletError,
    TokenDead,
    WakeBus,
)
from bot.jobs.push import WebhookSigner
from bot.jobs.scheduler import DueQueue, PollBudget, Priority, next_poll_delay
from bot.jobs.views import JobView, Outlook, request_of, view_of
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
from bot.pika.requests import model_of

log = logging.getLogger(__name__)

MAX_CONCURRENT_STEPS = 32
DELIVERY_RETRY_SECONDS = 10.0
END_MARGIN_SECONDS = 0.3
"""How long after a job's estimated end its first look comes (a job seldom ends early)."""
REFRESH_SECONDS = 10.0
"""With push, how often a job's message is redrawn (its time left) between the rare polls."""


def ref_for(job_id: int) -> str:
    """The reference a submission carries, so a provider (or a push) can name our job."""
    return f"job-{job_id}"


@dataclass(frozen=True)
class EngineSettings:
    poll_interval: float = 3.0
    polls_per_second: float = 50.0
    """The ceiling of the adaptive poll budget."""
    poll_floor: float = 1.0
    edit_interval: float = 3.0
    deadline: timedelta = timedelta(minutes=30)
    default_upload_limit: int = 10 * 1024 * 1024
    fallback_poll: float = 30.0
    """With pushes, the slow safety-net interval between polls once the estimated end passed."""
    push_recovery: timedelta = timedelta(minutes=5)
    """With pushes, how long a submission whose answer was lost waits for a push naming it."""
    lease_seconds: float = 30.0
    """How long a job stays this process's after its last renewal; another takes it after."""
    instance: str = "main"
    """This process's name in the leases; a restarted process takes its own jobs back at once."""


class CancelOutcome(StrEnum):
    REMOVED = "removed"
    """It had not reached Pika: removed, its hold released."""
    RELEASED = "released"
    """Pika confirmed it stopped it: never posted, its hold released."""
    CHARGED = "charged"
    """Pika makes it anyway (no cancel there): never posted, its hold charged."""
    FINISHED = "finished"
    """It had already finished: nothing to stop."""


@dataclass
class _Shown:
    """What the progress message last showed, and what the tracker knows of the job."""

    signature: Hashable | None = None
    edited_at: float = float("-inf")
    polls: int = 0
    failures: int = 0
    finished_seen: float | None = None
    """When the bot learned the job finished (monotonic), for the latency it reports."""
    look_at: float | None = None
    """With push: when the next safety-net poll is due (monotonic)."""


@dataclass
class _Line:
    """A server's queue as last computed: each waiting job's place and expected start."""

    positions: dict[int, int] = field(default_factory=dict)
    starts_in: dict[int, float] = field(default_factory=dict)


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
    """One tracker for every job: a prioritised due queue, an adaptive poll budget, throttled
    edits, a fair queue per server, pushes as hints, and cancel."""

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
        signer: WebhookSigner | None = None,
        wakes: WakeBus | None = None,
    ) -> None:
        self.store = store
        self.provider = provider
        self.outlet = outlet
        self.settings = settings
        self.now = now
        self.simulated = simulated
        self.signer = signer
        """Set when pushes are configured: submissions carry a webhook URL, polls back off."""
        self.durations = DurationModel(store.record_duration)
        self.budget = PollBudget(settings.polls_per_second, floor=settings.poll_floor)
        self._queue = DueQueue()
        self._shown: dict[int, _Shown] = {}
        self._lines: dict[int, _Line] = {}
        self._busy: set[int] = set()
        self._sending: dict[int, asyncio.Event] = {}
        self._confirming: set[int] = set()
        self._refresh: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_STEPS)
        self._loop_task: asyncio.Task[None] | None = None
        self._dead_tokens: set[int] = set()
        self._held: set[int] = set()
        """The jobs this process holds a lease on; only those it steps."""
        self._lease_task: asyncio.Task[None] | None = None
        self.wakes = wakes
        self.delivery = Delivery(self, http)

    @property
    def push(self) -> bool:
        return self.signer is not None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def owner(self) -> str:
        return self.settings.instance

    def lease_until(self) -> datetime:
        return self.now() + timedelta(seconds=self.settings.lease_seconds)

    async def start(self) -> None:
        """Pick up the unfinished jobs this process held before a restart and those nobody
        holds, then start tracking (and keep the leases alive)."""
        self.durations.load(await self.store.recent_durations())
        held = set(await self.store.renew_leases(self.owner, self.lease_until()))
        held |= set(await self.store.claim_jobs(self.owner, self.lease_until(), limit=100_000))
        await self._take_up(held, every_queue=True)
        log.info("Job engine started; %d unfinished jobs picked up", len(self._held))
        if self.wakes is not None:
            await self.wakes.subscribe(self._woken)
        self._loop_task = asyncio.create_task(self._run(), name="job-tracker")
        self._lease_task = asyncio.create_task(self._keep_leases(), name="job-leases")

    async def _take_up(self, job_ids: set[int], *, every_queue: bool = False) -> None:
        """Start carrying jobs just leased: a restart's, or a dead process's (and, at start,
        let every server's queue move)."""
        fresh = job_ids - self._held
        self._held |= fresh
        if not fresh and not every_queue:
            return
        interrupted = []
        guilds = set()
        for record in await self.store.unfinished_jobs():
            if record.id not in fresh:
                continue
            if record.status is StoredStatus.SUBMITTING and record.id not in self._sending:
                interrupted.append(record)
            elif record.status is StoredStatus.WAITING:
                guilds.add(record.guild_id)
            else:
                self._queue.schedule(record.id, 0)
        for record in interrupted:
            await self._reconcile(record)
        if every_queue:
            guilds |= set(await self.store.guilds_with_waiting_jobs())
        for guild_id in guilds:
            await self.queue_changed(guild_id)

    async def _keep_leases(self) -> None:
        """Renew this process's leases, drop those it lost, take over the expired ones."""
        every = self.settings.lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            try:
                before = set(self._held)
                renewed = set(await self.store.renew_leases(self.owner, self.lease_until()))
                for job_id in before - renewed:
                    if job_id in self._held:
                        # Finished and delivered (left the unfinished set), or taken over
                        # while this process stalled: either way no longer ours to step.
                        self._held.discard(job_id)
                        self.forget(job_id)
                taken = await self.store.claim_jobs(self.owner, self.lease_until())
                if taken:
                    log.info("Took over %d jobs whose process stopped renewing them", len(taken))
                    await self._take_up(set(taken))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Lease renewal failed; retrying")

    async def hold(self, job_id: int, reason: str = "look") -> bool:
        """Lease a job this process is about to act on (a new one, or one a slot freed);
        False when a live process holds it (that one is woken with ``reason``)."""
        if job_id in self._held:
            return True
        if await self.store.take_lease(job_id, self.owner, self.lease_until()):
            self._held.add(job_id)
            return True
        if self.wakes is not None:
            await self.wakes.publish(job_id, reason)
        return False

    async def _woken(self, job_id: int, reason: str) -> None:
        """Another process (or this one) says a job of ours needs a look now."""
        if job_id not in self._held:
            return
        if reason == "push":
            self._confirming.add(job_id)
        self.track(job_id, 0, Priority.NOW)

    async def stop(self) -> None:
        for task in (self._lease_task, self._loop_task):
            if task is None:
                continue
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def track(self, job_id: int, delay: float = 0.0, priority: Priority = Priority.NOW) -> None:
        if job_id in self._confirming:
            # A push is waiting for its GET: nothing scheduled meanwhile may postpone it.
            delay, priority = 0.0, Priority.NOW
        self._queue.schedule(job_id, delay, priority)

    def in_flight(self) -> int:
        """Jobs the tracker is looking after now."""
        return len(self._queue) + len(self._busy)

    # -- what a message shows ----------------------------------------------------------------

    def view(self, record: JobRecord) -> JobView:
        return view_of(record, self.now(), simulated=self.simulated, outlook=self._outlook(record))

    def _outlook(self, record: JobRecord) -> Outlook | None:
        """Where the job stands: its place in the queue and when it should start or end."""
        if record.status is StoredStatus.WAITING:
            line = self._lines.get(record.guild_id)
            if line is None or record.id not in line.positions:
                return None
            return Outlook(ahead=line.positions[record.id], seconds=line.starts_in.get(record.id))
        if record.status.active:
            started = record.submitted_at or record.started_at or record.created_at
            left = self.expected_seconds(record) - (self.now() - started).total_seconds()
            return Outlook(ahead=None, seconds=max(0.0, left), overrun=left <= 0)
        return None

    def expected_seconds(self, record: JobRecord) -> float:
        """How long a job of this kind takes, from the latest ones."""
        model = model_of(request_of(record))
        return self.durations.estimate(
            record.provider, record.operation, model.value if model else None
        ).seconds

    # -- the loop ------------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                ready = self._queue.peek_ready()
                if ready is None:
                    await self._queue.wait(timeout=30)
                    continue
                job_id, priority = ready
                if job_id in self._busy:
                    self._queue.schedule(job_id, 0.25, priority)
                    continue
                if priority.polls:
                    wait = self.budget.try_acquire()
                    if wait > 0:
                        # The budget itself; something that needs no poll may come meanwhile.
                        await self._queue.wait_for_change(timeout=wait)
                        continue
                self._queue.pop_ready()
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

    async def _step(self, job_id: int) -> None:
        if job_id not in self._held:
            return  # another process carries it
        record = await self.store.get_job(job_id)
        if record is None:
            return
        if record.cancel_requested_at is not None and not record.finished:
            await self._carry_out_cancel(record)
        elif record.status is StoredStatus.WAITING:
            await self._show_progress(record, self._shown.setdefault(record.id, _Shown()))
        elif record.status is StoredStatus.PENDING:
            await self.submit(record)
        elif record.status is StoredStatus.SUBMITTING:
            if record.id not in self._sending:
                await self._await_lost_submission(record)
        elif record.id in self._refresh and record.id not in self._confirming:
            self._refresh.discard(record.id)
            await self._refresh_only(record)
        elif record.status.active:
            await self._poll(record)
        else:
            await self.delivery.finish(record)

    # -- submitting ------------------------------------------------------------------------------

    async def submit(self, record: JobRecord) -> None:
        """Send a stored job to Pika, once ever; a refusal releases the credits and says why."""
        if record.id in self._sending:
            return  # this process is sending it right now
        if not await self.hold(record.id):
            return  # another process carries it
        # Marked before the database says "submitting", so no step takes it for a lost one.
        sent = self._sending[record.id] = asyncio.Event()
        try:
            if not await self.store.begin_submit(record.id):
                log.info("Job %s: its submission was already started; not sending again", record.id)
                return
            await self._send(record)
        finally:
            del self._sending[record.id]
            sent.set()

    async def _send(self, record: JobRecord) -> None:
        webhook = self.signer.url_for(record.id) if self.signer is not None else None
        try:
            provider_job_id = await self.provider.submit(
                request_of(record), ref=ref_for(record.id), webhook_url=webhook
            )
        except PikaError as error:
            code, detail = _failure_of(error)
            if isinstance(error, AuthenticationError):
                # The operator's one line: it names the setting (PIKA_API_KEY, FAL_KEY), never
                # the key; the member reads that Pika is unavailable, and nothing is charged.
                log.error("Job %s: %s", record.id, error)
            if code is FailureReason.PIKA_NO_ANSWER and self.push:
                # It may be at Pika: a push naming it can still recover it.
                log.warning("Job %s: no answer from Pika; waiting for a push", record.id)
                self.track(record.id, self.settings.push_recovery.total_seconds())
                return
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
        self._schedule_first_look(record)

    def _schedule_first_look(self, record: JobRecord) -> None:
        if not self.push:
            self.track(record.id, self.settings.poll_interval, Priority.QUEUED)
            return
        # The push should come: one look near the estimated end is the safety net, and with
        # no history yet no later than the fallback interval, so a lost push costs at most that.
        estimate = self.durations.estimate(record.provider, record.operation, _model(record))
        look = estimate.seconds + END_MARGIN_SECONDS
        if not estimate.known:
            look = min(look, self.settings.fallback_poll)
        self._look_in(record.id, look, Priority.RENDERING)

    def _look_in(self, job_id: int, delay: float, priority: Priority) -> None:
        """With push: poll in ``delay`` seconds, redrawing the message (no poll) meanwhile."""
        shown = self._shown.setdefault(job_id, _Shown())
        shown.look_at = time.monotonic() + delay
        if delay > REFRESH_SECONDS:
            self._refresh.add(job_id)
            self.track(job_id, REFRESH_SECONDS)
        else:
            self._refresh.discard(job_id)
            self.track(job_id, delay, priority)

    async def _refresh_only(self, record: JobRecord) -> None:
        """Redraw a pushed job's message between polls, then wait on for its next look."""
        shown = self._shown.setdefault(record.id, _Shown())
        await self._show_progress(record, shown)
        left = (shown.look_at or 0) - time.monotonic()
        self._look_in(record.id, max(0.0, left), Priority.DUE)

    async def _reconcile(self, record: JobRecord) -> None:
        """A submission was on its way when the bot stopped: find it, or give the credits back.

        It is never sent again (the owner would pay twice). A provider that can look the job
        up by our reference recovers it; with pushes configured a push naming it can still
        recover it for a while; otherwise the job fails with nothing charged.
        """
        try:
            found = await self.provider.recover(ref_for(record.id), request_of(record))
        except PikaError as error:
            log.warning("Job %s: could not look up its lost submission (%s)", record.id, error)
            found = None
        if found is not None:
            await self.store.mark_submitted(record.id, found)
            log.info("Job %s: found its submission as %s after the restart", record.id, found)
            self.track(record.id, 0, Priority.DUE)
            return
        await self._await_lost_submission(record)

    async def _await_lost_submission(self, record: JobRecord) -> None:
        sent_at = record.submit_started_at or record.created_at
        waited = self.now() - sent_at
        if self.push and waited < self.settings.push_recovery:
            left = (self.settings.push_recovery - waited).total_seconds()
            self.track(record.id, left)
            return
        log.warning("Job %s: Pika may not have received it; releasing its credits", record.id)
        await self._fail(record, FailureReason.SUBMISSION_LOST)

    # -- pushes ----------------------------------------------------------------------------------

    async def pushed(self, job_id: int, payload: object) -> bool:
        """A push says job ``job_id`` changed: look at it now with one GET. False if unknown.

        The push body is never trusted: it only tells which job to look at and, for a
        submission whose answer was lost, which provider job to claim.
        """
        record = await self.store.get_job(job_id)
        if record is None:
            return False
        if record.finished:
            metrics.PUSHES.labels("late").inc()
            return True
        metrics.PUSHES.labels("accepted").inc()
        if not await self.hold(job_id, reason="push"):
            return True  # another live process carries it, and was woken to look now
        if record.status is StoredStatus.SUBMITTING and job_id not in self._sending:
            named = self.provider.pushed_job_id(payload)
            if named is not None:
                self._spawn(self._claim(record, named), f"claim-{job_id}")
            return True
        if record.status in SUBMITTED:
            self._confirming.add(job_id)
            self.track(job_id, 0, Priority.NOW)  # a confirming GET, outside the poll budget
        return True

    async def _claim(self, record: JobRecord, provider_job_id: str) -> None:
        try:
            job = await self.provider.claim(provider_job_id, request_of(record))
        except PikaError as error:
            log.warning(
                "Job %s: could not check pushed job %s (%s)", record.id, provider_job_id, error
            )
            return
        if job is None:
            return
        await self.store.mark_submitted(record.id, provider_job_id)
        log.info("Job %s: recovered from a push as %s", record.id, provider_job_id)
        self.track(record.id, 0, Priority.NOW)

    # -- polling -------------------------------------------------------------------------------

    async def _poll(self, record: JobRecord) -> None:
        shown = self._shown.setdefault(record.id, _Shown())
        started = record.started_at or record.submit_started_at or record.created_at
        if self.now() - started > self.settings.deadline:
            limit = str(int(self.settings.deadline.total_seconds()))
            await self._fail(record, FailureReason.DEADLINE, limit)
            return
        assert record.provider_job_id is not None  # submitted jobs have one
        confirm = record.id in self._confirming
        self._confirming.discard(record.id)
        try:
            job: Job = await self.provider.fetch(record.provider_job_id)
        except PikaError as error:
            self._after_poll_error(record, shown, error)
            return
        self.budget.clean()
        metrics.POLL_BUDGET.set(self.budget.rate)
        metrics.POLLS.labels("confirm" if confirm else "ok").inc()
        shown.failures = 0
        shown.polls += 1
        if job.status is JobStatus.FAILED:
            await self._fail(record, job.failure or FailureReason.PIKA_FAILED, job.error)
            return
        if job.status is JobStatus.SUCCEEDED:
            shown.finished_seen = time.monotonic()
            await self.store.finish_succeeded(
                record.id,
                result_url=job.result_url,
                poster_url=job.poster_url,
                thumbnail_url=job.thumbnail_url,
                duration=job.duration,
                seed=job.seed,
            )
            await self._learn_duration(record)
            await self._after_finish(record.id, record.guild_id)
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
        self._schedule_next_poll(updated, job, shown)

    def _after_poll_error(self, record: JobRecord, shown: _Shown, error: PikaError) -> None:
        shown.failures += 1
        retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
        if isinstance(error, RateLimitedError | UnavailableError):
            self.budget.overloaded(retry_after)
            metrics.POLL_BUDGET.set(self.budget.rate)
        metrics.POLLS.labels("rate_limited" if retry_after is not None else "error").inc()
        delay = min(self.settings.poll_interval * 2 ** min(shown.failures, 5), 60)
        delay = max(delay, retry_after or 0)
        log.warning("Job %s: status check failed (%s); retrying in %.1fs", record.id, error, delay)
        self.track(record.id, delay, Priority.RENDERING)

    def _schedule_next_poll(self, record: JobRecord, job: Job, shown: _Shown) -> None:
        started = record.submitted_at or record.created_at
        elapsed = (self.now() - started).total_seconds()
        estimate = self.durations.estimate(record.provider, record.operation, _model(record))
        until_end = estimate.seconds - elapsed
        if self.push:
            # Polls are the safety net: near the estimated end once, then slowly; never more
            # than the fallback interval apart, so a lost push costs at most that.
            fallback = self.settings.fallback_poll
            delay = min(until_end + END_MARGIN_SECONDS, fallback) if until_end > 0 else fallback
            self._look_in(record.id, delay, Priority.RENDERING if until_end > 0 else Priority.DUE)
            return
        by_progress = next_poll_delay(
            record.status.value, job.progress, shown.polls, self.settings.poll_interval, elapsed
        )
        if until_end > 0 and estimate.known:
            # History says when it ends: look then, unless progress says it is nearer.
            delay = min(by_progress, until_end + END_MARGIN_SECONDS)
        elif until_end <= 0:
            # Past its expected end: each look is likely to find it done.
            delay = min(by_progress, self.settings.poll_interval / 2)
        else:
            delay = by_progress
        priority = _poll_priority(record.status, until_end - delay)
        if shown.signature != self.outlet.signature(self.view(record)):
            # A change is waiting for the edit throttle: come back when it may be shown.
            wait = shown.edited_at + self.settings.edit_interval - time.monotonic()
            delay = min(delay, max(wait, 0.05))
        self.track(record.id, delay, priority)

    async def _learn_duration(self, record: JobRecord) -> None:
        started = record.submitted_at or record.submit_started_at
        if started is None:
            return
        seconds = (self.now() - started).total_seconds()
        await self.durations.observe(record.provider, record.operation, _model(record), seconds)

    # -- progress messages -----------------------------------------------------------------------

    async def _show_progress(self, record: JobRecord, shown: _Shown) -> None:
        if record.progress_message_id is None:
            return  # not shown yet: its launcher is about to show it
        view = self.view(record)
        signature = self.outlet.signature(view)
        if signature == shown.signature:
            return
        wait = shown.edited_at + self.settings.edit_interval - time.monotonic()
        if wait > 0:
            if record.status is StoredStatus.WAITING:
                self.track(record.id, wait)  # nothing polls a waiting job: come back for it
            return
        try:
            if not await self.outlet.show_progress(self.target(record), view):
                await self._hand_over(record, view)
        except TokenDead:
            self._dead_tokens.add(record.id)
            await self._hand_over(record, view)
        except OutletError as error:
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

    # -- the queue -------------------------------------------------------------------------------

    async def admit(self, record: JobRecord) -> JobRecord:
        """A new job was stored: hand out free slots (fairly, it may get one) before it is shown."""
        await self.queue_changed(record.guild_id)
        stored = await self.store.get_job(record.id)
        return stored or record

    async def accepted(self, record: JobRecord) -> None:
        """A new job is stored and shown: start it if it has a slot."""
        if not await self.hold(record.id):
            return  # another process took it over already (it never does while we live)
        if record.status is StoredStatus.PENDING:
            await self.submit(record)
        elif record.status is StoredStatus.WAITING:
            await self.queue_changed(record.guild_id)  # show where it stands

    async def queue_changed(self, guild_id: int) -> None:
        """Slots may have freed (or a job joined the queue): start what can start, and
        refresh where every waiting job stands."""
        if guild_id not in self._lines and not await self.store.has_waiting(guild_id):
            return  # no queue here (the common case): nothing can move
        await self.store.promote_waiting(guild_id)
        for record in await self.store.pending_jobs(guild_id):
            idle = record.id not in self._queue and record.id not in self._busy
            if idle and await self.hold(record.id):
                self.track(record.id, 0)
        line = await self.store.waiting_line(guild_id)
        if not line:
            self._lines.pop(guild_id, None)
            return
        self._lines[guild_id] = await self._line(guild_id, line)
        for job_id in line:
            if job_id not in self._busy:
                self.track(job_id, 0)

    async def _line(self, guild_id: int, line: list[int]) -> _Line:
        """Places in the queue, and when each should start.

        The running jobs' expected ends free the server's slots and their members' own; each
        waiting job in turn starts when both a server slot and one of its member's are free.
        """
        settings = await self.store.guild_settings(guild_id)
        running = await self.store.running_jobs(guild_id)
        server = _Slots(settings.max_in_flight_guild)
        members: dict[int, _Slots] = {}

        def member(owner: int) -> _Slots:
            return members.setdefault(owner, _Slots(settings.max_in_flight_user))

        for record in running:
            left = self._seconds_left(record)
            server.take(left)
            member(record.owner_id).take(left)
        starts: dict[int, float] = {}
        for job_id in line:
            waiting = await self.store.get_job(job_id)
            if waiting is None:
                continue
            own = member(waiting.owner_id)
            start = max(server.next_free(), own.next_free())
            end = start + self.expected_seconds(waiting)
            server.replace(end)
            own.replace(end)
            starts[job_id] = start
        return _Line({job_id: index for index, job_id in enumerate(line)}, starts)

    def _seconds_left(self, record: JobRecord) -> float:
        started = record.submitted_at or record.started_at or record.created_at
        return max(0.0, self.expected_seconds(record) - (self.now() - started).total_seconds())

    # -- cancel ----------------------------------------------------------------------------------

    async def cancel(self, job_id: int, actor_id: int) -> CancelOutcome:
        """Stop a job for its owner or staff (the caller checked who may)."""
        requested = await self.store.request_cancel(job_id, actor_id)
        if requested is None:
            return CancelOutcome.FINISHED
        sending = self._sending.get(job_id)
        if sending is not None:
            # Pika is taking it right now: wait for its answer, then stop the job it made.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sending.wait(), timeout=60)
        record = await self.store.get_job(job_id)
        if record is None or record.finished:
            return CancelOutcome.FINISHED
        return await self._carry_out_cancel(record)

    async def _carry_out_cancel(self, record: JobRecord) -> CancelOutcome:
        """Settle a job whose cancel was asked for (now, or before a restart)."""
        charge = False
        if record.status in SUBMITTED and record.provider_job_id is not None:
            try:
                charge = not await self.provider.cancel(record.provider_job_id)
            except PikaError as error:
                log.warning("Job %s: Pika could not cancel it (%s)", record.id, error)
                charge = True  # it is being made and will be billed
        elif record.status is StoredStatus.SUBMITTING:
            charge = True  # it may be at Pika already; the owner pays once, never twice
        if not await self.store.finish_cancelled(record.id, charge=charge):
            return CancelOutcome.FINISHED
        if record.status in (StoredStatus.WAITING, StoredStatus.PENDING):
            outcome = CancelOutcome.REMOVED
        else:
            outcome = CancelOutcome.CHARGED if charge else CancelOutcome.RELEASED
        log.info("Job %s: cancelled (%s)", record.id, outcome.value)
        await self._after_finish(record.id, record.guild_id)
        return outcome

    # -- the end of a job --------------------------------------------------------------------

    async def _fail(
        self, record: JobRecord, code: FailureReason, detail: str | None = None
    ) -> None:
        await self.store.finish_failed(record.id, detail, code=code)
        log.info("Job %s: failed (%s%s); hold released", record.id, code.value,
                 f": {detail}" if detail else "")  # fmt: skip
        await self._after_finish(record.id, record.guild_id)

    async def _after_finish(self, job_id: int, guild_id: int) -> None:
        """Deliver the outcome, and let the server's queue move up."""
        await self.queue_changed(guild_id)
        record = await self.store.get_job(job_id)
        if record is not None:
            await self.delivery.finish(record)

    def finished_seen(self, job_id: int) -> float | None:
        shown = self._shown.get(job_id)
        return shown.finished_seen if shown else None

    def forget(self, job_id: int) -> None:
        self._shown.pop(job_id, None)
        self._refresh.discard(job_id)
        self._confirming.discard(job_id)
        self._queue.discard(job_id)
        self._dead_tokens.discard(job_id)
        self.delivery.forget(job_id)
        self._held.discard(job_id)

    def mark_token_dead(self, job_id: int) -> None:
        self._dead_tokens.add(job_id)

    def target(self, record: JobRecord) -> MessageTarget:
        token_dead = record.id in self._dead_tokens
        return MessageTarget(
            channel_id=record.channel_id,
            message_id=record.progress_message_id,
            kind=record.progress_message_kind or ProgressKind.CHANNEL,
            application_id=None if token_dead else record.interaction_app_id,
            token=None if token_dead else record.interaction_token,
            token_expires_at=None if token_dead else record.token_expires_at,
            owner_id=record.owner_id,
            direct=record.guild_id == PERSONAL_SCOPE or record.private,
            private=record.private,
        )

    def _spawn(self, work: Coroutine[object, object, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class _Slots:
    """When each of N slots frees up (for estimating starts)."""

    def __init__(self, count: int) -> None:
        self._frees = [0.0] * max(1, count)

    def take(self, until: float) -> None:
        """A running job holds the earliest free slot until ``until``."""
        heapq.heapreplace(self._frees, max(until, self._frees[0]))

    def next_free(self) -> float:
        return self._frees[0]

    def replace(self, until: float) -> None:
        heapq.heapreplace(self._frees, until)


def _model(record: JobRecord) -> str | None:
    model = model_of(request_of(record))
    return model.value if model is not None else None


def _poll_priority(status: StoredStatus, left_at_poll: float) -> Priority:
    if status is StoredStatus.QUEUED or status is StoredStatus.SUBMITTED:
        return Priority.QUEUED
    return Priority.DUE if left_at_poll <= 0 else Priority.RENDERING
