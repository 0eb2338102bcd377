"""A member's own view: /quota, /jobs and /job."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.jobs import PERSONAL_SCOPE
from bot.jobs.accounts import AccountService
from bot.jobs.engine import JobEngine
from bot.jobs.scope import billing_scope
from bot.ui import render
from bot.ui.buttons import cancel_job
from bot.ui.command_text import L
from bot.ui.errors import member_locale
from bot.ui.i18n import t
from bot.ui.job_option import AnyJob, UnfinishedJob

if TYPE_CHECKING:
    from bot.client import PikaBot


class Account(commands.Cog):
    def __init__(self, bot: PikaBot, accounts: AccountService, engine: JobEngine) -> None:
        self.bot = bot
        self.accounts = accounts
        self.engine = engine

    @app_commands.command(description=L("cmd.quota"))
    async def quota(self, interaction: discord.Interaction) -> None:
        member = interaction.user
        scope = billing_scope(interaction)
        personal = scope == PERSONAL_SCOPE
        roles = (
            [role.id for role in member.roles]
            if isinstance(member, discord.Member) and not personal
            else []
        )
        status = await self.accounts.quota_status(
            scope, member.id, roles, exempt=await self.bot.is_owner(member)
        )
        offered = self.accounts.capabilities
        embed = render.quota_embed(
            status,
            self.accounts.offered_costs(status),
            resolutions=offered.resolutions,
            durations=offered.durations,
            personal=personal,
            locale=member_locale(interaction),
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(description=L("cmd.jobs"))
    async def jobs(self, interaction: discord.Interaction) -> None:
        records = await self.accounts.recent_jobs(billing_scope(interaction), interaction.user.id)
        locale = member_locale(interaction)
        if not records:
            await interaction.response.send_message(t(locale, "jobs.none"), ephemeral=True)
            return
        await interaction.response.send_message(
            embed=render.jobs_embed(records, locale), ephemeral=True
        )

    @app_commands.command(description=L("cmd.job"))
    @app_commands.describe(id=L("opt.id"))
    async def job(
        self, interaction: discord.Interaction, id: app_commands.Transform[int, AnyJob]
    ) -> None:
        record = await self.accounts.job_to_view(
            billing_scope(interaction),
            interaction.user.id,
            id,
            sees_everyone=interaction.permissions.manage_guild,
        )
        embed = render.job_embed(record, self.engine.view(record), member_locale(interaction))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(description=L("cmd.cancel"))
    @app_commands.describe(job=L("opt.job"))
    async def cancel(
        self, interaction: discord.Interaction, job: app_commands.Transform[int, UnfinishedJob]
    ) -> None:
        await cancel_job(interaction, job)


async def setup(bot: PikaBot) -> None:
    await bot.add_cog(Account(bot, bot.deps.accounts, bot.deps.engine))
