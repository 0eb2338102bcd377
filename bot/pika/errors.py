"""Typed errors of the Pika layer, so the bot can tell a user what happened."""

from __future__ import annotations


class PikaError(Exception):
    """Something went wrong talking to Pika."""

    user_message = "Pika could not take this request right now."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.user_message)


class InvalidRequestError(PikaError, ValueError):
    """Our own validation refused the request before anything was sent."""

    user_message = "This request is not valid."


class UnsupportedOperationError(PikaError):
    """The configured provider cannot do this operation or feature."""

    user_message = "This Pika service cannot do that."


class AuthenticationError(PikaError):
    """The provider refused our key (401/403)."""

    user_message = "The bot's Pika key was refused; ask the server owner to check it."

    def __init__(self, message: str | None = None, *, setting: str = "PIKA_API_KEY") -> None:
        super().__init__(message)
        self.setting = setting
        """The setting that holds the refused key (named in logs; the key never is)."""


class RejectedError(PikaError):
    """The provider refused the request (4xx) and said why."""

    user_message = "Pika refused this request."

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class RateLimitedError(PikaError):
    """The provider asked us to slow down (429)."""

    user_message = "Pika is busy; try again in a moment."

    def __init__(self, retry_after: float | None = None, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnavailableError(PikaError):
    """The provider could not be reached, timed out or answered 5xx.

    ``maybe_submitted`` is True when a submission may have been accepted anyway (the
    request reached the provider but the answer was lost), so it must not be re-sent blindly.
    """

    user_message = "Pika is unavailable right now; nothing was charged."

    def __init__(self, message: str | None = None, *, maybe_submitted: bool = False) -> None:
        super().__init__(message)
        self.maybe_submitted = maybe_submitted
