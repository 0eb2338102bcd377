"""How a simulator instance behaves; everything has a default that suits a local run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.pika.simulator.faults import FaultConfig


@dataclass
class SimulatorConfig:
    """Settings for one ``Simulator``."""

    job_seconds: float = 4.0
    """Time from submission to ``finished`` (the render must also be done)."""
    api_key: str | None = None
    """When set, API routes need it: ``Authorization: Bearer <api_key>`` (webbot, feed),
    ``X-API-KEY: <api_key>`` (pikadev) or ``Authorization: Key <api_key>`` (fal)."""
    large_video: bool = False
    """Make results about 15 MB (noisy frames), to exercise Discord's upload limit."""
    fail_rate: float = 0.0
    """Share of jobs that end in failure; added to ``faults.fail_jobs.rate``."""
    seed: int | None = None
    """Seeds the fault dice, so a run with rates is repeatable."""
    output_dir: Path | None = None
    """Where results are written; a temporary directory (removed on stop) when None."""
    public_base_url: str | None = None
    """Base of the URLs handed out (e.g. behind a proxy); the bound address when None."""
    video_seconds: float = 3.0
    """Length of a fresh generation."""
    extend_seconds: float = 4.0
    """What ``/extend`` adds to the input video."""
    delayed_after: int = 2
    """A job submitted while this many are in flight starts as ``delayed``."""
    hd_fps: float = 8.0
    """Frame rate of pikadev and fal results: low, so a 1080p x 10 s render takes ~1 s."""
    fal_concurrency: int = 2
    """fal requests run at most this many at a time; the rest wait IN_QUEUE (0: no limit)."""
    fal_honours_cancel: bool = True
    """Whether a running fal request stops when cancelled (the model app decides, on fal)."""
    faults: FaultConfig = field(default_factory=FaultConfig)
    """Faults active from the start (``reset`` returns to these)."""
    webhook_timeout: float = 5.0
    download_timeout: float = 5.0
    """Limit for fetching a source video that this simulator did not produce."""
    max_download_bytes: int = 64 * 1024 * 1024
    max_body_bytes: int = 64 * 1024 * 1024
    """Largest request body accepted (pikadev uploads videos and images in the request)."""
    render_concurrency: int = 2
    record_limit: int = 10_000
    """Recorded requests kept; older ones are dropped."""
    clock: Callable[[], float] = time.monotonic
    """Job states are computed from this clock; tests may inject their own."""
