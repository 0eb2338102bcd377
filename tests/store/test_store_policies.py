"""Allowances from roles and overrides, unlimited members, grants, costs and guild settings."""

from __future__ import annotations

import pytest

from bot.config import QuotaPeriod
from bot.pika.job import Operation
from bot.store import (
    DEFAULT_COSTS,
    EntryKind,
    InvalidSettingError,
    JobStore,
    Policy,
    QuotaDefaults,
    QuotaEngine,
    QuotaExceeded,
    QuotaReason,
    SubjectKind,
)

from .conftest import GUILD, MakeJob

USER = 31
ARTISTS, PATRONS, STAFF = 501, 502, 503


async def test_the_most_generous_of_roles_and_guild_default_wins(quota: QuotaEngine) -> None:
    await quota.set_guild_allowance(GUILD, 3)
    await quota.set_role_allowance(GUILD, ARTISTS, 5)
    await quota.set_role_allowance(GUILD, PATRONS, 8)
    await quota.set_role_allowance(GUILD, STAFF, 1)  # lower than the default: no effect

    assert (await quota.status(GUILD, USER, [ARTISTS, PATRONS, STAFF])).allowance == 8
    assert (await quota.status(GUILD, USER, [ARTISTS])).allowance == 5
    assert (await quota.status(GUILD, USER, [STAFF])).allowance == 3
    assert (await quota.status(GUILD, USER)).allowance == 3

    await quota.set_role_allowance(GUILD, PATRONS, None)
    assert (await quota.status(GUILD, USER, [ARTISTS, PATRONS])).allowance == 5


async def test_running_out_of_a_role_allowance_names_the_role_reason(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 1)
    await quota.set_role_allowance(GUILD, ARTISTS, 2)
    await make_job(USER, Operation.SWAP, roles=(ARTISTS,))
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER, roles=(ARTISTS,))
    assert refused.value.reason is QuotaReason.ROLE_ALLOWANCE
    assert (refused.value.needed, refused.value.available) == (1, 0)


async def test_a_user_override_replaces_role_and_guild_figures(
    quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_role_allowance(GUILD, PATRONS, 50)
    await quota.set_user_allowance(GUILD, USER, 1)
    assert (await quota.status(GUILD, USER, [PATRONS])).allowance == 1
    await make_job(USER, roles=(PATRONS,))
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER, roles=(PATRONS,))
    assert refused.value.reason is QuotaReason.USER_ALLOWANCE

    await quota.set_user_allowance(GUILD, USER, None)
    assert (await quota.status(GUILD, USER, [PATRONS])).allowance == 50


async def test_unlimited_roles_and_users_are_not_limited_by_allowance(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 0)
    await quota.set_unlimited(GUILD, STAFF, SubjectKind.ROLE, True)
    await quota.set_unlimited(GUILD, USER + 1, SubjectKind.USER, True)
    for owner, roles in ((USER, (STAFF,)), (USER + 1, ())):
        for _ in range(5):
            job = await make_job(owner, Operation.UPSCALE, roles=roles)
            await store.finish_succeeded(job.id)
        status = await quota.status(GUILD, owner, roles)
        assert status.unlimited and status.remaining is None and status.available is None

    with pytest.raises(QuotaExceeded):
        await make_job(USER)  # without the role, the guild default (0) applies
    await quota.set_unlimited(GUILD, STAFF, SubjectKind.ROLE, False)
    with pytest.raises(QuotaExceeded):
        await make_job(USER, roles=(STAFF,))
    charges = [e for e in await quota.ledger_entries(GUILD) if e.kind is EntryKind.CHARGE]
    assert len(charges) == 10  # unlimited spending is still on the books


async def test_grants_come_on_top_and_are_spent_last(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 2)
    await quota.set_concurrency(GUILD, per_user=10, per_guild=None)
    assert await quota.grant(GUILD, USER, 3, actor_id=1, reason="event prize") == 3

    first = await make_job(USER)
    status = await quota.status(GUILD, USER)
    assert (status.remaining, status.grant_remaining, status.available) == (1, 3, 4)

    straddling = await make_job(USER, Operation.SWAP)  # 1 from the allowance, 1 from grants
    status = await quota.status(GUILD, USER)
    assert (status.remaining, status.grant_remaining) == (0, 2)
    await make_job(USER, Operation.INGREDIENTS)  # 2 from grants
    with pytest.raises(QuotaExceeded) as refused:
        await make_job(USER)
    assert (refused.value.needed, refused.value.available) == (1, 0)

    # A failed job gives back what it took, allowance and grants alike.
    await store.finish_failed(straddling.id, "rejected")
    status = await quota.status(GUILD, USER)
    assert (status.remaining, status.grant_remaining) == (1, 1)
    await store.finish_succeeded(first.id)
    holds = [e for e in await quota.ledger_entries(GUILD) if e.kind is EntryKind.HOLD]
    assert [(e.amount, e.grant_amount) for e in holds] == [(1, 0), (2, 1), (2, 2)]


async def test_grants_do_not_expire_with_the_period(
    clock, quota: QuotaEngine, make_job: MakeJob
) -> None:
    await quota.set_guild_allowance(GUILD, 0)
    await quota.grant(GUILD, USER, 2)
    await make_job(USER)
    clock.advance(days=40)
    status = await quota.status(GUILD, USER)
    assert (status.remaining, status.grant_remaining) == (0, 1)
    await make_job(USER)
    with pytest.raises(QuotaExceeded):
        await make_job(USER)


async def test_taking_back_a_grant_never_goes_below_zero(quota: QuotaEngine) -> None:
    await quota.grant(GUILD, USER, 3)
    assert await quota.grant(GUILD, USER, -2, actor_id=1, reason="mistake") == 1
    assert await quota.grant(GUILD, USER, -5, actor_id=1, reason="all of it") == 0
    entries = await quota.ledger_entries(GUILD, user_id=USER)
    assert [(e.kind, e.amount) for e in entries] == [
        (EntryKind.GRANT, 3),
        (EntryKind.ADJUST, -2),
        (EntryKind.ADJUST, -1),
    ]
    assert entries[1].actor_id == 1 and entries[1].reason == "mistake"
    with pytest.raises(InvalidSettingError):
        await quota.grant(GUILD, USER, 0)


async def test_costs_default_and_change_per_guild(quota: QuotaEngine, make_job: MakeJob) -> None:
    assert await quota.cost(GUILD, Operation.GENERATE) == 1
    assert await quota.cost(GUILD, Operation.LIPSYNC) == 2
    assert dict((await quota.status(GUILD, USER)).costs) == dict(DEFAULT_COSTS)

    await quota.set_cost(GUILD, Operation.GENERATE, 4)
    await quota.set_cost(GUILD, Operation.UPSCALE, 0)
    assert await quota.cost(GUILD, Operation.GENERATE) == 4
    assert await quota.cost(GUILD + 1, Operation.GENERATE) == 1
    job = await make_job(USER, Operation.GENERATE)
    free = await make_job(USER, Operation.UPSCALE)
    assert (job.hold_cost, free.hold_cost) == (4, 0)

    await quota.set_cost(GUILD, Operation.GENERATE, None)
    assert await quota.cost(GUILD, Operation.GENERATE) == 1
    with pytest.raises(InvalidSettingError):
        await quota.set_cost(GUILD, Operation.GENERATE, -1)


async def test_guild_settings_start_from_the_defaults_and_keep_changes(db) -> None:
    defaults = QuotaDefaults(
        allowance=4, period=QuotaPeriod.WEEK, max_in_flight_user=3, max_in_flight_guild=7
    )
    quota = QuotaEngine(db, defaults)
    settings = await quota.guild_settings(GUILD)
    assert (settings.default_allowance, settings.period, settings.budget) == (
        4,
        QuotaPeriod.WEEK,
        None,
    )
    assert (settings.max_in_flight_user, settings.max_in_flight_guild) == (3, 7)
    assert not settings.anyone_can_press

    await quota.set_anyone_can_press(GUILD, True)
    await quota.set_guild_budget(GUILD, 100)
    await quota.set_concurrency(GUILD, per_user=5, per_guild=None)
    await quota.set_period(GUILD, QuotaPeriod.MONTH)
    await quota.set_timezone(GUILD, "Europe/Paris")
    settings = await JobStore(db, quota).guild_settings(GUILD)
    assert settings.anyone_can_press
    assert (settings.budget, settings.max_in_flight_user, settings.max_in_flight_guild) == (
        100,
        5,
        7,
    )
    assert (settings.period, settings.timezone) == (QuotaPeriod.MONTH, "Europe/Paris")
    assert settings.default_allowance == 4  # untouched settings keep following the defaults

    await quota.set_guild_budget(GUILD, None)
    assert (await quota.guild_settings(GUILD)).budget is None
    with pytest.raises(InvalidSettingError):
        await quota.set_concurrency(GUILD, per_user=0, per_guild=None)
    with pytest.raises(InvalidSettingError):
        await quota.set_guild_allowance(GUILD, -3)


def test_defaults_come_from_the_bot_settings() -> None:
    from bot.config import load_settings

    settings = load_settings(
        discord_token="x",
        quota_default_allowance=25,
        quota_default_period="month",
        quota_max_in_flight_user=4,
        quota_max_in_flight_guild=12,
    )
    defaults = QuotaDefaults.from_settings(settings)
    assert (defaults.allowance, defaults.period) == (25, QuotaPeriod.MONTH)
    assert (defaults.max_in_flight_user, defaults.max_in_flight_guild) == (4, 12)
    assert defaults.costs[Operation.INGREDIENTS] == 2


async def test_policies_list_roles_and_users(quota: QuotaEngine) -> None:
    await quota.set_role_allowance(GUILD, ARTISTS, 5)
    await quota.set_unlimited(GUILD, ARTISTS, SubjectKind.ROLE, True)
    await quota.set_user_allowance(GUILD, USER, 2)
    await quota.set_unlimited(GUILD, USER + 9, SubjectKind.USER, True)
    await quota.set_unlimited(GUILD, USER + 9, SubjectKind.USER, False)  # removes the row
    assert await quota.list_policies(GUILD) == [
        Policy(SubjectKind.ROLE, ARTISTS, 5, True),
        Policy(SubjectKind.USER, USER, 2, False),
    ]


async def test_usage_report_lists_members_by_spend(
    quota: QuotaEngine, store: JobStore, make_job: MakeJob
) -> None:
    small = await make_job(1)
    big = await make_job(2, Operation.SWAP)
    failed = await make_job(2)
    await store.finish_succeeded(small.id)
    await store.finish_succeeded(big.id)
    await store.finish_failed(failed.id, "rejected")
    report = await quota.usage_report(GUILD)
    assert [(r.user_id, r.jobs, r.charged, r.held, r.succeeded, r.failed) for r in report] == [
        (2, 2, 2, 0, 1, 1),
        (1, 1, 1, 0, 1, 0),
    ]
    assert (await quota.guild_spend(GUILD)).charged == 3
