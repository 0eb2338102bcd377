"""Point discord.py at Discord or at a Discord-compatible server (the emulator)."""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl


def apply_discord_endpoints(api_base: str, gateway_url: str) -> None:
    """Set the REST base and gateway URL discord.py uses; call before login."""
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
