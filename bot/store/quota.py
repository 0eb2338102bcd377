"""The quota engine: who may spend what, when it resets, and the admin controls behind it.

Rules (documented for admins in the same words):

* Every operation has a cost in credits (``DEFAULT_COSTS``; each guild can change them).
* A member's allowance per period (day, week or month, rolling over at local midnight in the
  guild's time zone, UTC unless set; weeks start on Monday) is the most generous of the guild
  default and the allowances of their roles. A per-user override replaces that figure (it may
  be lower). One-off grants come on top, do not expire, and are spent only once the period
  allowance is used up.
* The guild budget caps what the whole guild spends per period, whatever individual allowances
  and grants say; every hold counts toward it, including those of unlimited members and of the
  bot's owner.
* Concurrency: at most N jobs in flight per member and per guild. Beyond that a new job waits
  in the server's queue, its credits held (so a member cannot queue more than they can pay
  for), up to a number of waiting jobs per member; past that it is refused. Free slots go
  round-robin between members (``bot.store.queue``).
* Unlimited roles and users are not limited by allowance or budget (unlimited wins over any
  allowance or override), but concurrency limits still apply to them. The bot's owner
  (``exempt=True``) is not limited at all. Both still write every hold, charge and release
  to the ledger.
* A job's cost is held when the job is stored (one transaction with the job row), charged
  when it succeeds and released when it fails; a released hold gives back allowance and
  grants alike. Usage counts against the period the job was made in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import InvalidSettingError, QuotaExceeded, QuotaReason, SettingProblem
from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.domain.pricing import credits_for
from bot.domain.status import StoredStatus
from bot.store import ledger, policies
from bot.store.database import Database
from bot.store.ledger import LedgerEntry, UsageRow
from bot.store.models import JobRecord, job_from_row
from bot.store.periods import PeriodWindow, current_period
from bot.store.policies import GuildSettings, Policy, QuotaDefaults, SubjectKind
from bot.store.sql import Tx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuotaStatus:
    """What a member can still spend, for ``/quota`` and for explaining a refusal."""

    unlimited: bool
    """Not limited by allowance or budget (an unlimited role or user, or the bot's owner)."""
    exempt: bool
    """The bot's owner: not limited by anything."""
    allowance: int | None
    """The member's allowance per period; None when unlimited."""
    remaining: int | None
    """What is left of the period allowance; None when unlimited."""
    grant_remaining: int
    """One-off credits left, spent after the period allowance."""
    period: QuotaPeriod
    period_start: datetime
    resets_at: datetime
    """When the period allowance and the guild budget start afresh."""
    budget_remaining: int | None
    """What the whole guild may still spend this period; None when it has no budget."""
    in_flight: list[JobRecord]
    """Jobs being made now (holding a slot)."""
    max_in_flight: int | None
    """The member's concurrency limit; None for the owner."""
    waiting: list[JobRecord]
    """Jobs waiting in the server's queue for a slot."""
    costs: Mapping[Operation, int]

    @property
    def available(self) -> int | None:
        """Credits the member can spend now (allowance, grants and budget); None if no limit."""
        if self.unlimited:
            return None
        own = (self.remaining or 0) + self.grant_remaining
        return own if self.budget_remaining is None else min(own, self.budget_remaining)


@dataclass(frozen=True)
class GuildSpend:
    """The guild's spending in the current period."""

    period: PeriodWindow
    spent: int
    """Held or charged by jobs made this period (what counts toward the budget)."""
    charged: int
    """Of ``spent``, charged for jobs that succeeded."""
    held: int
    """Of ``spent``, held by jobs still in the making."""
    budget: int | None
    in_flight: int

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else max(0, self.budget - self.spent)


@dataclass(frozen=True)
class HoldPlan:
    """How a new job's cost will be held: in total, and how much of it from grants."""

    cost: int
    from_grants: int


@dataclass(frozen=True)
class _Entitlement:
    unlimited: bool
    allowance: int | None
    reason: QuotaReason
    """Which refusal applies if the allowance runs out (role-given or the user's own)."""


class QuotaEngine:
    """Checks and reports quotas; ``JobStore.create_job`` calls ``plan_hold`` in its transaction."""

    def __init__(self, db: Database, defaults: QuotaDefaults | None = None) -> None:
        self._db = db
        self.defaults = defaults or QuotaDefaults()

    # -- the check, inside the job's transaction ---------------------------------------------

    async def plan_hold(
        self,
        tx: Tx,
        *,
        guild_id: int,
        user_id: int,
        operation: Operation,
        roles: Iterable[int],
        exempt: bool,
        now: datetime,
        multiplier: float = 1.0,
        settings: GuildSettings | None = None,
    ) -> HoldPlan:
        """Decide what to hold for a new job, or raise ``QuotaExceeded``.

        Must run inside the write transaction that also writes the hold, holding the guild's
        lock (``Tx.lock_guild``), so no other request (of this process or another) can pass
        the same check before this one's hold is visible.
        """
        if settings is None:
            settings = await policies.load_guild_settings(tx, guild_id, self.defaults)
        cost = credits_for(settings.cost(operation), multiplier)
        if exempt:
            return HoldPlan(cost, 0)
        window = current_period(now, settings.period, settings.timezone)
        found = await policies.load_policies(tx, guild_id, user_id, roles)
        entitlement = _entitlement(settings, found)
        from_grants = 0
        if not entitlement.unlimited:
            assert entitlement.allowance is not None
            used = await ledger.allowance_used(tx, guild_id, user_id, window)
            left = max(0, entitlement.allowance - used)
            grants = await ledger.grant_balance(tx, guild_id, user_id) if cost > left else 0
            if cost > left + grants:
                raise QuotaExceeded(entitlement.reason, cost, left + grants, window.end)
            from_grants = max(0, cost - left)
            if settings.budget is not None:
                spent = await ledger.guild_spend(tx, guild_id, window)
                if spent + cost > settings.budget:
                    available = max(0, settings.budget - spent)
                    raise QuotaExceeded(QuotaReason.GUILD_BUDGET, cost, available, window.end)
        return HoldPlan(cost, from_grants)

    # -- answers for the UI -------------------------------------------------------------------

    async def cost(self, guild_id: int, operation: Operation) -> int:
        """What ``operation`` costs in this guild."""
        settings = await self.guild_settings(guild_id)
        return settings.cost(operation)

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The guild's effective settings."""
        return await self._db.read(
            lambda tx: policies.load_guild_settings(tx, guild_id, self.defaults)
        )

    async def status(
        self, guild_id: int, user_id: int, roles: Iterable[int] = (), *, exempt: bool = False
    ) -> QuotaStatus:
        """What the member can spend now, when it resets, and what they have in flight."""
        roles = tuple(roles)

        async def work(tx: Tx) -> QuotaStatus:
            now = self._db.clock.now()
            settings = await policies.load_guild_settings(tx, guild_id, self.defaults)
            window = current_period(now, settings.period, settings.timezone)
            found = await policies.load_policies(tx, guild_id, user_id, roles)
            entitlement = _entitlement(settings, found)
            unlimited = exempt or entitlement.unlimited
            allowance = remaining = None
            if not unlimited:
                allowance = entitlement.allowance
                used = await ledger.allowance_used(tx, guild_id, user_id, window)
                remaining = max(0, (allowance or 0) - used)
            budget_remaining = None
            if settings.budget is not None:
                spent = await ledger.guild_spend(tx, guild_id, window)
                budget_remaining = max(0, settings.budget - spent)
            rows = await tx.fetchall(
                "SELECT * FROM jobs WHERE guild_id = ? AND owner_id = ? AND hold_state = 'held' "
                "ORDER BY id",
                guild_id,
                user_id,
            )
            held = [job_from_row(row) for row in rows]
            return QuotaStatus(
                unlimited=unlimited,
                exempt=exempt,
                allowance=allowance,
                remaining=remaining,
                grant_remaining=await ledger.grant_balance(tx, guild_id, user_id),
                period=settings.period,
                period_start=window.start,
                resets_at=window.end,
                budget_remaining=budget_remaining,
                in_flight=[job for job in held if job.status is not StoredStatus.WAITING],
                max_in_flight=None if exempt else settings.max_in_flight_user,
                waiting=[job for job in held if job.status is StoredStatus.WAITING],
                costs=settings.costs,
            )

        return await self._db.read(work)

    async def usage_report(self, guild_id: int) -> list[UsageRow]:
        """Per member, what the current period's jobs cost, biggest spenders first."""

        async def work(tx: Tx) -> list[UsageRow]:
            window = await self._window(tx, guild_id)
            return await ledger.usage_by_user(tx, guild_id, window)

        return await self._db.read(work)

    async def guild_spend(self, guild_id: int) -> GuildSpend:
        """What the whole guild spent this period, against its budget."""

        async def work(tx: Tx) -> GuildSpend:
            settings = await policies.load_guild_settings(tx, guild_id, self.defaults)
            window = current_period(self._db.clock.now(), settings.period, settings.timezone)
            spent = await ledger.guild_spend(tx, guild_id, window)
            charged = await ledger.charged_in(tx, guild_id, window)
            in_flight = int(
                await tx.fetchval(
                    "SELECT COUNT(*) FROM jobs WHERE guild_id = ? AND hold_state = 'held'",
                    guild_id,
                )
            )
            return GuildSpend(window, spent, charged, spent - charged, settings.budget, in_flight)

        return await self._db.read(work)

    async def list_policies(self, guild_id: int) -> list[Policy]:
        """Every role allowance, user override and unlimited flag of the guild."""
        return await self._db.read(lambda tx: policies.list_policies(tx, guild_id))

    async def ledger_entries(
        self,
        guild_id: int,
        *,
        user_id: int | None = None,
        job_id: int | None = None,
        limit: int = 100,
    ) -> list[LedgerEntry]:
        """The newest ledger rows of the guild (optionally one user's or one job's)."""
        return await self._db.read(
            lambda tx: ledger.entries(tx, guild_id, user_id=user_id, job_id=job_id, limit=limit)
        )

    async def audit(self) -> list[str]:
        """Every inconsistency between jobs, the ledger and the spend totals; empty when sound."""
        return await self._db.read(ledger.audit)

    # -- admin controls -----------------------------------------------------------------------

    async def set_cost(self, guild_id: int, operation: Operation, credits: int | None) -> None:
        """Set what an operation costs in the guild; None restores the default."""
        await self._db.write(lambda tx: policies.store_cost(tx, guild_id, operation, credits))
        log.info("Guild %d: cost of %s set to %s", guild_id, Operation(operation).value, credits)

    async def set_guild_allowance(
        self, guild_id: int, credits: int | None, period: QuotaPeriod | None = None
    ) -> None:
        """Set the members' default allowance (None: the bot's default) and maybe the period."""
        values: dict[str, object] = {"default_allowance": _credits_or_none(credits)}
        if period is not None:
            values["period"] = QuotaPeriod(period).value
        await self._write_settings(guild_id, **values)

    async def set_period(self, guild_id: int, period: QuotaPeriod | None) -> None:
        """Set the quota period (None: the bot's default)."""
        await self._write_settings(
            guild_id, period=None if period is None else QuotaPeriod(period).value
        )

    async def set_role_allowance(self, guild_id: int, role_id: int, credits: int | None) -> None:
        """Give a role its own allowance per period; None removes it."""
        await self._write_policy(guild_id, SubjectKind.ROLE, role_id, allowance=credits)

    async def set_user_allowance(self, guild_id: int, user_id: int, credits: int | None) -> None:
        """Override one member's allowance (replacing role and guild figures); None removes it."""
        await self._write_policy(guild_id, SubjectKind.USER, user_id, allowance=credits)

    async def set_unlimited(
        self, guild_id: int, subject_id: int, kind: SubjectKind, unlimited: bool
    ) -> None:
        """Make a role or a user unlimited (or not)."""
        await self._write_policy(guild_id, SubjectKind(kind), subject_id, unlimited=bool(unlimited))

    async def grant(
        self,
        guild_id: int,
        user_id: int,
        credits: int,
        actor_id: int | None = None,
        reason: str | None = None,
    ) -> int:
        """Give one-off credits (negative: take back, never below zero); return the new balance."""
        if not isinstance(credits, int) or isinstance(credits, bool) or credits == 0:
            raise InvalidSettingError(SettingProblem.ZERO_GRANT, credits)

        async def work(tx: Tx) -> int:
            await tx.lock_guild(guild_id)  # the balance is read, then written to
            now = self._db.clock.now()
            return await ledger.record_grant(tx, guild_id, user_id, credits, actor_id, reason, now)

        balance = await self._db.write(work)
        log.info(
            "Guild %d: %+d grant credits for user %d by %s (%s); balance %d",
            guild_id,
            credits,
            user_id,
            actor_id,
            reason,
            balance,
        )
        return balance

    async def set_guild_budget(self, guild_id: int, credits: int | None) -> None:
        """Cap what the whole guild spends per period; None removes the cap."""
        await self._write_settings(guild_id, budget=_credits_or_none(credits))

    async def set_concurrency(
        self,
        guild_id: int,
        per_user: int | None,
        per_guild: int | None,
        queued_per_user: int | None = None,
    ) -> None:
        """Set how many jobs may be in flight per member and per guild, and how many a member
        may have waiting (None leaves each as it is)."""
        for limit in (per_user, per_guild):
            if limit is not None and (not isinstance(limit, int) or limit < 1):
                raise InvalidSettingError(SettingProblem.CONCURRENCY_BELOW_ONE, limit)
        if queued_per_user is not None and queued_per_user < 0:
            raise InvalidSettingError(SettingProblem.NEGATIVE_CREDITS, queued_per_user)
        changes = {
            "max_in_flight_user": per_user,
            "max_in_flight_guild": per_guild,
            "max_queued_user": queued_per_user,
        }
        await self._write_settings(
            guild_id, **{key: value for key, value in changes.items() if value is not None}
        )

    async def set_timezone(self, guild_id: int, timezone: str | None) -> None:
        """Roll periods over at midnight in this IANA time zone; None means UTC."""
        await self._write_settings(guild_id, timezone=timezone)

    async def set_anyone_can_press(self, guild_id: int, allowed: bool) -> None:
        """Let anyone, not only a job's owner, press its result's buttons."""
        await self._write_settings(guild_id, anyone_can_press=int(bool(allowed)))

    async def set_locale(self, guild_id: int, locale: str | None) -> None:
        """The language of the server's public messages (a locale tag); None: its own."""
        await self._write_settings(guild_id, locale=locale)

    async def _write_settings(self, guild_id: int, **values: object) -> None:
        await self._db.write(
            lambda tx: policies.store_settings(tx, guild_id, self._db.clock.now(), **values)
        )
        log.info("Guild %d: settings changed: %s", guild_id, values)

    async def _write_policy(
        self, guild_id: int, kind: SubjectKind, subject_id: int, **change: object
    ) -> None:
        if "allowance" in change:
            change["allowance"] = _credits_or_none(change["allowance"])
        await self._db.write(
            lambda tx: policies.store_policy(
                tx,
                guild_id,
                kind,
                subject_id,
                self._db.clock.now(),
                **change,  # type: ignore[arg-type]
            )
        )
        log.info("Guild %d: policy for %s %d changed: %s", guild_id, kind.value, subject_id, change)

    async def _window(self, tx: Tx, guild_id: int) -> PeriodWindow:
        settings = await policies.load_guild_settings(tx, guild_id, self.defaults)
        return current_period(self._db.clock.now(), settings.period, settings.timezone)


def _entitlement(settings: GuildSettings, found: list[Policy]) -> _Entitlement:
    """Work out a member's allowance from the guild default and the policies that apply."""
    if any(policy.unlimited for policy in found):
        return _Entitlement(True, None, QuotaReason.USER_ALLOWANCE)
    for policy in found:
        if policy.subject_kind is SubjectKind.USER and policy.allowance is not None:
            return _Entitlement(False, policy.allowance, QuotaReason.USER_ALLOWANCE)
    best_role = max(
        (
            p.allowance
            for p in found
            if p.subject_kind is SubjectKind.ROLE and p.allowance is not None
        ),
        default=None,
    )
    if best_role is not None and best_role > settings.default_allowance:
        return _Entitlement(False, best_role, QuotaReason.ROLE_ALLOWANCE)
    return _Entitlement(False, settings.default_allowance, QuotaReason.USER_ALLOWANCE)


def _credits_or_none(credits: object) -> int | None:
    if credits is None:
        return None
    if not isinstance(credits, int) or isinstance(credits, bool) or credits < 0:
        raise InvalidSettingError(SettingProblem.NEGATIVE_CREDITS, credits)
    return credits
