"""Every refusal a member can meet is worded once, in bot/ui, from the refusal's data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import InvalidSettingError, QuotaExceeded, QuotaReason, SettingProblem
from bot.errors import BadInput
from bot.pika.errors import InvalidRequestError
from bot.ui.errors import as_sentence, user_message_for

RESET = datetime(2025, 1, 16, tzinfo=UTC)
STAMP = int(RESET.timestamp())


@pytest.mark.parametrize(
    ("refusal", "sentence"),
    [
        (
            QuotaExceeded(QuotaReason.USER_ALLOWANCE, 2, 1, RESET),
            f"You have 1 credit left and this costs 2 credits. Your credits reset <t:{STAMP}:R>. "
            "Nothing was charged.",
        ),
        (
            QuotaExceeded(QuotaReason.ROLE_ALLOWANCE, 1, 0, RESET),
            f"You have 0 credits left and this costs 1 credit. Your credits reset <t:{STAMP}:R>.",
        ),
        (
            QuotaExceeded(QuotaReason.GUILD_BUDGET, 2, 0, RESET),
            "This server has 0 credits left in its budget and this costs 2 credits. "
            f"The server's budget resets <t:{STAMP}:R>.",
        ),
        (
            QuotaExceeded(QuotaReason.USER_CONCURRENCY, 1, 0),
            "You already have as many videos in the making as allowed; wait for one to finish.",
        ),
        (
            QuotaExceeded(QuotaReason.GUILD_CONCURRENCY, 1, 0),
            "This server already has as many videos in the making as allowed",
        ),
    ],
)
def test_quota_refusals_say_what_is_left_and_when_it_comes_back(refusal, sentence):
    message = user_message_for(refusal)
    assert message is not None and message.startswith(sentence), message


@pytest.mark.parametrize(
    ("problem", "value", "words"),
    [
        (SettingProblem.UNKNOWN_TIMEZONE, "Mars/Olympus", "'Mars/Olympus' is not a time zone"),
        (SettingProblem.NEGATIVE_CREDITS, -1, "Credits must be a whole number, 0 or more."),
        (SettingProblem.ZERO_GRANT, 0, "A grant must be a whole, non-zero number"),
        (SettingProblem.CONCURRENCY_BELOW_ONE, 0, "A concurrency limit must be"),
    ],
)
def test_setting_problems_are_worded_for_admins(problem, value, words):
    assert words in (user_message_for(InvalidSettingError(problem, value)) or "")


def test_other_expected_errors_and_bugs():
    assert user_message_for(BadInput("Give a `prompt`.")) == "Give a `prompt`."
    assert user_message_for(InvalidRequestError("motion must be between 1 and 4")) == (
        "Motion must be between 1 and 4."
    )
    assert user_message_for(RuntimeError("a bug")) is None
    assert as_sentence("done!") == "Done!"
