"""Domain errors: each carries the message id (and values) of the sentence a user sees.

The sentence itself is written in the member's language when it is shown (``bot.ui.errors``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A value that is itself a message id, written in the member's language when shown."""

    msgid: str


@dataclass(frozen=True)
class Number:
    """A number, written as the member's language writes numbers when shown."""

    value: float
    digits: int | None = None


class UserFacingError(Exception):
    """An expected refusal whose message is safe and useful to show the user."""

    def __init__(self, msgid: str, /, **values: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values

    @property
    def message(self) -> str:
        """The sentence in English (for logs and tests); members read it in their language."""
        from bot.ui.errors import user_message_for  # the wording lives in bot.ui

        return user_message_for(self) or self.msgid

    def __str__(self) -> str:
        return self.message


class BadInput(UserFacingError):
    """The user's options or attachments cannot be used; nothing was spent."""


class NotAllowed(UserFacingError):
    """The user may not do this (permissions, someone else's job or button)."""


class ShuttingDown(UserFacingError):
    """The bot is stopping and takes no new work."""

    def __init__(self) -> None:
        super().__init__("error.shutting_down")
