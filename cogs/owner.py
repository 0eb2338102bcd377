"""Commands for the bot's owner only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotAllowed
from bot.ui.command_text import L
from bot.ui.errors import member_locale
from bot.ui.i18n import t

if TYPE_CHECKING:
    from bot.client import PikaBot


class Owner(commands.Cog):
    def __init__(self, bot: PikaBot) -> None:
        self.bot = bot

    @app_commands.command(name="sync", description=L("cmd.sync"))
    async def sync(self, interaction: discord.Interaction) -> None:
        if not await self.bot.is_owner(interaction.user):
            raise NotAllowed("owner.sync.not_owner")
        await interaction.response.defer(ephemeral=True, thinking=True)
        count = await self.bot.sync_commands()
        await interaction.followup.send(
            t(member_locale(interaction), "owner.sync.done", count=count), ephemeral=True
        )


async def setup(bot: PikaBot) -> None:
    await bot.add_cog(Owner(bot))
