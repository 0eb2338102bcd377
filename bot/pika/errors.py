"""Typed errors of the Pika layer, so the bot can tell a user what happened."""

from __future__ import annotations

from collections.abc import Sequence

Value = str | int | float | tuple[str, ...]
"""A figure of a refusal: a name, a limit, or the choices (as the request spells them)."""


class RequestInvalid(ValueError):
    """One rule refused a request: ``code`` names its sentence, ``values`` fill it.

    ``str()`` is the English sentence (logs, English readers). ``code`` is the message id the
    catalogs word it with; ``values["field"]``, the request's own name of the field at fault,
    is added where pydantic found the problem, so ``bot.ui`` can name the option as members
    see it.
    """

    def __init__(self, english: str, code: str, /, **values: Value) -> None:
        super().__init__(english)
        self.code = code
        self.values = values

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_request_invalid, (str(self), self.code, self.values))


def _rebuild_request_invalid(english: str, code: str, values: dict[str, Value]) -> RequestInvalid:
    return RequestInvalid(english, code, **values)


class PikaError(Exception):
    """Something went wrong talking to Pika.

    ``problems`` are the rules that refused, when the refusal is ours (validation, or what the
    service cannot do); the message is then their English sentences joined by "; ".
    """

    user_message = "Pika could not take this request right now."

    def __init__(
        self, message: str | None = None, *, problems: Sequence[RequestInvalid] = ()
    ) -> None:
        super().__init__(message or "; ".join(map(str, problems)) or self.user_message)
        self.problems = tuple(problems)


class InvalidRequestError(PikaError, ValueError):
    """Our own validation refused the request before anything was sent."""

    user_message = "This request is not valid."


class UnsupportedOperationError(PikaError):
    """The configured provider cannot do this operation or feature."""

    user_message = "This Pika service cannot do that."

    @classmethod
    def because(cls, english: str, code: str, /, **values: Value) -> UnsupportedOperationError:
        """The refusal of one thing the service cannot do, worded by ``code``."""
        return cls(problems=[RequestInvalid(english, code, **values)])


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
