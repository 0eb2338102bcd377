"""Who pays for a command: the server that installed the bot, or the member's personal allowance.

A server pays only where it installed the bot (``authorizing_integration_owners`` names it);
in a DM, a group DM or a server the member reached through their own install of the app, the
job is personal: it draws on ``QUOTA_PERSONAL_ALLOWANCE`` and is delivered through the
interaction, then by DM, because the bot has no channel of its own there.
"""

from __future__ import annotations

import discord

from bot.domain.jobs import PERSONAL_SCOPE


def billing_scope(interaction: discord.Interaction) -> int:
    """The server id whose budget and settings apply, or ``PERSONAL_SCOPE``."""
    if interaction.guild_id is not None and interaction.is_guild_integration():
        return interaction.guild_id
    return PERSONAL_SCOPE


def is_personal(interaction: discord.Interaction) -> bool:
    return billing_scope(interaction) == PERSONAL_SCOPE
