"""Fixtures: an emulator on a free port, its driver, and discord.py bots pointed at it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import discord
import pytest
import yarl
from discord.ext import commands

from bot.emulator.config import EmulatorConfig
from bot.emulator.driver import EmulatorDriver
from bot.emulator.server import Emulator


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Return the config the ``emulator`` fixture uses; override it in a test module."""
    return EmulatorConfig()


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[Emulator]:
    """Run an emulator in this event loop and point discord.py at it."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with Emulator(emulator_config) as emu:
        discord.http.Route.BASE = emu.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)
        try:
            yield emu
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@pytest.fixture
async def driver(emulator: Emulator) -> AsyncIterator[EmulatorDriver]:
    """Return a control-API driver for the emulator."""
    async with EmulatorDriver(emulator.base_url) as drv:
        yield drv


def make_bot(*, members: bool = False) -> commands.Bot:
    """Return a plain discord.py bot that does not wait long for guilds at startup."""
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = members
    return commands.Bot(
        command_prefix="!",
        intents=intents,
        guild_ready_timeout=0.05,
        help_command=None,
    )


@pytest.fixture
def bot_factory() -> Callable[[], commands.Bot]:
    """Return the factory of test bots."""
    return make_bot


async def channel_id(driver: EmulatorDriver, name: str) -> int:
    """Return the id of the channel called ``name`` in the first guild."""
    world = await driver.world()
    return int(next(c["id"] for c in world["guilds"][0]["channels"] if c["name"] == name))


@contextlib.asynccontextmanager
async def running(bot: commands.Bot, token: str, timeout: float = 10.0) -> AsyncIterator[None]:
    """Start ``bot``, wait until it is ready (or failed), and close it afterwards."""
    task = asyncio.create_task(bot.start(token), name="test-bot")
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when="FIRST_COMPLETED")
        if task in done:
            task.result()
            raise RuntimeError("the bot stopped before it was ready")
        if ready not in done:
            raise TimeoutError("the bot did not become ready")
        yield
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout=5)
