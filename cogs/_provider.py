"""Offer only the commands the configured Pika service can serve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from bot.pika.job import Operation

if TYPE_CHECKING:
    from bot.client import PikaBot


def hide_unsupported(cog: commands.Cog, bot: PikaBot) -> None:
    """Drop the cog's commands whose operation the provider cannot do, before they are synced."""
    capabilities = bot.services.pika.capabilities
    kept = []
    for command in cog.__cog_app_commands__:
        try:
            operation = Operation(command.name)
        except ValueError:
            kept.append(command)
            continue
        if capabilities.supports(operation):
            kept.append(command)
    cog.__cog_app_commands__ = kept
