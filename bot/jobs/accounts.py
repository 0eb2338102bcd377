"""What members and server staff ask about: their jobs, their credits, the server's settings.

The cogs parse and answer; this is the work behind /job, /jobs, /quota, the `job` option and
/admin, over the store and the quota engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.errors import JobProblem, JobUnavailable
from bot.domain.jobs import PERSONAL_SCOPE, JobRecord
from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.domain.status import StoredStatus
from bot.pika.capabilities import Capabilities
from bot.store import (
    BlockedWords,
    GuildSettings,
    GuildSpend,
    JobStore,
    QuotaEngine,
    SubjectKind,
    UsageRow,
)
from bot.store.quota import QuotaStatus

AUTOCOMPLETE_LIMIT = 25
PERSONAL_IN_FLIGHT = 100


def parse_job_number(text: str) -> int:
    """``12``, ``#12`` or an autocomplete label ``#12 · Generate · ...`` -> 12."""
    digits = text.strip().lstrip("#").split(" ", 1)[0]
    if not digits.isdigit():
        raise JobUnavailable(JobProblem.NOT_A_NUMBER, text)
    return int(digits)


@dataclass(frozen=True)
class UsageReport:
    rows: list[UsageRow]
    spend: GuildSpend
    settings: GuildSettings


class AccountService:
    """A member's jobs and credits."""

    def __init__(self, store: JobStore, quota: QuotaEngine, capabilities: Capabilities) -> None:
        self._store = store
        self._quota = quota
        self._capabilities = capabilities

    async def quota_status(
        self, guild_id: int, user_id: int, roles: Iterable[int], *, exempt: bool
    ) -> QuotaStatus:
        return await self._quota.status(guild_id, user_id, roles, exempt=exempt)

    @property
    def capabilities(self) -> Capabilities:
        """What this bot's Pika service can make (its resolutions and lengths among it)."""
        return self._capabilities

    def offered_costs(self, status: QuotaStatus) -> Mapping[Operation, int]:
        """The costs of the operations this bot's Pika service can make."""
        return {op: cost for op, cost in status.costs.items() if self._capabilities.supports(op)}

    async def recent_jobs(self, guild_id: int, user_id: int, limit: int = 10) -> list[JobRecord]:
        return await self._store.recent_jobs(guild_id, user_id, limit=limit)

    async def job_to_view(
        self, guild_id: int, viewer_id: int, job_id: int, *, sees_everyone: bool
    ) -> JobRecord:
        """The job if the viewer may look at it (theirs, or anyone's for staff)."""
        record = await self._store.get_job(job_id)
        if (
            record is None
            or record.guild_id != guild_id
            or (record.owner_id != viewer_id and not sees_everyone)
        ):
            raise JobUnavailable(JobProblem.NOT_VISIBLE, job_id)
        return record

    async def own_finished_job(self, guild_id: int, user_id: int, job_id: int) -> JobRecord:
        """The member's own job, which must have a video."""
        record = await self._store.get_job(job_id)
        if record is None or record.guild_id != guild_id:
            raise JobUnavailable(JobProblem.NOT_FOUND, job_id)
        if record.owner_id != user_id:
            raise JobUnavailable(JobProblem.NOT_YOURS, job_id, record.owner_id)
        if record.status is not StoredStatus.SUCCEEDED or not record.result_url:
            raise JobUnavailable(JobProblem.NOT_FINISHED, job_id)
        return record

    async def job_to_cancel(
        self, guild_id: int | None, user_id: int, job_id: int, *, staff: bool
    ) -> JobRecord:
        """The job a member asks to cancel: theirs, or anyone's for the server's staff."""
        record = await self._store.get_job(job_id)
        if record is None or record.guild_id != guild_id:
            raise JobUnavailable(JobProblem.NOT_FOUND, job_id)
        if record.owner_id != user_id and not staff:
            raise JobUnavailable(JobProblem.NOT_YOURS_TO_CANCEL, job_id, record.owner_id)
        return record

    async def result_for_button(self, job_id: int, presser_id: int) -> JobRecord:
        """The finished job behind a result button, if this member may press it."""
        record = await self._store.get_job(job_id)
        if record is None or record.status is not StoredStatus.SUCCEEDED or not record.result_url:
            raise JobUnavailable(JobProblem.GONE, job_id)
        if presser_id != record.owner_id:
            settings = await self._quota.guild_settings(record.guild_id)
            if not settings.anyone_can_press:
                raise JobUnavailable(JobProblem.OWNER_ONLY, job_id, record.owner_id)
        return record

    async def search(
        self, guild_id: int, user_id: int, current: str, *, finished_only: bool
    ) -> list[JobRecord]:
        """The member's jobs matching what they typed, newest first, for autocomplete."""
        records = await self._store.search_jobs(
            guild_id, user_id, current, limit=AUTOCOMPLETE_LIMIT, finished_only=finished_only
        )
        if finished_only:
            records = [r for r in records if r.status is StoredStatus.SUCCEEDED]
        return records

    async def search_unfinished(self, guild_id: int, user_id: int, current: str) -> list[JobRecord]:
        """The member's jobs still in the making, for /cancel's autocomplete."""
        records = await self._store.search_jobs(
            guild_id, user_id, current, limit=100, finished_only=False
        )
        return [r for r in records if r.status.active][:AUTOCOMPLETE_LIMIT]


class ServerAdmin:
    """What a server's staff may change (the cog checks Manage Server)."""

    def __init__(self, quota: QuotaEngine, blocked: BlockedWords) -> None:
        self._quota = quota
        self._blocked = blocked

    async def settings(self, guild_id: int) -> GuildSettings:
        return await self._quota.guild_settings(guild_id)

    async def set_cost(self, guild_id: int, operation: Operation, credits: int | None) -> None:
        await self._quota.set_cost(guild_id, operation, credits)

    async def set_member_allowance(
        self, guild_id: int, credits: int, period: QuotaPeriod | None
    ) -> GuildSettings:
        await self._quota.set_guild_allowance(guild_id, credits, period)
        return await self.settings(guild_id)

    async def set_role_allowance(self, guild_id: int, role_id: int, credits: int | None) -> None:
        await self._quota.set_role_allowance(guild_id, role_id, credits)

    async def set_user_allowance(self, guild_id: int, user_id: int, credits: int | None) -> None:
        await self._quota.set_user_allowance(guild_id, user_id, credits)

    async def set_role_unlimited(self, guild_id: int, role_id: int, enabled: bool) -> None:
        await self._quota.set_unlimited(guild_id, role_id, SubjectKind.ROLE, enabled)

    async def set_user_unlimited(self, guild_id: int, user_id: int, enabled: bool) -> None:
        await self._quota.set_unlimited(guild_id, user_id, SubjectKind.USER, enabled)

    async def grant(
        self, guild_id: int, user_id: int, credits: int, actor_id: int, reason: str | None
    ) -> int:
        return await self._quota.grant(guild_id, user_id, credits, actor_id=actor_id, reason=reason)

    async def set_budget(self, guild_id: int, credits: int | None) -> None:
        await self._quota.set_guild_budget(guild_id, credits)

    async def set_concurrency(
        self,
        guild_id: int,
        per_user: int | None,
        per_guild: int | None,
        queued_per_user: int | None = None,
    ) -> GuildSettings:
        await self._quota.set_concurrency(guild_id, per_user, per_guild, queued_per_user)
        return await self.settings(guild_id)

    async def set_timezone(self, guild_id: int, zone: str | None) -> None:
        await self._quota.set_timezone(guild_id, zone)

    async def set_anyone_can_press(self, guild_id: int, anyone: bool) -> None:
        await self._quota.set_anyone_can_press(guild_id, anyone)

    async def set_language(self, guild_id: int, locale: str | None) -> None:
        """The language of the server's public messages (a locale tag); None: Discord's."""
        await self._quota.set_locale(guild_id, locale)

    async def language(self, guild_id: int) -> str | None:
        """The language chosen with /admin language, if any."""
        return (await self.settings(guild_id)).locale

    async def prepare_personal_use(self, allowance: int) -> None:
        """Give the personal scope its allowance (``QUOTA_PERSONAL_ALLOWANCE``) at each start.

        Personal jobs of every member share one scope, so its in-flight limit is the sum of
        many members' and set high; each member keeps the per-member limit.
        """
        await self._quota.set_guild_allowance(PERSONAL_SCOPE, allowance)
        await self._quota.set_concurrency(PERSONAL_SCOPE, None, PERSONAL_IN_FLIGHT)

    async def blocked_words(self, guild_id: int) -> list[str]:
        return await self._blocked.words(guild_id)

    async def block_words(self, guild_id: int, words: list[str], actor_id: int) -> list[str]:
        return await self._blocked.add(guild_id, words, actor_id)

    async def unblock_words(self, guild_id: int, words: list[str]) -> list[str]:
        return await self._blocked.remove(guild_id, words)

    async def usage(self, guild_id: int) -> UsageReport:
        return UsageReport(
            rows=await self._quota.usage_report(guild_id),
            spend=await self._quota.guild_spend(guild_id),
            settings=await self.settings(guild_id),
        )
