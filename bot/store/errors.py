"""Errors of the storage layer itself; refusals a member reads are domain data (bot.domain)."""

from __future__ import annotations

from pathlib import Path

from bot.domain.errors import InvalidSettingError, QuotaExceeded, QuotaReason, SettingProblem

__all__ = [
    "InvalidSettingError",
    "InvalidTransitionError",
    "JobNotFoundError",
    "QuotaExceeded",
    "QuotaReason",
    "SchemaTooNewError",
    "SettingProblem",
    "StoreError",
]


class StoreError(Exception):
    """Something in the database is not as the bot expects (for operators and logs)."""


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
