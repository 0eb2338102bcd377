"""The bot's domain core: plain facts and rules that import nothing else of the bot.

Operations, statuses, quota periods, the job record and the domain's refusals (as data) live
here, so the store, the Pika layer, the engine and the UI share one vocabulary without leaning
on each other.
"""

from bot.domain.errors import (
    DomainError,
    InvalidSettingError,
    JobProblem,
    JobUnavailable,
    QuotaExceeded,
    QuotaReason,
    SettingProblem,
)
from bot.domain.failures import FailureReason
from bot.domain.jobs import HoldState, JobRecord, NewJob, ProgressKind
from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.domain.status import ACTIVE, TERMINAL, JobStatus, StoredStatus

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "DomainError",
    "FailureReason",
    "HoldState",
    "InvalidSettingError",
    "JobProblem",
    "JobRecord",
    "JobStatus",
    "JobUnavailable",
    "NewJob",
    "Operation",
    "ProgressKind",
    "QuotaExceeded",
    "QuotaPeriod",
    "QuotaReason",
    "SettingProblem",
    "StoredStatus",
]
