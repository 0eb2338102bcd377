"""Commands for the bot's owner only."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotAllowed

if TYPE_CHECKING:
    from bot.client import PikaBot


class Owner(commands.Cog):
    def __init__(self, bot: PikaBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="sync", description="Bot owner: push the slash commands to Discord now"
    )
    async def sync(self, interaction: discord.Interaction) -> None:
        if not await self.bot.is_owner(interaction.user):
            raise NotAllowed("Only the bot's owner can sync its commands.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        count = await self.bot.sync_commands()
        await interaction.followup.send(f"Synced {count} commands.", ephemeral=True)


async def setup(bot: PikaBot) -> None:
    await bot.add_cog(Owner(bot))
