"""Domain refusals as data: why, and the figures behind it. ``bot.ui`` words them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class DomainError(Exception):
    """A rule of the bot refused something; the fields say why, ``bot.ui`` says it in words."""


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
    USER_QUEUE_FULL = "user_queue_full"
    """The member has as many videos in the making and waiting as allowed."""


class QuotaExceeded(DomainError):
    """A request was refused by a quota; nothing was held or charged.

    For allowance and budget refusals ``needed``/``available`` are credits and ``resets_at``
    says when they come back; for concurrency and queue refusals they count job slots,
    ``resets_at`` is None, and ``running``/``waiting`` say what the member already has.
    """

    def __init__(
        self,
        reason: QuotaReason,
        needed: int,
        available: int,
        resets_at: datetime | None = None,
        *,
        running: int = 0,
        waiting: int = 0,
    ) -> None:
        self.reason = reason
        self.needed = needed
        self.available = available
        self.resets_at = resets_at
        self.running = running
        self.waiting = waiting
        reset = f", resets {resets_at.isoformat()}" if resets_at else ""
        super().__init__(f"{reason.value}: needs {needed}, has {available}{reset}")

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_quota_exceeded,
            (self.reason, self.needed, self.available, self.resets_at, self.running, self.waiting),
        )


def _rebuild_quota_exceeded(
    reason: QuotaReason,
    needed: int,
    available: int,
    resets_at: datetime | None,
    running: int,
    waiting: int,
) -> QuotaExceeded:
    return QuotaExceeded(reason, needed, available, resets_at, running=running, waiting=waiting)


class SettingProblem(StrEnum):
    """What is wrong with an admin's setting."""

    UNKNOWN_TIMEZONE = "unknown_timezone"
    NEGATIVE_CREDITS = "negative_credits"
    """Credits (a cost, an allowance, a budget) must be a whole number, 0 or more."""
    ZERO_GRANT = "zero_grant"
    """A grant must be a whole, non-zero number of credits."""
    CONCURRENCY_BELOW_ONE = "concurrency_below_one"
    UNKNOWN_SETTING = "unknown_setting"


class InvalidSettingError(DomainError, ValueError):
    """An admin setting is out of range or unknown; ``value`` is what was given."""

    def __init__(self, problem: SettingProblem, value: object = None) -> None:
        self.problem = problem
        self.value = value
        super().__init__(f"{problem.value}: {value!r}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problem, self.value))


class JobProblem(StrEnum):
    """Why a job a member named cannot be used."""

    NOT_A_NUMBER = "not_a_number"
    NOT_FOUND = "not_found"
    """No such job in this server."""
    NOT_VISIBLE = "not_visible"
    """No job by that name that the member may look at."""
    NOT_YOURS = "not_yours"
    NOT_FINISHED = "not_finished"
    """It has no video (yet): still in the making, or it failed."""
    GONE = "gone"
    """Its video is no longer available (a button on an old or failed result)."""
    OWNER_ONLY = "owner_only"
    """Only the job's owner may press its buttons in this server."""
    NOT_YOURS_TO_CANCEL = "not_yours_to_cancel"
    """Only the job's owner or the server's staff may cancel it."""


class JobUnavailable(DomainError):
    """The job a member named (in an option or behind a button) cannot be used for this."""

    def __init__(self, problem: JobProblem, job: str | int, owner_id: int | None = None) -> None:
        self.problem = problem
        self.job = str(job)
        self.owner_id = owner_id
        super().__init__(f"{problem.value}: job {self.job}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problem, self.job, self.owner_id))
