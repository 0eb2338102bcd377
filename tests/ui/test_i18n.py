"""Which language a member or a server gets, and numbers and times written per language."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest

from bot.domain import QuotaExceeded, QuotaReason
from bot.errors import BadInput
from bot.pika.errors import InvalidRequestError, RequestInvalid
from bot.ui.errors import user_message_for
from bot.ui.i18n import Locale, date_time, number, public_locale, resolve, span, supported, t
from bot.ui.words import credits

ZH = Locale.ZH_CN


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zh-CN", ZH),
        (discord.Locale.chinese, ZH),
        ("zh-TW", ZH),  # Traditional readers get Simplified until there is a zh-TW catalog
        ("en-US", Locale.EN_US),
        ("en-GB", Locale.EN_US),
        ("fr", Locale.EN_US),
        (discord.Locale.japanese, Locale.EN_US),
        (None, Locale.EN_US),
    ],
)
def test_discord_locales_resolve_to_a_catalog(given, expected):
    assert resolve(given) is expected


def test_public_messages_follow_the_server_then_its_locale_then_english():
    def public(**given):
        return public_locale(
            **{"chosen": None, "guild_locale": None, "member_locale": "en-US", "in_server": True}
            | given
        )

    assert public(chosen="zh-CN") is ZH
    assert public(chosen="en-US", guild_locale="zh-CN", member_locale="zh-CN") is Locale.EN_US
    assert public(guild_locale="zh-CN") is ZH
    assert public(guild_locale="fr", member_locale="zh-CN") is Locale.EN_US
    assert public(in_server=False, guild_locale="en-US", member_locale="zh-CN") is ZH
    assert supported("de") is None


def test_numbers_dates_and_spans_are_written_per_language():
    assert number(Locale.EN_US, 1234567) == "1,234,567"
    assert number(ZH, 1234567) == "1,234,567"
    assert number(Locale.EN_US, 11.0, digits=1) == "11.0"
    assert credits(1) == "1 credit" and credits(1000) == "1,000 credits"
    assert credits(1, ZH) == "1 积分" and credits(2, ZH) == "2 积分"
    moment = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)
    assert "2025" in date_time(ZH, moment) and "年" in date_time(ZH, moment)
    assert date_time(Locale.EN_US, moment).startswith("Mar 4, 2025")
    assert span(Locale.EN_US, 180) == "3 minutes" and span(ZH, 180) == "3分钟"


def test_refusals_are_written_in_the_members_language():
    reset = datetime(2025, 1, 16, tzinfo=UTC)
    refusal = user_message_for(QuotaExceeded(QuotaReason.USER_ALLOWANCE, 2, 1, reset), ZH)
    assert refusal is not None and refusal.startswith("你只剩 1 积分，而这次需要 2 积分。")
    assert user_message_for(BadInput("input.generate.need_input"), ZH) == t(
        ZH, "input.generate.need_input"
    )
    motion = RequestInvalid(
        "motion must be between 1 and 4", "pika.between", name="motion", low=1, high=4
    )
    assert "必须在 1 到 4 之间" in (
        user_message_for(InvalidRequestError(problems=[motion]), ZH) or ""
    )
    style = RequestInvalid("style is only available on model 1.0", "pika.style_model")
    assert (
        user_message_for(InvalidRequestError(problems=[style]), ZH) == "风格只有 1.0 模型才支持。"
    )
    # Words that are not ours (a provider's) are shown as written, framed in Chinese.
    unknown = user_message_for(InvalidRequestError("the moon is not cheese"), ZH) or ""
    assert unknown.startswith("这个请求无法使用：")
