"""Locales, DMs, private channels and user installs, with a plain discord.py bot."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.emulator.config import EmulatorConfig
from bot.emulator.driver import EmulatorError
from tests.emulator.conftest import make_bot, running

ZH = {
    "where": "在哪",
    "Where the command ran": "命令在哪里运行",
    "note": "备注",
    "A note": "一个备注",
}


class ChineseTranslator(app_commands.Translator):
    """Give every command string a Simplified Chinese translation, as a real bot would."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext,
    ) -> str | None:
        return ZH.get(string.message) if locale is discord.Locale.chinese else None


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(extra_guilds=True)


def context_bot(seen: list[dict[str, Any]]) -> discord.ext.commands.Bot:
    """A bot with commands for every install and context, recording what it was told."""
    bot = make_bot()

    async def record(interaction: discord.Interaction, **extra: Any) -> None:
        seen.append(
            {
                "context": interaction.context,
                "locale": interaction.locale,
                "guild_locale": interaction.guild_locale,
                "guild_id": interaction.guild_id,
                "user_type": type(interaction.user).__name__,
                "owners": dict(interaction._integration_owners),
                "app_permissions": interaction.app_permissions.value,
                "channel_type": interaction.channel.type if interaction.channel else None,
                **extra,
            }
        )

    @bot.tree.command(name=app_commands.locale_str("where"), description="Where the command ran")
    @app_commands.describe(note=app_commands.locale_str("A note"))
    @app_commands.rename(note=app_commands.locale_str("note"))
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def where(interaction: discord.Interaction, note: str = "") -> None:
        await record(interaction, note=note)
        await interaction.response.send_message(f"here: {interaction.context}")

    @bot.tree.command(description="Only in servers that installed the bot")
    @app_commands.allowed_installs(guilds=True, users=False)
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    async def serveronly(interaction: discord.Interaction) -> None:
        await record(interaction)
        await interaction.response.send_message("server only")

    @bot.tree.command(description="Answer, then try the channel routes")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def probe(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        errors = []
        try:
            await interaction.client.http.send_message(interaction.channel_id, params=_content())
        except discord.HTTPException as exc:
            errors.append((exc.status, exc.code))
        await interaction.edit_original_response(content="original edited")
        followup = await interaction.followup.send("followup works", wait=True)
        await record(interaction, errors=errors, followup=followup.id)

    return bot


def _content() -> Any:
    return discord.http.handle_message_parameters(content="straight to the channel")


async def until(condition: Any, timeout: float = 5.0) -> None:
    """Wait for a condition on the bot's side, yielding to its tasks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.01)


async def synced(bot: discord.ext.commands.Bot) -> None:
    await bot.tree.set_translator(ChineseTranslator())
    await bot.tree.sync()


async def test_locales_and_localized_commands(emulator, driver):
    seen: list[dict[str, Any]] = []
    bot = context_bot(seen)
    async with running(bot, emulator.token):
        await synced(bot)
        await driver.set_locale("alice", "zh-CN")
        await driver.edit_guild("Test Server", locale="de")
        await driver.wait_for_interaction(await driver.slash("alice", "general", "where"))
        await driver.wait_for_interaction(
            await driver.slash("bob", "general", "where", locale="fr")
        )
        commands = {c["name"]: c for c in (await driver.commands())["global"]}
    assert seen[0]["locale"] is discord.Locale.chinese
    assert seen[0]["guild_locale"] is discord.Locale.german
    assert seen[1]["locale"] is discord.Locale.french
    where = commands["where"]
    assert where["name_localizations"] == {"zh-CN": "在哪"}
    assert where["description_localizations"] == {"zh-CN": "命令在哪里运行"}
    option = where["options"][0]
    assert option["name_localizations"] == {"zh-CN": "备注"}
    assert option["description_localizations"] == {"zh-CN": "一个备注"}
    assert where["integration_types"] == [0, 1] and where["contexts"] == [0, 1, 2]


async def test_guild_interaction_fields(emulator, driver):
    seen: list[dict[str, Any]] = []
    bot = context_bot(seen)
    async with running(bot, emulator.token):
        await synced(bot)
        iid = await driver.slash("alice", "general", "where")
        await driver.wait_for_interaction(iid)
        bob = await driver.slash("bob", "general", "serveronly")
        await driver.wait_for_interaction(bob)
        payload = emulator.state.interactions.get(int(iid)).payload
    world = await driver.world()
    guild_id = world["guilds"][0]["id"]
    alice_id = next(u["id"] for u in world["users"] if u["username"] == "alice")
    # alice has the app on her account too: both installs authorize a command allowing both.
    assert payload["authorizing_integration_owners"] == {"0": guild_id, "1": alice_id}
    assert payload["context"] == 0 and "member" in payload and "user" not in payload
    assert payload["entitlements"] == [] and payload["guild_locale"] == "en-US"
    assert payload["channel"]["id"] == payload["channel_id"]
    assert seen[1]["owners"] == {0: int(guild_id)}
    assert seen[0]["context"].guild and seen[0]["user_type"] == "Member"


async def test_dms_with_the_bot(emulator, driver):
    seen: list[dict[str, Any]] = []
    bot = make_bot()
    received: asyncio.Queue[discord.Message] = asyncio.Queue()

    async def on_message(message: discord.Message) -> None:
        if message.author != bot.user:
            await received.put(message)

    bot.add_listener(on_message, "on_message")
    for command in context_bot(seen).tree.get_commands():
        bot.tree.add_command(command)
    async with running(bot, emulator.token):
        await synced(bot)
        world = await driver.world()
        alice_id = int(next(u["id"] for u in world["users"] if u["username"] == "alice"))
        user = await bot.fetch_user(alice_id)
        dm = await user.create_dm()
        again = await bot.http.start_private_message(alice_id)
        sent = await dm.send("hello alice")
        await sent.edit(content="hello again, alice")
        await driver.say("alice", "@alice", "hi pika")
        heard = await asyncio.wait_for(received.get(), 5)
        iid = await driver.slash_in_dm("alice", "where")
        state = await driver.wait_for_interaction(iid)
        with pytest.raises(EmulatorError) as refused:
            await driver.slash_in_dm("alice", "serveronly")
        messages = await driver.dm_messages("alice")
        payload = emulator.state.interactions.get(int(iid)).payload
    assert again["id"] == str(dm.id) and dm.type is discord.ChannelType.private
    assert heard.content == "hi pika" and heard.guild is None
    assert [m["content"] for m in messages[:2]] == ["hello again, alice", "hi pika"]
    assert state["messages"][0]["channel_id"] == str(dm.id)
    assert seen[0]["context"].dm_channel and seen[0]["user_type"] == "User"
    assert seen[0]["guild_id"] is None and seen[0]["guild_locale"] is None
    assert payload["context"] == 1 and "member" not in payload and "guild_id" not in payload
    # The bot DM counts as a guild install ("0") and alice's own install ("1").
    assert payload["authorizing_integration_owners"] == {"0": "0", "1": str(alice_id)}
    assert payload["user"]["id"] == str(alice_id)
    assert payload["channel"]["type"] == 1 and payload["app_permissions"] == str(
        (1 << 15) | (1 << 14) | (1 << 17) | (1 << 18)
    )
    assert refused.value.status == 403


async def test_private_channel_answers_only_through_the_interaction(emulator, driver):
    seen: list[dict[str, Any]] = []
    bot = context_bot(seen)
    async with running(bot, emulator.token):
        await synced(bot)
        channel = await driver.open_private_channel("alice", "bob")
        iid = await driver.slash("alice", channel["id"], "probe")
        state = await driver.wait_for_interaction(
            iid, lambda i: any(m["content"] == "followup works" for m in i["messages"])
        )
        await until(lambda: bool(seen))
        with pytest.raises(EmulatorError) as not_installed:
            await driver.slash("bob", channel["ref"], "where")
        async with aiohttp.ClientSession() as http:
            url = f"{emulator.api_base}/channels/{channel['id']}"
            headers = {"Authorization": f"Bot {emulator.token}"}
            async with http.get(url, headers=headers) as response:
                direct = (response.status, await response.json())
        payload = emulator.state.interactions.get(int(iid)).payload
    assert payload["context"] == 2 and payload["authorizing_integration_owners"] == {
        "1": payload["user"]["id"]
    }
    assert seen[0]["errors"] == [(403, 50001)]
    assert [m["content"] for m in state["messages"]] == ["original edited", "followup works"]
    assert direct == (403, {"message": "Missing Access", "code": 50001})
    assert not_installed.value.status == 403


async def test_user_install_in_a_server_without_the_bot(emulator, driver):
    seen: list[dict[str, Any]] = []
    bot = context_bot(seen)
    async with running(bot, emulator.token):
        await synced(bot)
        assert "Outside" not in [g.name for g in bot.guilds]
        await driver.edit_guild("Outside", locale="ja")
        iid = await driver.slash("alice", "Outside/general", "probe")
        state = await driver.wait_for_interaction(
            iid, lambda i: any(m["content"] == "followup works" for m in i["messages"])
        )
        await until(lambda: bool(seen))
        public = state["messages"]
        refusals = []
        for user, command in (("bob", "where"), ("alice", "serveronly")):
            with pytest.raises(EmulatorError) as refused:
                await driver.slash(user, "Outside/general", command)
            refusals.append(refused.value.status)
        # Without Use External Apps the app's answers become ephemeral.
        await driver.edit_guild("Outside", use_external_apps=False)
        forced = await driver.slash("alice", "Outside/lounge", "where")
        forced_state = await driver.wait_for_interaction(forced, lambda i: bool(i["messages"]))
        payload = emulator.state.interactions.get(int(iid)).payload
    world = await driver.world()
    outside = next(g for g in world["guilds"] if g["name"] == "Outside")
    alice_id = next(u["id"] for u in world["users"] if u["username"] == "alice")
    assert payload["context"] == 0 and payload["guild_id"] == outside["id"]
    assert payload["authorizing_integration_owners"] == {"1": alice_id}
    assert payload["guild_locale"] == "ja" and "member" in payload
    assert seen[0]["errors"] == [(403, 50001)]
    assert [m["flags"] & 64 for m in public] == [0, 0]
    assert refusals == [403, 403]
    message = forced_state["messages"][0]
    assert message["flags"] & 64 and message["visible_to"] == alice_id
    assert not [m for m in await driver.messages("Outside/lounge") if not m["flags"] & 64]
