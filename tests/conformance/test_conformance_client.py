"""Every route the emulator serves, called by a plain discord.py bot, checked against the spec."""

from __future__ import annotations

import io

import discord
import pytest
from discord import app_commands

from bot.emulator.config import EmulatorConfig
from tests.conformance.traffic import check_traffic, load_allowlist, not_allowed
from tests.emulator.conftest import make_bot, running


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(record_traffic=True, extra_guilds=True)


class Buttons(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Again", custom_id="again")
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="pressed", view=self)

    @discord.ui.button(label="Quiet", custom_id="quiet")
    async def quiet(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()


class Ask(discord.ui.Modal, title="Tell me"):
    answer = discord.ui.TextInput(label="Answer", custom_id="answer")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"you said {self.answer.value}", ephemeral=True)


def conformance_bot() -> discord.ext.commands.Bot:
    bot = make_bot(members=True)

    @bot.tree.command(description="Make something")
    @app_commands.describe(prompt="What to make")
    async def make(interaction: discord.Interaction, prompt: str, file: discord.Attachment) -> None:
        await interaction.response.defer(thinking=True)
        first = await interaction.followup.send(f"working on {prompt}", wait=True)
        await interaction.edit_original_response(content="progress 50%")
        await interaction.original_response()
        await first.edit(content="done")
        await interaction.followup.send(
            "result", file=discord.File(io.BytesIO(b"x" * 64), "out.bin"), view=Buttons()
        )
        await first.delete()

    @bot.tree.command(description="Ask something")
    async def ask(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Ask())

    @bot.tree.command(description="Pick a style")
    async def style(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(f"style {name}", ephemeral=True)

    @style.autocomplete("name")
    async def styles(interaction: discord.Interaction, current: str) -> list:
        return [app_commands.Choice(name=s, value=s) for s in ("anime", "noir") if current in s]

    @bot.tree.command(description="Talk in DMs")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def hello(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"hello {interaction.user.name}")

    return bot


async def test_every_route_a_bot_uses_answers_as_the_spec_says(emulator, driver, spec):
    bot = conformance_bot()
    bot.add_view(Buttons())
    async with running(bot, emulator.token):
        http = bot.http
        world = await driver.world()
        guild_id = int(world["guilds"][0]["id"])
        alice = int(next(u["id"] for u in world["users"] if u["username"] == "alice"))
        channel = bot.get_channel(int(world["guilds"][0]["channels"][0]["id"]))
        assert isinstance(channel, discord.TextChannel)
        # identity, gateway, application
        await http.get_bot_gateway()
        await http.request(discord.http.Route("GET", "/gateway"))
        await bot.application_info()
        await bot.fetch_user(alice)
        await http.request(discord.http.Route("GET", "/applications/@me"))
        # commands, global and per guild
        synced = await bot.tree.sync()
        await bot.tree.fetch_commands()
        await bot.tree.fetch_command(synced[0].id)
        extra = await http.upsert_global_command(
            bot.application_id, {"name": "extra", "description": "An extra command", "type": 1}
        )
        await http.delete_global_command(bot.application_id, extra["id"])
        guild = discord.Object(guild_id)
        bot.tree.copy_global_to(guild=guild)
        guild_synced = await bot.tree.sync(guild=guild)
        await bot.tree.fetch_commands(guild=guild)
        await http.get_guild_command(bot.application_id, guild_id, guild_synced[0].id)
        made = await http.upsert_guild_command(
            bot.application_id, guild_id, {"name": "local", "description": "Local", "type": 1}
        )
        await http.delete_guild_command(bot.application_id, guild_id, made["id"])
        bot.tree.clear_commands(guild=guild)
        await bot.tree.sync(guild=guild)
        # guilds
        await bot.fetch_guild(guild_id)
        await http.get_all_guild_channels(guild_id)
        await http.get_roles(guild_id)
        await http.get_members(guild_id, 10, None)
        await http.get_member(guild_id, alice)
        # channels and messages
        await bot.fetch_channel(channel.id)
        await channel.typing().__aenter__()
        said = await driver.say("alice", "general", "hello bot")
        sent = await channel.send(
            "hi", file=discord.File(io.BytesIO(b"y" * 32), "a.bin"), embed=discord.Embed(title="t")
        )
        await sent.edit(content="hi again")
        await channel.fetch_message(int(said["id"]))
        [m async for m in channel.history(limit=10)]
        await sent.delete()
        # DMs
        dm = await (await bot.fetch_user(alice)).create_dm()
        await (await dm.send("psst")).edit(content="psst!")
        await driver.wait_for_interaction(await driver.slash_in_dm("alice", "hello"))
        # interactions: defer, followups, edits, files, buttons, modal, autocomplete
        iid = await driver.slash(
            "alice", "general", "make", {"prompt": "a cat"}, {"file": ("cat.png", b"png")}
        )
        state = await driver.wait_for_interaction(
            iid, lambda i: any(m["content"] == "result" for m in i["messages"]), timeout=10
        )
        result = next(m for m in state["messages"] if m["content"] == "result")
        await driver.wait_for_interaction(await driver.click("bob", result["id"], "again"))
        await driver.wait_for_interaction(await driver.click("bob", result["id"], "quiet"))
        ask = await driver.slash("bob", "general", "ask")
        await driver.wait_for_interaction(ask)
        await driver.wait_for_interaction(await driver.submit_modal("bob", ask, {"answer": "yes"}))
        assert await driver.autocomplete("bob", "general", "style", {}, "name") != []
        await driver.wait_for_interaction(
            await driver.slash("bob", "general", "style", {"name": "noir"})
        )
        traffic = await driver.recording()
    routes = {(e["method"], e["route"]) for e in traffic if e["kind"] == "rest"}
    assert len(routes) >= 30, sorted(routes)
    findings = not_allowed(check_traffic(spec, traffic), load_allowlist())
    assert not findings, "\n".join(str(f) for f in findings)
