"""The dependencies the bot is made of, built once and in order by ``bot.__main__``.

Cogs get what they need as constructor arguments; dynamic items, modals and transformers,
which discord.py builds itself, reach them through ``deps_of(interaction.client)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    # Only types: the UI imports this module, and the launcher imports the UI.
    import aiohttp

    from bot.client import PikaBot
    from bot.config import Settings
    from bot.jobs.accounts import AccountService, ServerAdmin
    from bot.jobs.engine import JobEngine
    from bot.jobs.launch import Launcher
    from bot.pika.capabilities import Capabilities
    from bot.pika.provider import PikaProvider
    from bot.store import Clock, JobStore, MemberSettings, QuotaEngine


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    clock: Clock
    http: aiohttp.ClientSession
    store: JobStore
    quota: QuotaEngine
    provider: PikaProvider
    engine: JobEngine
    launcher: Launcher
    accounts: AccountService
    admin: ServerAdmin
    members: MemberSettings

    @property
    def capabilities(self) -> Capabilities:
        return self.provider.capabilities


def deps_of(client: discord.Client) -> Dependencies:
    """The dependencies of the bot that received an interaction."""
    bot: PikaBot = client  # type: ignore[assignment]
    return bot.deps
