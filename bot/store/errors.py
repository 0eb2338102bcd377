"""Errors of the storage layer; quota refusals carry what the user needs to understand them."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from bot.errors import UserFacingError


class StoreError(Exception):
    """Something in the database is not as the bot expects."""


class SchemaTooNewError(StoreError):
    """The database file was written by a newer bot; opening it could damage it."""

    def __init__(self, path: Path | str, found: int, known: int) -> None:
        super().__init__(
            f"the database at {path} was written by a newer version of the bot "
            f"(schema {found}, this bot knows {known}); upgrade the bot"
        )
        self.path = path
        self.found = found
        self.known = known


class JobNotFoundError(StoreError, LookupError):
    """No job has this id."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"job {job_id} does not exist")
        self.job_id = job_id


class InvalidTransitionError(StoreError):
    """A job was asked to do something its current state does not allow."""


class InvalidSettingError(StoreError, ValueError):
    """An admin setting is out of range or unknown (bad time zone, negative credits...)."""


class QuotaReason(StrEnum):
    """Which limit refused a request."""

    USER_ALLOWANCE = "user_allowance"
    """The member's own allowance (guild default or a per-user override) plus grants is spent."""
    ROLE_ALLOWANCE = "role_allowance"
    """The allowance that applied came from one of the member's roles, and it is spent."""
    GUILD_BUDGET = "guild_budget"
    """The whole server's budget for the period is spent."""
    USER_CONCURRENCY = "user_concurrency"
    """The member already has as many videos in the making as allowed."""
    GUILD_CONCURRENCY = "guild_concurrency"
    """The server already has as many videos in the making as allowed."""


def _credits(count: int) -> str:
    return f"{count} credit" if count == 1 else f"{count} credits"


class QuotaExceeded(UserFacingError):
    """A request was refused by a quota; nothing was held or charged.

    ``message`` is a neutral sentence without times (the bot appends ``resets_at`` in its
    own format, e.g. a Discord timestamp); ``str()`` adds the reset time in plain UTC.
    For concurrency refusals ``needed``/``available`` count job slots and ``resets_at`` is None.
    """

    def __init__(
        self,
        reason: QuotaReason,
        needed: int,
        available: int,
        resets_at: datetime | None = None,
    ) -> None:
        self.reason = reason
        self.needed = needed
        self.available = available
        self.resets_at = resets_at
        super().__init__(self._neutral_message())

    def _neutral_message(self) -> str:
        match self.reason:
            case QuotaReason.USER_ALLOWANCE | QuotaReason.ROLE_ALLOWANCE:
                return (
                    f"You have {_credits(self.available)} left and this costs "
                    f"{_credits(self.needed)}."
                )
            case QuotaReason.GUILD_BUDGET:
                return (
                    f"This server has {_credits(self.available)} left in its budget and this "
                    f"costs {_credits(self.needed)}."
                )
            case QuotaReason.USER_CONCURRENCY:
                return (
                    "You already have as many videos in the making as allowed; "
                    "wait for one to finish."
                )
            case QuotaReason.GUILD_CONCURRENCY:
                return (
                    "This server already has as many videos in the making as allowed; "
                    "try again when one finishes."
                )

    def __str__(self) -> str:
        if self.resets_at is None:
            return self.message
        who = (
            "the server's budget resets"
            if self.reason is QuotaReason.GUILD_BUDGET
            else ("your credits reset")
        )
        when = self.resets_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"{self.message[:-1]}; {who} at {when}."

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.reason, self.needed, self.available, self.resets_at))
