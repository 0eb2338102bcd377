"""When to look at which job: a due-time queue with priorities, and an adaptive poll budget.

Jobs are scheduled for a time and with a priority. Once due, the most promising goes first:
work that needs no poll (a submission, a delivery, a push to confirm) before polls, and among
polls the jobs at or past their estimated end before those still rendering or queued. The
budget is a token bucket whose rate adapts between a floor and the configured ceiling, the
way TCP adapts its window (AIMD): halved when Pika answers 429 or 5xx (and paused for its
``Retry-After``), grown slowly while answers are clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable
from enum import IntEnum


class Priority(IntEnum):
    """Lower goes first. Only the poll classes spend the poll budget."""

    NOW = 0
    """No poll: a submission, a delivery, a progress refresh, or a push's confirming GET."""
    DUE = 1
    """A poll of a job at or past its estimated end: the best chance of news."""
    RENDERING = 2
    """A poll of a job still rendering, before its estimated end."""
    QUEUED = 3
    """A poll of a job still waiting in Pika's own line."""

    @property
    def polls(self) -> bool:
        return self is not Priority.NOW


class PollBudget:
    """An AIMD token bucket: at most ``rate`` polls per second, ``floor <= rate <= ceiling``."""

    def __init__(
        self,
        ceiling: float,
        *,
        floor: float = 1.0,
        increase_per_second: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ceiling = ceiling
        self.floor = min(floor, ceiling)
        self.rate = ceiling
        self._increase = increase_per_second
        self._clock = clock
        self._tokens = max(1.0, ceiling)
        self._updated = clock()
        self._paused_until = 0.0

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate)

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def try_acquire(self) -> float:
        """Take a token and return 0, or return how long to wait before one is free."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    def clean(self) -> None:
        """A clean answer: grow by about ``increase_per_second`` per second of full use."""
        self.rate = min(self.ceiling, self.rate + self._increase / max(self.rate, 1.0))

    def overloaded(self, retry_after: float | None = None) -> None:
        """Pika said slow down (429) or could not cope (5xx): halve, and pause if told to."""
        self.rate = max(self.floor, self.rate / 2)
        self._tokens = min(self._tokens, self.capacity)
        if retry_after:
            self._paused_until = max(self._paused_until, self._clock() + retry_after)


class DueQueue:
    """Job ids by due time; once due, handed out by priority. Rescheduling replaces an entry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._heap: list[tuple[float, int, int]] = []
        self._ready: list[tuple[int, float, int, int]] = []
        self._entries: dict[int, tuple[float, Priority]] = {}
        self._order = itertools.count()
        self._changed = asyncio.Event()
        self._clock = clock

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, job_id: int) -> bool:
        return job_id in self._entries

    def schedule(self, job_id: int, delay: float, priority: Priority = Priority.NOW) -> None:
        """Be due in ``delay`` seconds; an earlier entry for the job is forgotten."""
        due = self._clock() + max(0.0, delay)
        self._entries[job_id] = (due, priority)
        heapq.heappush(self._heap, (due, next(self._order), job_id))
        self._changed.set()

    def discard(self, job_id: int) -> None:
        self._entries.pop(job_id, None)

    def priority_of(self, job_id: int) -> Priority | None:
        entry = self._entries.get(job_id)
        return entry[1] if entry else None

    def _move_due(self) -> None:
        now = self._clock()
        while self._heap and self._heap[0][0] <= now:
            due, order, job_id = heapq.heappop(self._heap)
            entry = self._entries.get(job_id)
            if entry is None or entry[0] != due:
                continue  # stale: rescheduled or discarded since
            heapq.heappush(self._ready, (entry[1], due, order, job_id))

    def peek_ready(self) -> tuple[int, Priority] | None:
        """The best job that is due now, without taking it."""
        self._move_due()
        while self._ready:
            priority, due, _, job_id = self._ready[0]
            entry = self._entries.get(job_id)
            if entry is not None and entry == (due, priority):
                return job_id, Priority(priority)
            heapq.heappop(self._ready)  # stale
        return None

    def pop_ready(self) -> tuple[int, Priority] | None:
        """Take the best job that is due now, if any."""
        best = self.peek_ready()
        if best is not None:
            heapq.heappop(self._ready)
            del self._entries[best[0]]
        return best

    def pop_due(self) -> int | None:
        """Take a due job (the best one), for callers that ignore priorities."""
        best = self.pop_ready()
        return None if best is None else best[0]

    def _next_due(self) -> float | None:
        while self._heap:
            due, _, job_id = self._heap[0]
            entry = self._entries.get(job_id)
            if entry is not None and entry[0] == due:
                return due
            heapq.heappop(self._heap)
        return None

    async def wait_for_change(self, timeout: float) -> None:
        """Sleep until something is scheduled or ``timeout`` passes."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def wait(self, timeout: float | None = None) -> None:
        """Sleep until a job is due, something is scheduled, or ``timeout`` passes."""
        if self.peek_ready() is not None:
            return
        due = self._next_due()
        delay = timeout
        if due is not None:
            until_due = max(0.0, due - self._clock())
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
