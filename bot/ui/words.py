"""Small pieces of wording every answer shares, so each is written once."""

from __future__ import annotations

from datetime import datetime

from bot.ui.i18n import DEFAULT_LOCALE, Locale, tn


def credits(count: int, locale: Locale = DEFAULT_LOCALE) -> str:
    """``1 credit``, ``3 credits``; ``1,000 credits`` (numbers as the language writes them)."""
    return tn(locale, "words.credits", count)


def videos(count: int, locale: Locale = DEFAULT_LOCALE) -> str:
    """``1 video``, ``2 videos``."""
    return tn(locale, "words.videos", count)


def relative_time(moment: datetime) -> str:
    """A Discord timestamp each member's client shows in their own time and language."""
    return f"<t:{int(moment.timestamp())}:R>"


def full_time(moment: datetime) -> str:
    """A relative Discord timestamp followed by the full local date and time."""
    stamp = int(moment.timestamp())
    return f"<t:{stamp}:R> (<t:{stamp}:f>)"
