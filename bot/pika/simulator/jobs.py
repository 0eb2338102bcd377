"""The simulator's job table; a job's state is computed from elapsed time, never from timers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
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
    source_job: SimJob | None = None
    result: RenderResult | None = None
    render_error: str | None = None
    webhook_sent: bool = False
    source_info: VideoInfo | None = None
    """Shape of an uploaded source video (pikadev), probed at submission."""

    @property
    def dialect(self) -> str:
        return self.submission.dialect

    @property
    def prompt(self) -> str:
        return self.submission.prompt

    @property
    def error(self) -> str | None:
        return self.fail_message or self.render_error

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


def _progress(share: float) -> int:
    started = (min(share, 1.0) - QUEUED_SHARE) / (1 - QUEUED_SHARE)
    return max(0, min(99, int(started * 100)))


def seed_for(job_id: str) -> int:
    """Pick a seed for a request that gave none, stable for the job id."""
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:4], "big")


class JobTable:
    """Every job the simulator knows, by id; tests may read it directly."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
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
        now = self._clock()
        return sum(1 for job in self._jobs.values() if not job.state_at(now).terminal)

    def state(self, job: SimJob) -> JobState:
        return job.state_at(self._clock())

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
