"""The emulator's clock, which tests can move forward, and its snowflake ids."""

from __future__ import annotations

import datetime
import time

DISCORD_EPOCH_MS = 1_420_070_400_000
# World entities get ids from this fixed instant so they are the same on every run.
WORLD_EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z


class Clock:
    """Real monotonic and wall time plus an offset that only moves forward."""

    def __init__(self) -> None:
        self._offset = 0.0

    @property
    def offset(self) -> float:
        """Return how far the clock has been moved ahead of real time, in seconds."""
        return self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward; time never goes back."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds

    def reset(self) -> None:
        """Drop the offset, back to real time."""
        self._offset = 0.0

    def now(self) -> float:
        """Return monotonic seconds, for deadlines."""
        return time.monotonic() + self._offset

    def wall(self) -> float:
        """Return epoch seconds, for timestamps and snowflakes."""
        return time.time() + self._offset

    def iso(self) -> str:
        """Return the wall time as Discord's ISO 8601 timestamp."""
        return iso_timestamp(self.wall())


def iso_timestamp(epoch_seconds: float) -> str:
    """Format epoch seconds like Discord does (UTC, microseconds, +00:00)."""
    moment = datetime.datetime.fromtimestamp(epoch_seconds, datetime.UTC)
    return moment.isoformat(timespec="microseconds")


class Snowflakes:
    """Make unique, increasing snowflake ids whose timestamps follow the clock."""

    def __init__(self, clock: Clock, *, worker: int = 1) -> None:
        self._clock = clock
        self._worker = worker & 0x1F
        self._last = 0
        self._world_counter = 0

    def next(self) -> int:
        """Return a fresh id stamped with the clock's wall time."""
        ms = int(self._clock.wall() * 1000) - DISCORD_EPOCH_MS
        candidate = (ms << 22) | (self._worker << 17)
        # Two ids in the same millisecond (or a clock that fell behind) still increase.
        self._last = max(candidate, self._last + 1)
        return self._last

    def world(self, *, shard: tuple[int, int] | None = None) -> int:
        """Return a stable id for a world entity (same sequence on every run).

        Every world id has the same timestamp, so ``(id >> 22) % n`` is the same for all of
        them; ``shard=(shard_id, shard_count)`` moves the timestamp forward by at most
        ``shard_count - 1`` ms so that the id falls on that shard instead.
        """
        self._world_counter += 1
        stamp = WORLD_EPOCH_MS - DISCORD_EPOCH_MS
        if shard is not None:
            shard_id, shard_count = shard
            stamp += (shard_id - stamp) % shard_count
        return (stamp << 22) | self._world_counter


def snowflake_time(snowflake: int) -> float:
    """Return the epoch seconds a snowflake was made at."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000
