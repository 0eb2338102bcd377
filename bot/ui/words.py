"""Small pieces of wording every answer shares, so each is written once."""

from __future__ import annotations

from datetime import datetime


def credits(count: int) -> str:
    """``1 credit``, ``3 credits``."""
    return f"{count} credit" if count == 1 else f"{count} credits"


def videos(count: int) -> str:
    """``1 video``, ``2 videos``."""
    return f"{count} video" if count == 1 else f"{count} videos"


def relative_time(moment: datetime) -> str:
    """A Discord timestamp each member's client shows in their own time ("in 3 hours")."""
    return f"<t:{int(moment.timestamp())}:R>"


def full_time(moment: datetime) -> str:
    """A relative Discord timestamp followed by the full local date and time."""
    stamp = int(moment.timestamp())
    return f"<t:{stamp}:R> (<t:{stamp}:f>)"
