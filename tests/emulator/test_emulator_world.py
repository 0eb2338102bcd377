"""The world can grow from tests; permissions, body limits and raw callbacks behave like Discord."""

from __future__ import annotations

import asyncio
import io

import aiohttp
import discord
from discord import app_commands

from tests.emulator.conftest import channel_id, make_bot, running


async def test_users_roles_channels_added_from_a_test_reach_the_bot(emulator, driver):
    bot = make_bot(members=True)
    seen: dict[str, object] = {}

    @bot.tree.command(description="Who am I")
    async def whoami(interaction: discord.Interaction) -> None:
        member = interaction.user
        assert isinstance(member, discord.Member)
        seen["roles"] = sorted(r.name for r in member.roles if not r.is_default())
        seen["channel"] = interaction.channel.name if interaction.channel else None
        await interaction.response.send_message(f"you are {member.name}")

    async with running(bot, emulator.token):
        await bot.tree.sync()
        await driver.add_role("Patron", permissions=0)
        await driver.add_user("carol", roles=["Patron"])
        await driver.add_channel("studio")
        await driver.edit_member("carol", add_roles=["Supporter"])
        await driver.wait_for(
            driver.world, lambda w: any(u["username"] == "carol" for u in w["users"])
        )
        iid = await driver.slash("carol", "studio", "whoami")
        await driver.wait_for_interaction(iid)
        guild = bot.guilds[0]
        carol = discord.utils.get(guild.members, name="carol")
        studio = discord.utils.get(guild.text_channels, name="studio")
    assert seen == {"roles": ["Patron", "Supporter"], "channel": "studio"}
    # The gateway told the bot about the new member, role and channel too.
    assert carol is not None and studio is not None
    assert sorted(r.name for r in carol.roles if not r.is_default()) == ["Patron", "Supporter"]


async def test_commands_with_default_permissions_are_hidden_from_members(emulator, driver):
    bot = make_bot()

    @bot.tree.command(description="Set quotas")
    @app_commands.default_permissions(manage_guild=True)
    async def quota(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("quota set", ephemeral=True)

    async with running(bot, emulator.token):
        await bot.tree.sync()
        refused = None
        try:
            await driver.slash("alice", "general", "quota")
        except Exception as exc:
            refused = exc
        iid = await driver.slash("owner", "general", "quota")
        state = await driver.wait_for_interaction(iid)
    assert getattr(refused, "status", None) == 403
    message = state["messages"][0]
    assert message["flags"] & 64 and message["visible_to"] == state["user_id"]


async def test_guild_limit_and_request_body_limit(emulator, driver):
    world = await driver.world()
    guild_id = world["guilds"][0]["id"]
    await driver._call("PATCH", f"/world/guilds/{guild_id}", {"attachment_size_limit": 1000})
    await driver.configure(max_request_size=3000)
    bot = make_bot()
    async with running(bot, emulator.token):
        channel = bot.get_channel(await channel_id(driver, "general"))
        small = await channel.send(file=discord.File(io.BytesIO(b"a" * 1000), "ok.bin"))
        errors = []
        for files in (
            [discord.File(io.BytesIO(b"b" * 1001), "big.bin")],
            # Each file is under the limit, the request is not.
            [discord.File(io.BytesIO(b"c" * 900), f"{i}.bin") for i in range(4)],
        ):
            try:
                await channel.send(files=files)
            except discord.HTTPException as exc:
                errors.append((exc.status, exc.code))
    assert small.attachments[0].size == 1000
    assert errors == [(413, 40005), (413, 40005)]


async def test_callback_without_with_response_answers_204(emulator, driver):
    bot = make_bot()
    received = asyncio.Event()

    @bot.tree.command(description="Silent")
    async def silent(interaction: discord.Interaction) -> None:
        received.set()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "silent")
        await asyncio.wait_for(received.wait(), 5)
        token = (await driver.interaction(iid))["token"]
        url = f"{emulator.api_base}/interactions/{iid}/{token}/callback"
        async with aiohttp.ClientSession() as http:
            payload = {"type": 4, "data": {"content": "raw"}}
            async with http.post(url, json=payload) as resp:
                first = (resp.status, await resp.read())
            async with http.post(url, json=payload, params={"with_response": "true"}) as resp:
                second = (resp.status, resp.headers["Content-Type"], await resp.json())
            wrong = f"{emulator.api_base}/interactions/{iid}/not-the-token/callback"
            async with http.post(wrong, json=payload) as resp:
                third = (resp.status, await resp.json())
            cdn = f"{emulator.base_url}/cdn/attachments/1/2/nothing.bin"
            async with http.get(cdn) as resp:
                missing_file = resp.status
    assert first == (204, b"")
    assert second == (
        400,
        "application/json",
        {"message": "Interaction has already been acknowledged.", "code": 40060},
    )
    assert third == (404, {"message": "Unknown interaction", "code": 10062})
    assert missing_file == 404
    state = await driver.interaction(iid)
    assert state["messages"][0]["content"] == "raw"


async def test_user_messages_and_replies_show_in_history(emulator, driver):
    bot = make_bot()
    async with running(bot, emulator.token):
        said = await driver.say("bob", "videos", "make me a cat video")
        channel = bot.get_channel(await channel_id(driver, "videos"))
        original = await channel.fetch_message(int(said["id"]))
        reply = await original.reply("on it")
        messages = await driver.messages("videos")
    assert original.author.name == "bob" and original.content == "make me a cat video"
    assert [m["content"] for m in messages] == ["make me a cat video", "on it"]
    assert messages[1]["message_reference"]["message_id"] == said["id"]
    assert messages[1]["referenced_message"]["content"] == "make me a cat video"
    assert reply.reference is not None and reply.reference.message_id == original.id
