"""Periods roll over at local midnight: day, week (from Monday), month, in the guild's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import QuotaPeriod
from bot.pika.job import Operation
from bot.store import (
    FakeClock,
    InvalidSettingError,
    JobStore,
    QuotaEngine,
    QuotaExceeded,
    current_period,
)

from .conftest import GUILD, MakeJob

USER = 21


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def _spend_all(make_job: MakeJob, store: JobStore, credits: int) -> None:
    for _ in range(credits):
        job = await make_job(USER)
        await store.finish_succeeded(job.id)
    with pytest.raises(QuotaExceeded):
        await make_job(USER)


async def test_daily_allowance_resets_at_utc_midnight(
    clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 2, QuotaPeriod.DAY)
    await _spend_all(make_job, store, 2)
    status = await quota.status(GUILD, USER)
    assert (status.remaining, status.resets_at) == (0, utc(2025, 1, 16))

    clock.set(utc(2025, 1, 15, 23, 59, 59))
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER)
    assert refused.value.resets_at == utc(2025, 1, 16)

    clock.set(utc(2025, 1, 16))
    assert (await quota.status(GUILD, USER)).remaining == 2
    await make_job(USER)


async def test_weekly_allowance_resets_on_monday(
    clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 3, QuotaPeriod.WEEK)
    await _spend_all(make_job, store, 3)  # on Wednesday 15 January
    status = await quota.status(GUILD, USER)
    assert (status.period_start, status.resets_at) == (utc(2025, 1, 13), utc(2025, 1, 20))

    clock.set(utc(2025, 1, 19, 23, 59))  # Sunday night: same week
    with pytest.raises(QuotaExceeded):
        await make_job(USER)
    clock.set(utc(2025, 1, 20))  # Monday
    assert (await quota.status(GUILD, USER)).remaining == 3


async def test_monthly_allowance_resets_on_the_first_including_the_new_year(
    clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 1, QuotaPeriod.MONTH)
    clock.set(utc(2024, 12, 1))
    await _spend_all(make_job, store, 1)
    assert (await quota.status(GUILD, USER)).resets_at == utc(2025, 1, 1)
    clock.set(utc(2024, 12, 31, 23, 59, 59))
    with pytest.raises(QuotaExceeded):
        await make_job(USER)

    clock.set(utc(2025, 1, 1))
    await _spend_all(make_job, store, 1)
    clock.set(utc(2025, 2, 1))
    status = await quota.status(GUILD, USER)
    assert (status.remaining, status.resets_at) == (1, utc(2025, 3, 1))


async def test_new_york_day_resets_at_five_utc_in_winter_and_four_in_summer(
    clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_timezone(GUILD, "America/New_York")
    await quota.set_guild_allowance(GUILD, 1, QuotaPeriod.DAY)

    clock.set(utc(2025, 1, 15, 3, 0))  # still 14 January in New York
    await _spend_all(make_job, store, 1)
    assert (await quota.status(GUILD, USER)).resets_at == utc(2025, 1, 15, 5)
    clock.set(utc(2025, 1, 15, 4, 59, 59))
    with pytest.raises(QuotaExceeded):
        await make_job(USER)
    clock.set(utc(2025, 1, 15, 5))
    await make_job(USER)

    clock.set(utc(2025, 7, 1, 12))
    assert (await quota.status(GUILD, USER)).resets_at == utc(2025, 7, 2, 4)


async def test_guild_budget_follows_the_guild_time_zone(
    clock: FakeClock, quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_timezone(GUILD, "Asia/Kolkata")  # UTC+05:30
    await quota.set_guild_budget(GUILD, 1)
    clock.set(utc(2025, 1, 15, 18, 29))  # 23:59 in Kolkata
    await make_job(USER)
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER + 1)
    assert refused.value.resets_at == utc(2025, 1, 15, 18, 30)
    clock.set(utc(2025, 1, 15, 18, 30))
    await make_job(USER + 1)


async def test_budget_holds_when_period_bounds_miss_the_quarter_hours(
    clock: FakeClock, quota: QuotaEngine, make_job: MakeJob
) -> None:
    # Amsterdam kept local mean time (+00:19:32) until 1937: no quarter-hour boundaries.
    await quota.set_timezone(GUILD, "Europe/Amsterdam")
    await quota.set_guild_budget(GUILD, 2)
    clock.set(utc(1930, 6, 1, 12))
    assert not current_period(clock.now(), QuotaPeriod.DAY, "Europe/Amsterdam").bucket_aligned
    await make_job(USER)
    await make_job(USER + 1)
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER + 2)
    assert refused.value.available == 0


def test_current_period_on_daylight_saving_days() -> None:
    spring = current_period(utc(2025, 3, 9, 12), QuotaPeriod.DAY, "America/New_York")
    assert (spring.start, spring.end) == (utc(2025, 3, 9, 5), utc(2025, 3, 10, 4))
    assert spring.end - spring.start == timedelta(hours=23)
    autumn = current_period(utc(2025, 11, 2, 12), QuotaPeriod.DAY, "America/New_York")
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_current_period_where_midnight_does_not_exist() -> None:
    # Santiago springs forward at 24:00 -> 01:00: 7 September 2025 starts at 01:00 local.
    day = current_period(utc(2025, 9, 7, 12), QuotaPeriod.DAY, "America/Santiago")
    assert day.start == utc(2025, 9, 7, 4)
    assert day.end == utc(2025, 9, 8, 3)
    assert day.bucket_aligned


def test_week_starts_on_monday_and_month_on_the_first() -> None:
    sunday = utc(2025, 1, 19, 23)
    week = current_period(sunday, QuotaPeriod.WEEK, None)
    assert (week.start, week.end) == (utc(2025, 1, 13), utc(2025, 1, 20))
    leap = current_period(utc(2024, 2, 29, 23), QuotaPeriod.MONTH, None)
    assert (leap.start, leap.end) == (utc(2024, 2, 1), utc(2024, 3, 1))


async def test_an_unknown_time_zone_is_refused(quota: QuotaEngine) -> None:
    with pytest.raises(InvalidSettingError, match="Mars/Olympus_Mons"):
        await quota.set_timezone(GUILD, "Mars/Olympus_Mons")
    assert (await quota.guild_settings(GUILD)).timezone is None


async def test_usage_counts_in_the_period_the_job_was_made_in(
    clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 2)
    clock.set(utc(2025, 1, 15, 23, 50))
    late = await make_job(USER, Operation.GENERATE)
    clock.set(utc(2025, 1, 16, 0, 10))
    # Finishing (or failing) after midnight touches yesterday's allowance, not today's.
    await store.finish_failed(late.id, "timed out")
    assert (await quota.status(GUILD, USER)).remaining == 2
    usage = await quota.usage_report(GUILD)
    assert usage == []


async def test_a_change_of_period_or_zone_between_two_jobs_applies_to_the_second(
    backend: str, clock: FakeClock, quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    # On PostgreSQL the window is computed from the period last seen for the guild, and the
    # server refuses it when the guild has changed since; the job is then checked again.
    assert store.database.functions == (backend == "postgres")
    await quota.set_guild_allowance(GUILD, 2, QuotaPeriod.WEEK)
    clock.set(utc(2025, 1, 14, 12))  # Tuesday
    await make_job(USER)
    await make_job(USER)
    clock.set(utc(2025, 1, 15, 12))  # Wednesday: the week's two are spent
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER)
    assert refused.value.resets_at == utc(2025, 1, 20)

    await quota.set_period(GUILD, QuotaPeriod.DAY)  # Tuesday's jobs no longer count
    await make_job(USER)
    # UTC+14: Thursday there since 10:00 UTC, so the job made at noon counts in this day too.
    await quota.set_timezone(GUILD, "Pacific/Kiritimati")
    await make_job(USER)
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER)
    assert refused.value.resets_at == utc(2025, 1, 16, 10)  # Friday 00:00 at UTC+14
