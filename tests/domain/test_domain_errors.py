"""Refusals are data: the reason and the figures travel; the UI words them."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

from bot.domain import InvalidSettingError, QuotaExceeded, QuotaReason, SettingProblem

RESET = datetime(2025, 1, 16, tzinfo=UTC)


def test_a_refusal_keeps_its_figures_and_survives_pickling() -> None:
    refusal = QuotaExceeded(QuotaReason.GUILD_BUDGET, 3, 1, RESET)
    copy = pickle.loads(pickle.dumps(refusal))
    assert (copy.reason, copy.needed, copy.available, copy.resets_at) == (
        QuotaReason.GUILD_BUDGET,
        3,
        1,
        RESET,
    )
    # The text is for logs: figures, no sentence.
    assert str(refusal) == "guild_budget: needs 3, has 1, resets 2025-01-16T00:00:00+00:00"


def test_a_setting_problem_keeps_the_value() -> None:
    problem = pickle.loads(
        pickle.dumps(InvalidSettingError(SettingProblem.UNKNOWN_TIMEZONE, "Mars"))
    )
    assert (problem.problem, problem.value) == (SettingProblem.UNKNOWN_TIMEZONE, "Mars")
    assert isinstance(problem, ValueError)


def test_bigger_and_longer_videos_cost_more_in_the_services_ratios() -> None:
    from bot.domain import Operation
    from bot.domain.pricing import cost_multiplier, credits_for

    generate = [
        credits_for(1, cost_multiplier(Operation.GENERATE, resolution, seconds))
        for resolution, seconds in (("720p", 5), ("1080p", 5), ("720p", 10), ("1080p", 10))
    ]
    assert generate == [1, 3, 3, 5]  # 0.20, 0.45, 0.60, 1.00 USD at Pika's resale prices
    assert credits_for(2, cost_multiplier(Operation.INGREDIENTS, "1080p", 10)) == 10
    assert cost_multiplier(Operation.KEYFRAMES, None, 25) == 1.25 * 3  # per started 10 s
    assert cost_multiplier(Operation.PIKAFFECT, "1080p", 10) == 1.0  # no size choice there
    assert credits_for(0, 5.0) == 0  # a free operation stays free
