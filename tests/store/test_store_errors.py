"""Quota refusals read well: a neutral message for the bot, a full sentence from str()."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone

from bot.errors import UserFacingError
from bot.store import QuotaExceeded, QuotaReason

RESET = datetime(2025, 1, 16, tzinfo=UTC)


def test_allowance_refusal_says_what_is_left_and_what_it_costs() -> None:
    refusal = QuotaExceeded(QuotaReason.USER_ALLOWANCE, needed=2, available=1, resets_at=RESET)
    assert isinstance(refusal, UserFacingError)
    assert refusal.message == "You have 1 credit left and this costs 2 credits."
    assert str(refusal) == (
        "You have 1 credit left and this costs 2 credits; "
        "your credits reset at 2025-01-16 00:00 UTC."
    )


def test_role_allowance_and_budget_refusals() -> None:
    role = QuotaExceeded(QuotaReason.ROLE_ALLOWANCE, needed=1, available=0, resets_at=RESET)
    assert role.message == "You have 0 credits left and this costs 1 credit."
    budget = QuotaExceeded(QuotaReason.GUILD_BUDGET, needed=2, available=0, resets_at=RESET)
    assert (
        budget.message == "This server has 0 credits left in its budget and this costs 2 credits."
    )
    assert str(budget).endswith("; the server's budget resets at 2025-01-16 00:00 UTC.")


def test_reset_time_is_shown_in_utc_whatever_zone_it_came_in() -> None:
    new_york = timezone(timedelta(hours=-5))
    refusal = QuotaExceeded(
        QuotaReason.USER_ALLOWANCE, 1, 0, datetime(2025, 1, 15, 0, 0, tzinfo=new_york)
    )
    assert str(refusal).endswith("reset at 2025-01-15 05:00 UTC.")


def test_concurrency_refusals_have_no_reset_time() -> None:
    mine = QuotaExceeded(QuotaReason.USER_CONCURRENCY, needed=1, available=0)
    assert str(mine) == mine.message
    assert "wait for one to finish" in mine.message
    guild = QuotaExceeded(QuotaReason.GUILD_CONCURRENCY, needed=1, available=0)
    assert "This server" in str(guild)


def test_a_refusal_survives_pickling_with_its_fields() -> None:
    refusal = QuotaExceeded(QuotaReason.GUILD_BUDGET, 3, 1, RESET)
    copy = pickle.loads(pickle.dumps(refusal))
    assert (copy.reason, copy.needed, copy.available, copy.resets_at) == (
        QuotaReason.GUILD_BUDGET,
        3,
        1,
        RESET,
    )
    assert copy.message == refusal.message
