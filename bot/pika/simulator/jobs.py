"""The simulator's job table; a job's state is computed from elapsed time, never from timers.

Most jobs run on their own clock: queued, then started, then done ``run_seconds`` after they
were submitted. Jobs in a *lane* (fal's queue) also wait for one of the lane's limited slots:
their schedule is worked out, whenever it is asked for, from the submission order, each
job's times and the moments renders ended or cancels arrived, all read on the same clock.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.pika.simulator.validation import Submission
from bot.pika.simulator.video import RenderResult, VideoInfo

DELAYED_SHARE = 0.1
"""Share of the job's time a ``delayed`` job spends delayed before it is queued."""
QUEUED_SHARE = 0.25
"""Share of the job's time spent before it starts (delayed or queued)."""
CANCELLED_MESSAGE = "Request was cancelled"


@dataclass(frozen=True)
class JobState:
    """Where a job stands at one moment."""

    phase: str
    """``delayed``, ``queued``, ``started``, ``finished`` or ``failed``."""
    progress: int

    @property
    def terminal(self) -> bool:
        return self.phase in ("finished", "failed")


@dataclass
class SimJob:
    """One job: what was asked, when, and what the render produced."""

    id: str
    submission: Submission
    params: dict[str, Any]
    """The request as echoed back in ``job.params``."""
    created_at: float
    """On the simulator's clock."""
    created_wall: datetime
    run_seconds: float
    seed: int
    delayed: bool = False
    fail_message: str | None = None
    """Set at submission when a fault makes this job fail."""
    fail_type: str | None = None
    """The failure's kind, as fal reports it (``error_type``)."""
    source_job: SimJob | None = None
    result: RenderResult | None = None
    render_error: str | None = None
    webhook_sent: bool = False
    lane: str | None = None
    """Jobs in a lane take turns on its limited slots (fal's concurrency limit)."""
    source_info: VideoInfo | None = None
    """Shape of an uploaded source video (pikadev), probed at submission."""
    rendered_at: float | None = None
    """Clock time at which the render (or its failure) ended."""
    cancelled_at: float | None = None
    """Clock time of a cancel that took effect (fal); the job then ends as failed."""

    @property
    def dialect(self) -> str:
        return self.submission.dialect

    @property
    def prompt(self) -> str:
        return self.submission.prompt

    @property
    def error(self) -> str | None:
        if self.cancelled_at is not None:
            return CANCELLED_MESSAGE
        return self.fail_message or self.render_error

    @property
    def render_pending(self) -> bool:
        """Whether the job still waits for its render (failing jobs render nothing)."""
        return self.error is None and self.result is None

    @property
    def video_name(self) -> str:
        """Return the result's file name, like Pika's ``Plane_fly_seed3183047765.mp4``."""
        slug = re.sub(r"[^A-Za-z0-9]+", "_", self.prompt).strip("_")[:40] or "video"
        suffix = "_upscaled" if self.submission.operation == "upscale" else ""
        return f"{slug}_seed{self.seed}{suffix}.mp4"

    @property
    def sharing_name(self) -> str:
        return self.video_name.removesuffix(".mp4") + "_share.mp4"

    def file_path(self, name: str) -> Path | None:
        """Return the file served under ``/files/{id}/{name}``, once rendered."""
        if self.result is None:
            return None
        files = {
            self.video_name: self.result.video,
            self.sharing_name: self.result.video,
            "poster.jpg": self.result.poster,
            "thumbnail.jpg": self.result.thumbnail,
        }
        return files.get(name)

    def state_at(self, now: float) -> JobState:
        """Return the job's phase and progress ``now`` seconds on the simulator's clock."""
        elapsed = max(0.0, now - self.created_at)
        share = elapsed / self.run_seconds if self.run_seconds > 0 else 1.0
        if share >= 1.0:
            if self.error is not None:
                return JobState("failed", _progress(share))
            if self.result is not None:
                return JobState("finished", 100)
            # Time is up but the render is still running: look busy, never finished early.
            return JobState("started", 99)
        if self.delayed and share < DELAYED_SHARE:
            return JobState("delayed", 0)
        if share < QUEUED_SHARE:
            return JobState("queued", 0)
        return JobState("started", _progress(share))

    def finish_time(self) -> float:
        """Return the clock time at which the job stops running (if its render is done)."""
        return self.created_at + self.run_seconds

    def state_in(self, slot: Slot, now: float) -> JobState:
        """Return the state of a lane job whose schedule is ``slot``."""
        if slot.removed:
            return JobState("failed", 0)
        if now < slot.start:
            return JobState("queued", 0)
        if now < slot.end:
            return JobState("started", self._work_progress(now - slot.start))
        if self.error is not None:
            return JobState("failed", self._work_progress(slot.end - slot.start))
        if self.result is not None:
            return JobState("finished", 100)
        return JobState("started", 99)

    @property
    def work_seconds(self) -> float:
        """How long a lane job holds its slot (its run, less the queue's pickup time)."""
        return (1 - QUEUED_SHARE) * self.run_seconds

    def _work_progress(self, worked: float) -> int:
        share = worked / self.work_seconds if self.work_seconds > 0 else 1.0
        return max(0, min(99, int(share * 100)))


@dataclass(frozen=True)
class Slot:
    """When a lane job holds a slot: from ``start`` to ``end`` (``inf``: not known yet)."""

    start: float
    end: float
    removed: bool = False
    """Cancelled while waiting: it never held a slot and ended at ``end``."""


def _progress(share: float) -> int:
    started = (min(share, 1.0) - QUEUED_SHARE) / (1 - QUEUED_SHARE)
    return max(0, min(99, int(started * 100)))


def seed_for(job_id: str) -> int:
    """Pick a seed for a request that gave none, stable for the job id."""
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:4], "big")


class JobTable:
    """Every job the simulator knows, by id; tests may read it directly."""

    def __init__(self, clock: Callable[[], float], lanes: Mapping[str, int] | None = None) -> None:
        self._clock = clock
        self._lanes = dict(lanes or {})
        """Slots per lane; 0 or less means unlimited."""
        self._jobs: dict[str, SimJob] = {}
        self._upscales: dict[str, SimJob] = {}

    def add(self, job: SimJob) -> None:
        self._jobs[job.id] = job
        if job.submission.operation == "upscale" and job.submission.source_video:
            self._upscales[_url_key(job.submission.source_video)] = job

    def get(self, job_id: str) -> SimJob | None:
        return self._jobs.get(job_id)

    def upscale_of(self, video_url: str) -> SimJob | None:
        """Return the upscale job started for ``video_url``, if any."""
        return self._upscales.get(_url_key(video_url))

    def in_flight(self) -> int:
        """Count jobs that have not reached a final state yet."""
        return sum(1 for job in self._jobs.values() if not self.state(job).terminal)

    def state(self, job: SimJob) -> JobState:
        now = self._clock()
        if job.lane is None:
            return job.state_at(now)
        return job.state_in(self.slot(job), now)

    def slot(self, job: SimJob) -> Slot:
        """Return the schedule of a lane job."""
        assert job.lane is not None
        return self._schedule(job.lane, until=job)[job.id]

    def queue_position(self, job: SimJob) -> int:
        """Return how many jobs of its lane wait ahead of ``job`` (0-based, as fal counts)."""
        assert job.lane is not None
        now = self._clock()
        slots = self._schedule(job.lane, until=job)
        waiting = (slot for job_id, slot in slots.items() if job_id != job.id)
        return sum(1 for slot in waiting if not slot.removed and slot.start > now)

    def finish_time(self, job: SimJob) -> float | None:
        """Return when ``job`` will end, or None while that is not known (render, queue)."""
        if job.lane is None:
            return job.finish_time()
        end = self.slot(job).end
        return end if math.isfinite(end) else None

    def _schedule(self, lane: str, *, until: SimJob) -> dict[str, Slot]:
        """Work out the lane's slots in submission order, up to and including ``until``.

        First come, first served: each job takes the slot that frees earliest, once it has
        been in the queue for its pickup time (``QUEUED_SHARE`` of its run). It holds the slot
        for the rest of its run, longer if its render is late, shorter if it is cancelled.
        A job cancelled before its start never takes a slot.
        """
        limit = self._lanes.get(lane, 0)
        free = [-math.inf] * max(0, limit)
        slots: dict[str, Slot] = {}
        for job in self._jobs.values():
            if job.lane != lane:
                continue
            eligible = job.created_at + QUEUED_SHARE * job.run_seconds
            earliest = heapq.heappop(free) if limit > 0 else -math.inf
            start = max(eligible, earliest)
            if job.cancelled_at is not None and job.cancelled_at < start:
                slots[job.id] = Slot(start=math.inf, end=job.cancelled_at, removed=True)
                end = earliest
            else:
                end = start + job.work_seconds
                if job.cancelled_at is not None:
                    end = job.cancelled_at
                elif job.render_pending:
                    end = math.inf
                elif job.rendered_at is not None:
                    end = max(end, job.rendered_at)
                slots[job.id] = Slot(start=start, end=end)
            if limit > 0:
                heapq.heappush(free, end)
            if job is until:
                break
        return slots

    def clear(self) -> None:
        self._jobs.clear()
        self._upscales.clear()

    def __getitem__(self, job_id: str) -> SimJob:
        return self._jobs[job_id]

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs

    def __iter__(self) -> Iterator[SimJob]:
        return iter(list(self._jobs.values()))

    def __len__(self) -> int:
        return len(self._jobs)


def _url_key(url: str) -> str:
    """Compare result URLs without their query string (signed links carry one)."""
    return url.split("?", 1)[0].split("#", 1)[0]
