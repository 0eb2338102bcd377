"""Quota periods: where the current day, week or month starts and ends in a guild's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.errors import InvalidSettingError, SettingProblem
from bot.domain.periods import QuotaPeriod

BUCKET_SECONDS = 900
"""Guild spend is kept in 15-minute totals: every current UTC offset is a multiple of 15 minutes,
so any period boundary falls on a bucket boundary."""


@dataclass(frozen=True)
class PeriodWindow:
    """One quota period as an instant range, ``start`` inclusive and ``end`` exclusive."""

    period: QuotaPeriod
    start: datetime
    end: datetime

    @property
    def bucket_aligned(self) -> bool:
        """Whether both bounds fall on spend-bucket boundaries (SQLite rounds before 1970 apart)."""
        return all(
            b.timestamp() >= 0 and b.timestamp() % BUCKET_SECONDS == 0
            for b in (self.start, self.end)
        )


@lru_cache(maxsize=256)
def zone(name: str | None) -> tzinfo:
    """Return the tzinfo for an IANA name (None means UTC), refusing unknown names."""
    if name is None:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSettingError(SettingProblem.UNKNOWN_TIMEZONE, name) from None


def current_period(now: datetime, period: QuotaPeriod, timezone: str | None) -> PeriodWindow:
    """Return the period containing ``now``; periods start at local midnight, weeks on Monday."""
    tz = zone(timezone)
    today = now.astimezone(tz).date()
    match period:
        case QuotaPeriod.DAY:
            first, after = today, today + timedelta(days=1)
        case QuotaPeriod.WEEK:
            first = today - timedelta(days=today.weekday())
            after = first + timedelta(days=7)
        case QuotaPeriod.MONTH:
            first = today.replace(day=1)
            after = (first + timedelta(days=32)).replace(day=1)
    return PeriodWindow(period, _local_midnight(first, tz), _local_midnight(after, tz))


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # Where DST skips midnight, fold=0 resolves to the instant the clocks jump, which is
    # when that local day really begins.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def bucket_of(when: datetime) -> int:
    """Return the start (epoch seconds) of the spend bucket containing ``when``."""
    seconds = int(when.timestamp())
    return seconds - seconds % BUCKET_SECONDS
