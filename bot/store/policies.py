"""What each guild changed from the defaults: costs, allowances, budget, limits, time zone."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from bot.domain.errors import InvalidSettingError, SettingProblem
from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.store.clock import encode_time
from bot.store.periods import zone
from bot.store.sql import Row, Tx

DEFAULT_COSTS: Mapping[Operation, int] = MappingProxyType(
    {
        Operation.GENERATE: 1,
        Operation.PIKAFFECT: 1,
        Operation.REPROMPT: 1,
        Operation.EDIT: 1,
        Operation.INPAINT: 1,
        Operation.OUTPAINT: 1,
        Operation.EXTEND: 1,
        Operation.INGREDIENTS: 2,
        Operation.ADDITIONS: 2,
        Operation.SWAP: 2,
        Operation.LIPSYNC: 2,
        Operation.KEYFRAMES: 1,
        Operation.UPSCALE: 2,
    }
)


class _QuotaSettings(Protocol):
    quota_default_allowance: int
    quota_default_period: QuotaPeriod
    quota_max_in_flight_user: int
    quota_max_in_flight_guild: int
    quota_max_queued_user: int


@dataclass(frozen=True)
class QuotaDefaults:
    """What applies to a guild that has set nothing; built from the bot's settings."""

    allowance: int = 10
    period: QuotaPeriod = QuotaPeriod.DAY
    max_in_flight_user: int = 2
    max_in_flight_guild: int = 10
    max_queued_user: int = 3
    """Jobs a member may have waiting for a slot; past that a new one is refused."""
    costs: Mapping[Operation, int] = field(default_factory=lambda: DEFAULT_COSTS)

    @classmethod
    def from_settings(cls, settings: _QuotaSettings) -> QuotaDefaults:
        """Read QUOTA_DEFAULT_ALLOWANCE, QUOTA_DEFAULT_PERIOD, QUOTA_MAX_IN_FLIGHT_* and
        QUOTA_MAX_QUEUED_USER."""
        return cls(
            allowance=settings.quota_default_allowance,
            period=QuotaPeriod(settings.quota_default_period),
            max_in_flight_user=settings.quota_max_in_flight_user,
            max_in_flight_guild=settings.quota_max_in_flight_guild,
            max_queued_user=settings.quota_max_queued_user,
        )


@dataclass(frozen=True)
class GuildSettings:
    """A guild's effective quota settings: its own choices, the defaults for the rest."""

    guild_id: int
    timezone: str | None
    """IANA name; None means periods roll over at 00:00 UTC."""
    period: QuotaPeriod
    default_allowance: int
    budget: int | None
    """What the whole guild may spend per period; None means no cap."""
    max_in_flight_user: int
    max_in_flight_guild: int
    max_queued_user: int
    anyone_can_press: bool
    """Whether anyone (not only a job's owner) may press its result's buttons."""
    costs: Mapping[Operation, int]
    locale: str | None = None
    """The language chosen for the server's public messages (/admin language); None: the
    server's own Discord locale."""

    def cost(self, operation: Operation) -> int:
        return self.costs[Operation(operation)]


class SubjectKind(StrEnum):
    """Who a quota policy is about."""

    ROLE = "role"
    USER = "user"


@dataclass(frozen=True)
class Policy:
    """A role's allowance, a user's override, or an unlimited flag."""

    subject_kind: SubjectKind
    subject_id: int
    allowance: int | None
    unlimited: bool


async def load_guild_settings(tx: Tx, guild_id: int, defaults: QuotaDefaults) -> GuildSettings:
    """Read the guild's row and cost overrides and fill the gaps from ``defaults``."""
    row = await tx.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", guild_id)
    costs = dict(defaults.costs)
    for operation, credits in await tx.fetchall(
        "SELECT operation, credits FROM guild_costs WHERE guild_id = ?", guild_id
    ):
        if operation in Operation._value2member_map_:
            costs[Operation(operation)] = credits

    def pick(column: str, default: Any) -> Any:
        value = None if row is None else row[column]
        return default if value is None else value

    return GuildSettings(
        guild_id=guild_id,
        timezone=None if row is None else row["timezone"],
        period=QuotaPeriod(pick("period", defaults.period)),
        default_allowance=pick("default_allowance", defaults.allowance),
        budget=None if row is None else row["budget"],
        max_in_flight_user=pick("max_in_flight_user", defaults.max_in_flight_user),
        max_in_flight_guild=pick("max_in_flight_guild", defaults.max_in_flight_guild),
        max_queued_user=pick("max_queued_user", defaults.max_queued_user),
        anyone_can_press=bool(pick("anyone_can_press", False)),
        costs=MappingProxyType(costs),
        locale=None if row is None else row["locale"],
    )


async def load_policies(tx: Tx, guild_id: int, user_id: int, roles: Iterable[int]) -> list[Policy]:
    """Return the policies that apply to this user and these roles."""
    rows = await tx.fetchall(
        f"""
        SELECT subject_kind, subject_id, allowance, unlimited FROM quota_policies
        WHERE guild_id = ?1 AND (
            (subject_kind = 'user' AND subject_id = ?2)
            OR (subject_kind = 'role' AND subject_id IN {tx.dialect.int_list("?3")})
        )
        """,
        guild_id,
        user_id,
        json.dumps(sorted(set(roles))),
    )
    return [_policy(row) for row in rows]


async def list_policies(tx: Tx, guild_id: int) -> list[Policy]:
    """Return every policy of the guild, roles first."""
    rows = await tx.fetchall(
        "SELECT subject_kind, subject_id, allowance, unlimited FROM quota_policies "
        "WHERE guild_id = ? ORDER BY subject_kind, subject_id",
        guild_id,
    )
    return [_policy(row) for row in rows]


def _policy(row: Row) -> Policy:
    return Policy(SubjectKind(row[0]), row[1], row[2], bool(row[3]))


_SETTING_COLUMNS = frozenset(
    {
        "timezone",
        "period",
        "default_allowance",
        "budget",
        "max_in_flight_user",
        "max_in_flight_guild",
        "max_queued_user",
        "anyone_can_press",
        "locale",
    }
)


async def store_settings(tx: Tx, guild_id: int, now: datetime, **values: object) -> None:
    """Set some of the guild's setting columns (None restores the default)."""
    unknown = set(values) - _SETTING_COLUMNS
    if unknown:
        raise InvalidSettingError(SettingProblem.UNKNOWN_SETTING, sorted(unknown))
    if "timezone" in values and values["timezone"] is not None:
        zone(str(values["timezone"]))
    columns = sorted(values)
    # Column names come from the whitelist above, never from the caller's text.
    assignments = ", ".join(f"{column} = excluded.{column}" for column in columns)
    await tx.execute(
        f"INSERT INTO guild_settings (guild_id, updated_at, {', '.join(columns)}) "
        f"VALUES (?, ?, {', '.join('?' for _ in columns)}) "
        f"ON CONFLICT (guild_id) DO UPDATE SET updated_at = excluded.updated_at, {assignments}",
        guild_id,
        encode_time(now),
        *(values[column] for column in columns),
    )


async def store_cost(tx: Tx, guild_id: int, operation: Operation, credits: int | None) -> None:
    """Set what an operation costs in the guild (None restores the default)."""
    operation = Operation(operation)
    if credits is None:
        await tx.execute(
            "DELETE FROM guild_costs WHERE guild_id = ? AND operation = ?",
            guild_id,
            operation.value,
        )
        return
    _non_negative("a cost", credits)
    await tx.execute(
        "INSERT INTO guild_costs (guild_id, operation, credits) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, operation) DO UPDATE SET credits = excluded.credits",
        guild_id,
        operation.value,
        credits,
    )


_UNCHANGED: Any = object()


async def store_policy(
    tx: Tx,
    guild_id: int,
    kind: SubjectKind,
    subject_id: int,
    now: datetime,
    *,
    allowance: int | None = _UNCHANGED,
    unlimited: bool = _UNCHANGED,
) -> None:
    """Change a role's or user's allowance or unlimited flag, keeping the other as it was."""
    kind = SubjectKind(kind)
    if allowance is not _UNCHANGED and allowance is not None:
        _non_negative("an allowance", allowance)
    await tx.lock_guild(guild_id)  # read, then write what was read
    current = await tx.fetchone(
        "SELECT allowance, unlimited FROM quota_policies "
        "WHERE guild_id = ? AND subject_kind = ? AND subject_id = ?",
        guild_id,
        kind.value,
        subject_id,
    )
    new_allowance = (
        (None if current is None else current[0]) if allowance is _UNCHANGED else (allowance)
    )
    new_unlimited = (bool(current and current[1])) if unlimited is _UNCHANGED else unlimited
    if new_allowance is None and not new_unlimited:
        await tx.execute(
            "DELETE FROM quota_policies WHERE guild_id = ? AND subject_kind = ? AND subject_id = ?",
            guild_id,
            kind.value,
            subject_id,
        )
        return
    await tx.execute(
        "INSERT INTO quota_policies (guild_id, subject_kind, subject_id, allowance, unlimited, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, subject_kind, subject_id) "
        "DO UPDATE SET allowance = excluded.allowance, unlimited = excluded.unlimited, "
        "updated_at = excluded.updated_at",
        guild_id,
        kind.value,
        subject_id,
        new_allowance,
        int(new_unlimited),
        encode_time(now),
    )


def _non_negative(what: str, credits: object) -> None:
    if not isinstance(credits, int) or isinstance(credits, bool) or credits < 0:
        raise InvalidSettingError(SettingProblem.NEGATIVE_CREDITS, credits)
