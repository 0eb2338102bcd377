"""When to poll which job: one queue ordered by due time, and a rate limit per provider."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable


class RateLimiter:
    """A token bucket: at most ``rate`` acquisitions per second, with a small burst."""

    def __init__(
        self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def try_acquire(self) -> float:
        """Take a token and return 0, or return how long to wait before one is free."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate


class DueQueue:
    """Job ids ordered by the monotonic time they are due; rescheduling replaces the old entry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._heap: list[tuple[float, int, int]] = []
        self._due: dict[int, float] = {}
        self._order = itertools.count()
        self._changed = asyncio.Event()
        self._clock = clock

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, job_id: int) -> bool:
        return job_id in self._due

    def schedule(self, job_id: int, delay: float) -> None:
        due = self._clock() + max(0.0, delay)
        self._due[job_id] = due
        heapq.heappush(self._heap, (due, next(self._order), job_id))
        self._changed.set()

    def discard(self, job_id: int) -> None:
        self._due.pop(job_id, None)

    def _peek(self) -> tuple[float, int] | None:
        while self._heap:
            due, _, job_id = self._heap[0]
            if self._due.get(job_id) == due:
                return due, job_id
            heapq.heappop(self._heap)  # stale: rescheduled or discarded since
        return None

    def pop_due(self) -> int | None:
        """Remove and return a job that is due now, if any."""
        head = self._peek()
        if head is None or head[0] > self._clock():
            return None
        heapq.heappop(self._heap)
        del self._due[head[1]]
        return head[1]

    async def wait(self, timeout: float | None = None) -> None:
        """Sleep until the earliest job is due, something is scheduled, or ``timeout`` passes."""
        head = self._peek()
        delay = timeout
        if head is not None:
            until_due = max(0.0, head[0] - self._clock())
            delay = until_due if delay is None else min(delay, until_due)
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), delay)


def next_poll_delay(
    status: str,
    progress: int | None,
    polls_so_far: int,
    base: float,
    running_seconds: float | None = None,
) -> float:
    """Back off while a job waits in line; while it renders, aim the next poll at its end.

    Progress over time gives an estimate of the time left; polling at most of it keeps
    polls per job low and finds the finished job soon after it ends.
    """
    if status in ("pending", "submitted", "queued"):
        return min(base * (1.5 ** min(polls_so_far, 6)), base * 8)
    if progress is None or progress <= 0 or not running_seconds:
        return base
    remaining = running_seconds * (100 - min(progress, 99)) / progress
    return min(max(remaining * 0.75, base / 4), base * 4)
