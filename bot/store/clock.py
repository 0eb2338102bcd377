"""The clock every period and deadline is computed from, and how instants are stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current instant; tests substitute a clock they can move."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _aware_utc(start or datetime(2025, 1, 15, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (aware), forwards or backwards."""
        self._now = _aware_utc(when)

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**parts)`` and return the new instant."""
        self._now += delta if delta is not None else timedelta(**parts)
        return self._now


def _aware_utc(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("the clock needs a timezone-aware datetime")
    return when.astimezone(UTC)


# Fixed width so stored instants sort as text and compare in SQL without conversion.
_DB_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def encode_time(when: datetime) -> str:
    """Turn an aware datetime into the text stored in the database."""
    return _aware_utc(when).strftime(_DB_FORMAT)


def encode_optional_time(when: datetime | None) -> str | None:
    """Like ``encode_time``, passing None through."""
    return None if when is None else encode_time(when)


def decode_time(text: str | None) -> datetime | None:
    """Turn stored text back into an aware UTC datetime (None stays None)."""
    if text is None:
        return None
    return datetime.fromisoformat(text)
