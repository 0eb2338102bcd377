"""Sharding as Discord does it: shard routing of guild events, /gateway/bot, 4010 and 4011."""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from bot.emulator.config import EmulatorConfig
from bot.emulator.driver import EmulatorError
from tests.emulator.conftest import running

GUILDS = ("Test Server", "Art Club", "Film Club")


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(extra_guilds=True)


class QuickAutoShardedBot(commands.AutoShardedBot):
    """discord.py waits 5 s before each further shard's IDENTIFY (``max_concurrency`` 1);
    the emulator does not enforce that, so tests skip the wait through the documented hook."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def sharded_bot(**shard: Any) -> commands.Bot:
    intents = discord.Intents.default()
    factory = commands.Bot if shard else QuickAutoShardedBot
    return factory(command_prefix="!", intents=intents, guild_ready_timeout=0.05, **shard)


def record_pings(bot: commands.Bot, seen: list[tuple[int | None, str]]) -> None:
    @bot.tree.command(description="Where am I")
    async def ping(interaction: discord.Interaction) -> None:
        guild = interaction.guild
        seen.append((bot.shard_id, guild.name if guild else "?"))
        await interaction.response.send_message(f"pong from shard {bot.shard_id}")


async def test_world_has_three_servers_on_shards_0_1_2(driver):
    world = await driver.world()
    by_name = {g["name"]: int(g["id"]) for g in world["guilds"]}
    assert [(by_name[name] >> 22) % 3 for name in GUILDS] == [0, 1, 2]
    # Channel names repeat across servers; "Guild/channel" names one of them.
    first = await driver.say("alice", "general", "in the default server")
    art = await driver.say("alice", "Art Club/general", "in the art club")
    film = await driver.say("bob", "general", "in the film club", guild="Film Club")
    assert first["guild_id"] == str(by_name["Test Server"])
    assert art["guild_id"] == str(by_name["Art Club"])
    assert film["guild_id"] == str(by_name["Film Club"])
    assert [m["content"] for m in await driver.messages("Art Club/general")] == ["in the art club"]
    assert [m["content"] for m in await driver.messages("general")] == ["in the default server"]


async def test_gateway_bot_recommends_shards_and_counts_identifies(emulator, driver):
    url = f"{emulator.api_base}/gateway/bot"
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers) as response:
            first = await response.json()
        async with http.get(f"{emulator.api_base}/gateway") as response:
            plain = (response.status, await response.json())
        await driver.configure(recommended_shards=3)
        bot = sharded_bot()
        async with running(bot, emulator.token):
            async with http.get(url, headers=headers) as response:
                second = await response.json()
            shard_ids = sorted(bot.shards)
    assert first["shards"] == 1 and first["url"] == emulator.gateway_url
    assert first["session_start_limit"]["remaining"] == 1000
    assert set(first["session_start_limit"]) == {
        "total",
        "remaining",
        "reset_after",
        "max_concurrency",
    }
    assert plain == (200, {"url": emulator.gateway_url})
    assert second["shards"] == 3 and second["session_start_limit"]["remaining"] == 997
    assert shard_ids == [0, 1, 2]


async def test_auto_sharded_bot_gets_every_guild_on_its_shard(emulator, driver):
    await driver.configure(recommended_shards=3)
    bot = sharded_bot()
    seen: list[tuple[int | None, str]] = []
    record_pings(bot, seen)
    async with running(bot, emulator.token):
        await bot.tree.sync()
        guild_shards = {g.name: g.shard_id for g in bot.guilds}
        for user, guild in (("owner", "Test Server"), ("alice", "Art Club"), ("bob", "Film Club")):
            iid = await driver.slash(user, "general", "ping", guild=guild)
            await driver.wait_for_interaction(iid)
        gateway = await driver.gateway()
    assert guild_shards == {"Test Server": 0, "Art Club": 1, "Film Club": 2}
    assert sorted(name for _, name in seen) == sorted(GUILDS)
    assert sorted(s["shard"] for s in gateway["sessions"]) == [[0, 3], [1, 3], [2, 3]]


async def test_clients_on_separate_shards_see_only_their_guilds(emulator, driver):
    bots = [sharded_bot(shard_id=i, shard_count=3) for i in range(3)]
    seen: list[tuple[int | None, str]] = []
    for bot in bots:
        record_pings(bot, seen)
    world = await driver.world()
    film_id = int(next(g["id"] for g in world["guilds"] if g["name"] == "Film Club"))
    art_general = next(
        int(c["id"])
        for g in world["guilds"]
        if g["name"] == "Art Club"
        for c in g["channels"]
        if c["name"] == "general"
    )
    async with contextlib.AsyncExitStack() as stack:
        for bot in bots:
            await stack.enter_async_context(running(bot, emulator.token))
        await bots[0].tree.sync()
        guilds = [[g.name for g in bot.guilds] for bot in bots]
        for user, channel in (("alice", "Film Club/general"), ("erin", "general")):
            with pytest.raises(EmulatorError) as refused:  # not members there
                await driver.slash(user, channel, "ping")
            assert refused.value.status == 400
        for user, channel in (
            ("owner", "general"),
            ("alice", "Art Club/general"),
            ("bob", "Film Club/general"),
        ):
            await driver.wait_for_interaction(await driver.slash(user, channel, "ping"))
        # REST is not sharded: any client reaches any guild the bot is in.
        fetched = await bots[0].fetch_guild(film_id)
        sent = await bots[2].get_partial_messageable(art_general).send("hello from shard 2")
    assert guilds == [["Test Server"], ["Art Club"], ["Film Club"]]
    assert sorted(seen) == [(0, "Test Server"), (1, "Art Club"), (2, "Film Club")]
    assert fetched.name == "Film Club"
    assert sent.channel.id == art_general
    messages = await driver.messages("Art Club/general")
    assert messages[-1]["content"] == "hello from shard 2"


async def test_events_of_a_new_guild_go_to_its_shard(emulator, driver):
    bots = [sharded_bot(shard_id=i, shard_count=2) for i in range(2)]
    async with contextlib.AsyncExitStack() as stack:
        for bot in bots:
            await stack.enter_async_context(running(bot, emulator.token))
        made = await driver.add_guild("Odd One", "owner", members=["alice"], shard=(1, 2))
        await driver.add_channel("lobby", guild="Odd One")

        def lobby_seen() -> bool:
            guild = bots[1].get_guild(int(made["id"]))
            return guild is not None and discord.utils.get(guild.channels, name="lobby") is not None

        await until(lobby_seen)
        assert bots[0].get_guild(int(made["id"])) is None
    assert (int(made["id"]) >> 22) % 2 == 1


async def until(condition: Any, timeout: float = 5.0) -> None:
    """Wait for a condition on client-side state (the bot's cache), yielding to its tasks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


async def identify(emulator, payload: dict[str, Any]) -> int | None:
    """Open a raw gateway connection, IDENTIFY with ``payload`` and return the close code."""
    async with aiohttp.ClientSession() as http, http.ws_connect(emulator.gateway_url) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": emulator.token, "intents": 1, **payload}})
        async for message in _frames(ws):
            if message.get("t") == "READY":
                return None
        return ws.close_code


async def _frames(ws: aiohttp.ClientWebSocketResponse) -> AsyncIterator[dict[str, Any]]:
    inflator = zlib.decompressobj()
    while True:
        message = await ws.receive(timeout=5)
        if message.type == aiohttp.WSMsgType.TEXT:
            yield json.loads(message.data)
        elif message.type == aiohttp.WSMsgType.BINARY:
            yield json.loads(inflator.decompress(message.data))
        else:
            return


@pytest.mark.parametrize("shard", [[3, 3], [-1, 2], [0, 0], [0], "0,1"])
async def test_invalid_shard_closes_4010(emulator, shard):
    assert await identify(emulator, {"shard": shard}) == 4010


async def test_too_many_guilds_for_one_session_closes_4011(emulator, driver):
    await driver.configure(max_guilds_per_shard=2)
    assert await identify(emulator, {}) == 4011
    # Three shards hold one guild each: allowed.
    assert await identify(emulator, {"shard": [1, 3]}) is None
