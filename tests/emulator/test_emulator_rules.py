"""Each of Discord's rules, broken on purpose by a discord.py bot, produces Discord's error."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import discord
import pytest

from tests.emulator.conftest import channel_id, make_bot, running


class Outcome:
    """What a bot handler saw, and events to pace it from the test."""

    def __init__(self) -> None:
        self.received = asyncio.Event()
        self.go = asyncio.Event()
        self.done = asyncio.Event()
        self.error: discord.HTTPException | None = None
        self.value: Any = None

    async def wait_done(self) -> None:
        await asyncio.wait_for(self.done.wait(), 10)


async def test_callback_after_three_seconds_is_unknown_interaction(emulator, driver):
    bot = make_bot()
    outcome = Outcome()

    @bot.tree.command(description="Too slow")
    async def slow(interaction: discord.Interaction) -> None:
        outcome.received.set()
        await outcome.go.wait()
        try:
            await interaction.response.send_message("late")
        except discord.HTTPException as exc:
            outcome.error = exc
        outcome.done.set()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "slow")
        await asyncio.wait_for(outcome.received.wait(), 5)
        await driver.advance_clock(3.1)
        outcome.go.set()
        await outcome.wait_done()
        state = await driver.interaction(iid)
    assert isinstance(outcome.error, discord.NotFound)
    assert outcome.error.code == 10062 and outcome.error.status == 404
    assert state["acknowledged"] is False
    assert [e["code"] for e in state["errors"]] == [10062]
    assert state["errors"][0]["after_seconds"] >= 3.1


async def test_token_dies_after_fifteen_minutes_but_channel_edits_still_work(emulator, driver):
    bot = make_bot()
    outcome = Outcome()

    @bot.tree.command(description="Long job")
    async def long(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        original = await interaction.original_response()
        outcome.received.set()
        await outcome.go.wait()
        try:
            await interaction.edit_original_response(content="finished")
        except discord.HTTPException as exc:
            outcome.error = exc
        # The bot's own channel message edit does not depend on the token.
        outcome.value = await original.channel.get_partial_message(original.id).edit(
            content="finished (via channel)"
        )
        outcome.done.set()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "videos", "long")
        await asyncio.wait_for(outcome.received.wait(), 5)
        await driver.advance_clock(15 * 60 + 1)
        outcome.go.set()
        await outcome.wait_done()
        state = await driver.interaction(iid)
    assert outcome.error is not None and outcome.error.status == 401
    assert outcome.error.code == 50027
    assert [e["code"] for e in state["errors"]] == [50027]
    assert state["messages"][0]["content"] == "finished (via channel)"


async def test_second_callback_is_already_acknowledged(emulator, driver):
    bot = make_bot()
    outcome = Outcome()

    @bot.tree.command(description="Twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        # discord.py refuses a second response locally; forget that so the request goes out.
        interaction.response._response_type = None
        try:
            await interaction.response.defer()
        except discord.HTTPException as exc:
            outcome.error = exc
        outcome.done.set()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("bob", "general", "twice")
        await outcome.wait_done()
        state = await driver.interaction(iid)
    assert outcome.error is not None and outcome.error.status == 400
    assert outcome.error.code == 40060
    assert state["response_type"] == 4 and [e["code"] for e in state["errors"]] == [40060]


async def test_file_over_the_attachment_limit_is_too_large(emulator, driver):
    await driver.configure(attachment_size_limit=1_000_000)
    bot = make_bot()
    outcome = Outcome()

    @bot.tree.command(description="Big file")
    async def big(interaction: discord.Interaction) -> None:
        outcome.value = interaction.filesize_limit
        await interaction.response.defer()
        try:
            await interaction.followup.send(
                file=discord.File(io.BytesIO(b"x" * 1_000_001), "big.mp4")
            )
        except discord.HTTPException as exc:
            outcome.error = exc
        await interaction.followup.send(file=discord.File(io.BytesIO(b"x" * 1_000_000), "ok.mp4"))
        outcome.done.set()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "videos", "big")
        await outcome.wait_done()
        channel = bot.get_channel(await channel_id(driver, "general"))
        with pytest.raises(discord.HTTPException) as channel_error:
            await channel.send(file=discord.File(io.BytesIO(b"y" * 1_000_001), "big.bin"))
        state = await driver.interaction(iid)
    assert outcome.value == 1_000_000
    assert outcome.error is not None and outcome.error.status == 413
    assert outcome.error.code == 40005
    assert channel_error.value.status == 413 and channel_error.value.code == 40005
    assert state["messages"][0]["attachments"][0]["size"] == 1_000_000


async def test_custom_id_over_one_hundred_characters_is_invalid_form_body(emulator, driver):
    bot = make_bot()
    outcome = Outcome()

    @bot.tree.command(description="Bad button")
    async def bad(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="x", custom_id="x" * 101))
        try:
            await interaction.response.send_message("with a bad button", view=view)
        except discord.HTTPException as exc:
            outcome.error = exc
        outcome.done.set()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "bad")
        await outcome.wait_done()
        state = await driver.interaction(iid)
    assert outcome.error is not None and outcome.error.status == 400
    assert outcome.error.code == 50035
    assert "data.components.0.components.0.custom_id" in outcome.error.text
    assert state["acknowledged"] is False and state["messages"] == []


async def test_discord_limits_on_embeds_rows_and_modals(emulator, driver):
    bot = make_bot()
    errors: dict[str, discord.HTTPException] = {}
    done = asyncio.Event()

    @bot.tree.command(description="Break limits")
    async def limits(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        cases = {
            "title": {"embed": discord.Embed(title="t" * 257)},
            "fields": {"embed": _embed_with_fields(26)},
            "total": {"embeds": [discord.Embed(description="d" * 4000) for _ in range(2)]},
            "content": {"content": "c" * 2001},
        }
        for name, kwargs in cases.items():
            try:
                await interaction.followup.send(**kwargs)
            except discord.HTTPException as exc:
                errors[name] = exc
        # discord.py itself refuses a sixth button in a row, so send the raw payload.
        row = {
            "type": 1,
            "components": [
                {"type": 2, "style": 1, "label": str(i), "custom_id": f"b{i}"} for i in range(6)
            ],
        }
        try:
            await interaction.client.http.request(
                discord.http.Route(
                    "POST", "/channels/{channel_id}/messages", channel_id=interaction.channel_id
                ),
                json={"content": "rows", "components": [row]},
            )
        except discord.HTTPException as exc:
            errors["row"] = exc
        done.set()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        await driver.slash("alice", "general", "limits")
        await asyncio.wait_for(done.wait(), 10)
    assert {k: (e.status, e.code) for k, e in errors.items()} == {
        k: (400, 50035) for k in ("title", "fields", "total", "content", "row")
    }
    assert "embeds.0.title" in errors["title"].text
    assert "embeds.0.fields" in errors["fields"].text
    assert "components.0.components" in errors["row"].text


def _embed_with_fields(count: int) -> discord.Embed:
    embed = discord.Embed(title="many")
    for i in range(count):
        embed.add_field(name=f"f{i}", value="v")
    return embed


async def test_bad_modal_and_too_many_autocomplete_choices_are_refused(emulator, driver):
    bot = make_bot()
    errors: dict[str, discord.HTTPException] = {}

    class TooLong(discord.ui.Modal, title="t" * 46):
        text = discord.ui.TextInput(label="x", custom_id="x")

    @bot.tree.command(description="Modal")
    async def modal(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_modal(TooLong())
        except discord.HTTPException as exc:
            errors["modal"] = exc

    async def many(interaction: discord.Interaction, current: str):
        return [discord.app_commands.Choice(name=f"c{i}", value=f"c{i}") for i in range(26)]

    @bot.tree.command(description="Choices")
    @discord.app_commands.autocomplete(pick=many)
    async def choose(interaction: discord.Interaction, pick: str) -> None:
        await interaction.response.send_message(pick)

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "modal")
        await driver.wait_for_interaction(iid, lambda i: i["errors"])
        choices = await driver.autocomplete("alice", "general", "choose", {}, "pick", timeout=3)
        autocomplete = (await driver._call("GET", "/interactions"))[-1]
    assert errors["modal"].status == 400 and "data.title" in errors["modal"].text
    assert choices == []
    assert autocomplete["acknowledged"] is False
    assert autocomplete["errors"][0]["code"] == 50035


async def test_bad_command_definitions_are_refused(emulator, driver):
    url = f"{emulator.api_base}/applications/{(await driver.world())['application']['id']}/commands"
    headers = {"Authorization": f"Bot {emulator.token}"}
    bad = [
        {"name": "Hello", "description": "upper case"},
        {"name": "x" * 33, "description": "too long"},
        {"name": "ok", "description": "d" * 101},
        {
            "name": "opts",
            "description": "many",
            "options": [{"type": 3, "name": f"o{i}", "description": "o"} for i in range(26)],
        },
        {
            "name": "choices",
            "description": "many",
            "options": [
                {
                    "type": 3,
                    "name": "c",
                    "description": "c",
                    "choices": [{"name": str(i), "value": str(i)} for i in range(26)],
                },
            ],
        },
    ]
    async with aiohttp.ClientSession() as http:
        async with http.put(url, json=bad, headers=headers) as resp:
            status, body = resp.status, await resp.json()
        async with http.put(url, json=[], headers={"Authorization": "Bearer nope"}) as resp:
            unauthorized = resp.status
    assert status == 400 and body["code"] == 50035
    assert set(body["errors"]) == {"0", "1", "2", "3", "4"}
    assert "APPLICATION_COMMAND_NAME_LOWERCASE" in str(body["errors"]["0"])
    assert "BASE_TYPE_MAX_LENGTH" in str(body["errors"]["3"]["options"])
    assert "choices" in body["errors"]["4"]["options"]["0"]
    assert unauthorized == 401
    assert (await driver.commands())["global"] == []
