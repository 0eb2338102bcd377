"""Durable storage: jobs, the credit ledger and quota policies, in SQLite or PostgreSQL.

Knows nothing of Discord or HTTP: users, roles, guilds, channels and messages are integer ids.
Typical use::

    db = await open_database(settings.database_path)  # or a postgresql:// URL
    quota = QuotaEngine(db, QuotaDefaults.from_settings(settings))
    store = JobStore(db, quota)
    job = await store.create_job(NewJob(...), roles=member_role_ids)  # may raise QuotaExceeded
"""

from bot.domain.blocked import BlockedWordsFull
from bot.domain.member import UNSET
from bot.store.blocked import BlockedWords
from bot.store.clock import Clock, FakeClock, SystemClock
from bot.store.database import Database, Migration, Work, load_migrations, open_database
from bot.store.errors import (
    InvalidSettingError,
    InvalidTransitionError,
    JobNotFoundError,
    QuotaExceeded,
    QuotaReason,
    SchemaTooNewError,
    StoreError,
)
from bot.store.jobs import JobStore
from bot.store.ledger import EntryKind, LedgerEntry, UsageRow
from bot.store.members import MemberSettings
from bot.store.models import HoldState, JobRecord, NewJob, ProgressKind, StoredStatus
from bot.store.periods import PeriodWindow, current_period
from bot.store.policies import DEFAULT_COSTS, GuildSettings, Policy, QuotaDefaults, SubjectKind
from bot.store.quota import GuildSpend, QuotaEngine, QuotaStatus
from bot.store.sql import Dialect, Row, Tx

__all__ = [
    "DEFAULT_COSTS",
    "UNSET",
    "BlockedWords",
    "BlockedWordsFull",
    "Clock",
    "Database",
    "Dialect",
    "EntryKind",
    "FakeClock",
    "GuildSettings",
    "GuildSpend",
    "HoldState",
    "InvalidSettingError",
    "InvalidTransitionError",
    "JobNotFoundError",
    "JobRecord",
    "JobStore",
    "LedgerEntry",
    "MemberSettings",
    "Migration",
    "NewJob",
    "PeriodWindow",
    "Policy",
    "ProgressKind",
    "QuotaDefaults",
    "QuotaEngine",
    "QuotaExceeded",
    "QuotaReason",
    "QuotaStatus",
    "Row",
    "SchemaTooNewError",
    "StoreError",
    "StoredStatus",
    "SubjectKind",
    "SystemClock",
    "Tx",
    "UsageRow",
    "Work",
    "current_period",
    "load_migrations",
    "open_database",
]
