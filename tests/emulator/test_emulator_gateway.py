"""The gateway: login, READY and GUILD_CREATE, zlib-stream, RESUME with replay, new IDENTIFY."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import Emulator
from tests.emulator.conftest import make_bot, running


async def test_login_ready_and_guild_seen(emulator, driver):
    bot = make_bot(members=True)
    async with running(bot, emulator.token):
        guild = bot.guilds[0]
        app = await bot.application_info()
        gateway = await driver.gateway()
    assert bot.user is not None and bot.user.bot and bot.application_id == bot.user.id
    assert guild.name == "Test Server" and guild.owner is not None
    assert guild.owner.name == "owner" and app.owner.name == "owner"
    assert sorted(c.name for c in guild.text_channels) == ["general", "videos"]
    assert {r.name for r in guild.roles} >= {"@everyone", "Supporter", "Pika"}
    supporter = discord.utils.get(guild.roles, name="Supporter")
    assert [m.name for m in supporter.members] == ["bob"]
    assert guild.me is not None and guild.me.guild_permissions.send_messages
    assert {m.name for m in guild.members} == {"owner", "alice", "bob", "Pika"}
    connection = gateway["connections"][0]
    assert connection["kind"] == "identify"
    assert connection["query"] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    # READY and GUILD_CREATE; all members came with it, so discord.py asked for no chunk.
    assert gateway["sessions"][0]["seq"] == 2


async def test_heartbeats_are_acknowledged(emulator):
    async with aiohttp.ClientSession() as http, http.ws_connect(emulator.gateway_url) as ws:
        hello = await ws.receive_json(timeout=5)
        await ws.send_json({"op": 1, "d": None})
        ack = await ws.receive_json(timeout=5)
        await ws.send_json({"op": 2, "d": {"token": emulator.token, "intents": 1}})
        ready = await ws.receive_json(timeout=5)
        guild_create = await ws.receive_json(timeout=5)
        guild_id = guild_create["d"]["id"]
        await ws.send_json({"op": 8, "d": {"guild_id": guild_id, "limit": 0, "nonce": "n1"}})
        chunk = await ws.receive_json(timeout=5)
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
    assert ack == {"op": 11}
    assert (ready["t"], ready["s"]) == ("READY", 1)
    assert ready["d"]["resume_gateway_url"].endswith("/gateway/resume")
    assert ready["d"]["guilds"][0]["unavailable"] is True
    assert (guild_create["t"], guild_create["s"]) == ("GUILD_CREATE", 2)
    # Without the members intent only the bot's own member comes with the guild.
    assert [m["user"]["username"] for m in guild_create["d"]["members"]] == ["Pika"]
    assert guild_create["d"]["member_count"] == 4
    assert (chunk["t"], chunk["d"]["nonce"], len(chunk["d"]["members"])) == (
        "GUILD_MEMBERS_CHUNK",
        "n1",
        4,
    )


async def test_resume_after_a_dropped_connection_replays_missed_events(emulator, driver):
    bot = make_bot()
    resumed = asyncio.Event()

    @bot.tree.command(description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @bot.event
    async def on_resumed() -> None:
        resumed.set()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        session_id = bot.ws.session_id
        await driver.hold_gateway(True)
        assert await driver.drop_gateway("abort") == 1
        await driver.wait_for_gateway(lambda g: not g["sessions"][0]["connected"])
        # Sent while the bot is away: only a RESUME replay can deliver it.
        iid = await driver.slash("alice", "general", "ping")
        assert (await driver.interaction(iid))["acknowledged"] is False
        await driver.hold_gateway(False)
        await asyncio.wait_for(resumed.wait(), 10)
        state = await driver.wait_for_interaction(iid)
        gateway = await driver.gateway()
    assert state["messages"][0]["content"] == "pong"
    assert bot.ws is not None
    resume = gateway["connections"][-1]
    assert resume["kind"] == "resume" and resume["path"] == "/gateway/resume"
    assert resume["session_id"] == session_id and resume["replayed"] >= 1
    assert len(gateway["sessions"]) == 1 and gateway["sessions"][0]["resumes"] == 1


async def test_resume_after_a_server_close_and_after_reconnect_request(emulator, driver):
    bot = make_bot()
    resumed: asyncio.Queue[None] = asyncio.Queue()

    @bot.event
    async def on_resumed() -> None:
        resumed.put_nowait(None)

    async with running(bot, emulator.token):
        await driver.drop_gateway("close", 4000)
        await asyncio.wait_for(resumed.get(), 10)
        await driver.drop_gateway("reconnect")
        await asyncio.wait_for(resumed.get(), 10)
        gateway = await driver.gateway()
    kinds = [c["kind"] for c in gateway["connections"]]
    assert kinds == ["identify", "resume", "resume"]
    assert len(gateway["sessions"]) == 1


async def test_a_new_client_identifies_a_new_session(emulator, driver):
    first = make_bot()
    async with running(first, emulator.token):
        first_session = first.ws.session_id

    second = make_bot()

    @second.tree.command(description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong from the new process")

    async with running(second, emulator.token):
        await second.tree.sync()
        iid = await driver.slash("bob", "general", "ping")
        state = await driver.wait_for_interaction(iid)
        gateway = await driver.gateway()
    assert second.ws.session_id != first_session
    assert [c["kind"] for c in gateway["connections"]] == ["identify", "identify"]
    sessions = {s["session_id"]: s for s in gateway["sessions"]}
    assert sessions[first_session]["connected"] is False
    assert gateway["primary"] == second.ws.session_id
    assert state["messages"][0]["content"] == "pong from the new process"


async def test_invalid_session_makes_the_bot_identify_again(emulator, driver):
    bot = make_bot()
    ready: asyncio.Queue[None] = asyncio.Queue()

    @bot.event
    async def on_ready() -> None:
        ready.put_nowait(None)

    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        # discord.py sleeps 5 s before a repeated IDENTIFY (Discord's concurrency limit).
        return None

    bot.before_identify_hook = identify_at_once  # type: ignore[method-assign]

    async with running(bot, emulator.token):
        await asyncio.wait_for(ready.get(), 5)
        assert await driver.invalidate_sessions() == 1
        await asyncio.wait_for(ready.get(), 10)
        gateway = await driver.gateway()
    assert [c["kind"] for c in gateway["connections"]] == ["identify", "identify"]
    assert len(gateway["sessions"]) == 2


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(token="the-only-token")


async def test_a_configured_token_refuses_others(emulator):
    bot = make_bot()
    with pytest.raises(discord.LoginFailure):
        await bot.login("some-other-token")
    await bot.close()
    good = make_bot()
    async with running(good, "the-only-token"):
        assert good.user is not None


async def test_standalone_addresses():
    emu = Emulator()
    await emu.start(host="127.0.0.1", port=0)
    try:
        info = emu.describe()
        async with aiohttp.ClientSession() as http, http.get(emu.control_url) as resp:
            served = await resp.json()
    finally:
        await emu.stop()
    assert info["api_base"] == emu.base_url + "/api/v10"
    assert info["gateway_url"] == emu.base_url.replace("http", "ws") + "/gateway"
    assert served == info and info["any_token"] is True
