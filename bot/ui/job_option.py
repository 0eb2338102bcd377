"""The `job` option every command shares: a job number, autocompleted from the member's jobs.

One ``app_commands.Transformer`` parses what was typed (an id, ``#12`` or a picked label) into
the job's number and offers the member's jobs while they type; each variant says which jobs
fit. Whether the member may use that job is the command's own check (``AccountService``).
"""

from __future__ import annotations

from typing import ClassVar

import discord
from discord import app_commands

from bot.deps import deps_of
from bot.domain.errors import JobProblem, JobUnavailable
from bot.jobs.accounts import parse_job_number
from bot.jobs.scope import billing_scope
from bot.ui.i18n import resolve
from bot.ui.render import job_label


class _JobOption(app_commands.Transformer):
    finished_only: ClassVar[bool]

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.string

    async def transform(self, interaction: discord.Interaction, value: str) -> int:
        return parse_job_number(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str
    ) -> list[app_commands.Choice[str]]:
        records = await deps_of(interaction.client).accounts.search(
            billing_scope(interaction), interaction.user.id, value, finished_only=self.finished_only
        )
        locale = resolve(interaction.locale)
        return [app_commands.Choice(name=job_label(r, locale), value=str(r.id)) for r in records]


class FinishedJob(_JobOption):
    """One of the member's jobs that has a video (for extend, upscale, lip sync...)."""

    finished_only = True


class UnfinishedJob(_JobOption):
    """One of the member's jobs still in the making (for /cancel)."""

    finished_only = False

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction, value: str
    ) -> list[app_commands.Choice[str]]:
        records = await deps_of(interaction.client).accounts.search_unfinished(
            billing_scope(interaction), interaction.user.id, value
        )
        locale = resolve(interaction.locale)
        return [app_commands.Choice(name=job_label(r, locale), value=str(r.id)) for r in records]


class AnyJob(_JobOption):
    """Any of the member's jobs, whatever its state (for /job)."""

    finished_only = False

    async def transform(self, interaction: discord.Interaction, value: str) -> int:
        try:
            return parse_job_number(value)
        except JobUnavailable:
            raise JobUnavailable(JobProblem.NOT_VISIBLE, value) from None
