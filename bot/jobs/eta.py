"""How long a job will take: the recent durations of its provider, operation and model.

Durations are stored (``job_durations``), so a restart keeps its estimates; this is the
in-memory cache of the latest ones. With no history yet a job gets a cautious default, and
progress reports refine it while the job renders.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.domain.operations import Operation

SAMPLES = 20
DEFAULT_SECONDS = 60.0
"""What a job of a kind never seen is expected to take (Pika's videos take about a minute)."""

Kind = tuple[str, str, str]
"""(provider, operation, model)."""


@dataclass(frozen=True)
class Estimate:
    seconds: float
    known: bool
    """Whether it comes from finished jobs of the same kind (not the default)."""


class DurationModel:
    """Estimates from the latest durations of each kind of job."""

    def __init__(
        self,
        record: Callable[[str, Operation, str, float], Awaitable[None]],
        default_seconds: float = DEFAULT_SECONDS,
    ) -> None:
        self._record = record
        self._default = default_seconds
        self._samples: dict[Kind, deque[float]] = {}

    def load(self, recent: Mapping[Kind, list[float]]) -> None:
        """Start from the stored durations (newest first)."""
        for kind, seconds in recent.items():
            self._samples[kind] = deque(reversed(seconds[:SAMPLES]), maxlen=SAMPLES)

    def estimate(self, provider: str, operation: Operation, model: str | None) -> Estimate:
        samples = self._samples.get((provider, operation.value, model or ""))
        if not samples:
            return Estimate(self._default, known=False)
        # The median resists the odd slow job; a little above it, so the first look at a job
        # near its end usually finds it done.
        return Estimate(statistics.median(samples) * 1.05, known=True)

    async def observe(
        self, provider: str, operation: Operation, model: str | None, seconds: float
    ) -> None:
        """A job of this kind took ``seconds``; remember it (in the database too)."""
        kind = (provider, operation.value, model or "")
        self._samples.setdefault(kind, deque(maxlen=SAMPLES)).append(seconds)
        await self._record(provider, operation, model or "", seconds)
