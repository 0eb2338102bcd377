"""Domain errors: each carries the sentence a Discord user sees when it happens."""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected refusal whose message is safe and useful to show the user as-is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(UserFacingError):
    """The user's options or attachments cannot be used; nothing was spent."""


class NotAllowed(UserFacingError):
    """The user may not do this (permissions, someone else's job or button)."""


class ShuttingDown(UserFacingError):
    """The bot is stopping and takes no new work."""

    def __init__(self) -> None:
        super().__init__("The bot is restarting; try again in a few seconds. Nothing was charged.")
