"""Quick check that discord.py logs in, syncs and answers a slash command."""

from __future__ import annotations

import discord

from tests.emulator.conftest import make_bot, running


async def test_login_sync_and_reply(emulator, driver):
    bot = make_bot()

    @bot.tree.command(description="Say hi")
    async def hello(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"hi {interaction.user.name}")

    async with running(bot, emulator.token):
        assert bot.user is not None and bot.user.name == "Pika"
        assert [g.name for g in bot.guilds] == ["Test Server"]
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "hello")
        state = await driver.wait_for_interaction(iid)
        assert state["response_type"] == 4
        msg = await driver.wait_for_message("general", lambda m: m["content"] == "hi alice")
        assert msg["interaction_metadata"]["id"] == iid
