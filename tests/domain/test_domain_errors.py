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
