"""A plain discord.py bot against the emulator: commands, deferrals, files, buttons, modals."""

from __future__ import annotations

import asyncio
import hashlib
import io

import discord
from discord import app_commands

from tests.emulator.conftest import channel_id, make_bot, running


async def test_sync_is_visible_with_ids_and_schema(emulator, driver):
    bot = make_bot()

    @bot.tree.command(description="Make a video")
    @app_commands.describe(prompt="What to make")
    async def generate(interaction: discord.Interaction, prompt: str, seconds: int = 5) -> None:
        await interaction.response.send_message("ok")

    admin = app_commands.Group(name="admin", description="Admin tools")
    allowance = app_commands.Group(name="allowance", description="Allowances", parent=admin)

    @allowance.command(description="Set a user's allowance")
    async def user(interaction: discord.Interaction, member: discord.Member, amount: int) -> None:
        await interaction.response.send_message("ok")

    bot.tree.add_command(admin)
    async with running(bot, emulator.token):
        synced = await bot.tree.sync()
        assert {c.name for c in synced} == {"generate", "admin"}
        assert all(c.id for c in synced)
        commands = await driver.commands()
        by_name = {c["name"]: c for c in commands["global"]}
        assert set(by_name) == {"generate", "admin"}
        options = {o["name"]: o for o in by_name["generate"]["options"]}
        assert options["prompt"]["required"] is True and options["prompt"]["type"] == 3
        assert options["seconds"]["type"] == 4
        group = by_name["admin"]["options"][0]
        assert (group["type"], group["name"]) == (2, "allowance")
        assert group["options"][0]["name"] == "user"
        # A second sync keeps ids stable, as Discord does for unchanged names.
        again = await bot.tree.sync()
        assert {c.name: c.id for c in again} == {c.name: c.id for c in synced}


async def test_slash_with_subcommand_group_and_typed_options(emulator, driver):
    bot = make_bot()
    seen: dict[str, object] = {}
    admin = app_commands.Group(name="admin", description="Admin tools")
    allowance = app_commands.Group(name="allowance", description="Allowances", parent=admin)

    @allowance.command(description="Set a user's allowance")
    async def user(
        interaction: discord.Interaction,
        member: discord.Member,
        amount: int,
        role: discord.Role,
        channel: discord.TextChannel,
        monthly: bool = False,
        weight: float = 1.0,
    ) -> None:
        seen.update(
            member=member,
            amount=amount,
            role=role,
            channel=channel,
            monthly=monthly,
            weight=weight,
            caller=interaction.user,
        )
        await interaction.response.send_message(f"{member.name} gets {amount}")

    bot.tree.add_command(admin)
    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash(
            "owner",
            "#general",
            "admin allowance user",
            {
                "member": "bob",
                "amount": "5",
                "role": "Supporter",
                "channel": "videos",
                "monthly": True,
                "weight": 2.5,
            },
        )
        await driver.wait_for_message("general", lambda m: m["content"] == "bob gets 5")
        state = await driver.interaction(iid)
        assert state["command"] == "admin allowance user"
        assert state["response_type"] == 4
    member = seen["member"]
    assert isinstance(member, discord.Member) and member.name == "bob"
    assert [r.name for r in member.roles if not r.is_default()] == ["Supporter"]
    assert seen["amount"] == 5 and seen["monthly"] is True and seen["weight"] == 2.5
    assert seen["role"].name == "Supporter"
    assert seen["channel"].name == "videos"
    caller = seen["caller"]
    assert isinstance(caller, discord.Member) and caller.guild_permissions.administrator


async def test_slash_refused_for_unknown_command_and_bad_option(emulator, driver):
    bot = make_bot()

    @bot.tree.command(description="Count")
    async def count(interaction: discord.Interaction, n: int) -> None:
        await interaction.response.send_message(str(n))

    async with running(bot, emulator.token):
        await bot.tree.sync()
        for args, status in [
            (("alice", "general", "nope"), 404),
            (("alice", "general", "count", {"n": "many"}), 400),
            (("alice", "general", "count", {}), 400),
            (("alice", "general", "count", {"n": 1, "extra": 2}), 400),
            (("nobody", "general", "count", {"n": 1}), 404),
        ]:
            try:
                await driver.slash(*args)
            except Exception as exc:  # EmulatorError
                assert getattr(exc, "status", None) == status, (args, exc)
            else:
                raise AssertionError(f"{args} was accepted")


async def test_deferred_reply_edited_several_times_keeps_history(emulator, driver):
    bot = make_bot()

    @bot.tree.command(description="Work slowly")
    async def work(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        for step in ("queued", "rendering 50%", "done"):
            await interaction.edit_original_response(content=step)

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "videos", "work")
        state = await driver.wait_for_interaction(
            iid, lambda i: i["messages"] and i["messages"][0]["content"] == "done"
        )
    assert state["response_type"] == 5
    original = state["messages"][0]
    assert original["edit_count"] == 3
    history = [e["content"] for e in original["edits"]]
    assert history == ["", "queued", "rendering 50%"]
    assert original["edits"][0]["flags"] & 128  # it was "thinking" before the first edit
    assert not original["flags"] & 128
    assert original["edited_timestamp"] is not None
    assert original["author"]["id"] == str(bot.application_id)
    assert original["webhook_id"] == str(bot.application_id)


async def test_followup_file_bytes_round_trip_through_cdn(emulator, driver):
    bot = make_bot()
    payload = bytes(range(256)) * 400  # 100 KiB, every byte value
    received: dict[str, bytes] = {}

    @bot.tree.command(description="Send a clip")
    async def clip(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="rendering")
        sent = await interaction.followup.send(
            "here", file=discord.File(io.BytesIO(payload), "clip.mp4"), wait=True
        )
        received["bot"] = await sent.attachments[0].read()

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("bob", "videos", "clip")
        state = await driver.wait_for_interaction(iid, lambda i: len(i["messages"]) == 2)
    original, followup = state["messages"]
    assert original["content"] == "rendering"
    assert followup["content"] == "here"
    assert followup["interaction_metadata"]["original_response_message_id"] == original["id"]
    attachment = followup["attachments"][0]
    assert attachment["filename"] == "clip.mp4"
    assert attachment["size"] == len(payload)
    assert attachment["content_type"] == "video/mp4"
    assert attachment["url"].startswith(emulator.base_url + "/cdn/attachments/")
    assert await driver.download(attachment["url"]) == payload
    assert received["bot"] == payload


async def test_first_followup_after_defer_fills_the_thinking_message(emulator, driver):
    bot = make_bot()

    @bot.tree.command(description="Quiet")
    async def quiet(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.followup.send("only you see this", ephemeral=True)

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "quiet")
        state = await driver.wait_for_interaction(
            iid, lambda i: i["messages"] and i["messages"][0]["content"] == "only you see this"
        )
        channel = bot.get_channel(await channel_id(driver, "general"))
        history = [m async for m in channel.history()]
    assert len(state["messages"]) == 1
    message = state["messages"][0]
    assert message["id"] == state["original_message_id"]
    assert message["flags"] & 64 and message["visible_to"] == state["user_id"]
    # Ephemeral messages never show in the channel's REST history.
    assert history == []


async def test_button_click_reaches_the_view_and_updates_the_message(emulator, driver):
    bot = make_bot()

    class Confirm(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=60)
            self.add_item(discord.ui.Button(label="Docs", url="https://example.com"))

        @discord.ui.button(label="Yes", custom_id="confirm:yes", style=discord.ButtonStyle.green)
        async def yes(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
            button.disabled = True
            await interaction.response.edit_message(content="confirmed", view=self)

    @bot.tree.command(description="Ask")
    async def ask(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("sure?", view=Confirm())

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "ask")
        state = await driver.wait_for_interaction(iid)
        message_id = state["original_message_id"]
        click = await driver.click("alice", message_id, "confirm:yes")
        clicked = await driver.wait_for_interaction(click)
        message = await driver.message(message_id)
        # Disabled now: a second click is refused, as a Discord client would not send it.
        refused = None
        try:
            await driver.click("alice", message_id, "confirm:yes")
        except Exception as exc:
            refused = exc
    assert clicked["response_type"] == 7
    assert clicked["type"] == 3 and clicked["data"]["component_type"] == 2
    assert message["content"] == "confirmed" and message["edit_count"] == 1
    assert message["components"][0]["components"][0]["disabled"] is True
    assert getattr(refused, "status", None) == 400


async def test_dynamic_button_survives_a_bot_restart(emulator, driver):
    class Retry(discord.ui.DynamicItem[discord.ui.Button], template=r"pika:retry:(?P<job>\d+)"):
        def __init__(self, job: int) -> None:
            super().__init__(discord.ui.Button(label="Retry", custom_id=f"pika:retry:{job}"))
            self.job = job

        @classmethod
        async def from_custom_id(cls, interaction, item, match):  # type: ignore[override]
            return cls(int(match["job"]))

        async def callback(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"retrying job {self.job}")

    first = make_bot()

    @first.tree.command(description="Result")
    async def result(interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(Retry(42))
        await interaction.response.send_message("video ready", view=view)

    async with running(first, emulator.token):
        await first.tree.sync()
        iid = await driver.slash("bob", "videos", "result")
        message_id = (await driver.wait_for_interaction(iid))["original_message_id"]

    second = make_bot()
    second.add_dynamic_items(Retry)
    async with running(second, emulator.token):
        click = await driver.click("bob", message_id, "pika:retry:42")
        await driver.wait_for_message("videos", lambda m: m["content"] == "retrying job 42")
        clicked = await driver.interaction(click)
    assert clicked["response_type"] == 4
    assert clicked["messages"][0]["interaction_metadata"]["interacted_message_id"] == message_id


async def test_modal_opened_and_submitted(emulator, driver):
    bot = make_bot()

    class Prompt(discord.ui.Modal, title="Describe your video"):
        text = discord.ui.TextInput(label="Prompt", custom_id="prompt", max_length=200)
        style = discord.ui.TextInput(label="Style", custom_id="style", required=False)

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                f"making {self.text.value!r} [{self.style.value}]"
            )

    @bot.tree.command(description="Open the form")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Prompt())

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "form")
        opened = await driver.wait_for_interaction(iid)
        assert opened["response_type"] == 9
        assert opened["modal"]["title"] == "Describe your video"
        assert opened["messages"] == []
        submit = await driver.submit_modal("alice", iid, {"prompt": "a cat surfing"})
        await driver.wait_for_message(
            "general", lambda m: m["content"] == "making 'a cat surfing' []"
        )
        submitted = await driver.interaction(submit)
        refused = []
        for user, values in [("bob", {"prompt": "x"}), ("alice", {}), ("alice", {"nope": "x"})]:
            try:
                await driver.submit_modal(user, iid, values)
            except Exception as exc:
                refused.append(getattr(exc, "status", None))
    assert submitted["type"] == 5 and submitted["parent_id"] == iid
    metadata = submitted["messages"][0]["interaction_metadata"]
    assert metadata["triggering_interaction_metadata"]["id"] == iid
    assert refused == [403, 400, 400]


async def test_attachment_option_is_resolved_and_downloadable(emulator, driver):
    bot = make_bot()
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 50

    @bot.tree.command(description="Animate an image")
    async def animate(interaction: discord.Interaction, image: discord.Attachment) -> None:
        data = await image.read()
        digest = hashlib.sha256(data).hexdigest()[:16]
        await interaction.response.send_message(
            f"{image.filename} {image.content_type} {image.size} {len(data)} {digest}"
        )

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash(
            "alice", "general", "animate", attachments={"image": ("cat.png", image)}
        )
        state = await driver.wait_for_interaction(iid)
    digest = hashlib.sha256(image).hexdigest()[:16]
    expected = f"cat.png image/png {len(image)} {len(image)} {digest}"
    assert state["messages"][0]["content"] == expected
    option = state["data"]["options"][0]
    assert option["type"] == 11
    assert option["value"] in state["data"]["resolved"]["attachments"]


async def test_autocomplete_returns_the_bots_choices(emulator, driver):
    bot = make_bot()
    styles = ["anime", "analog film", "cinematic", "claymation", "watercolor"]

    async def style_choices(interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=s, value=s) for s in styles if s.startswith(current)]

    @bot.tree.command(description="Pick a style")
    @app_commands.autocomplete(style=style_choices)
    async def styled(interaction: discord.Interaction, prompt: str, style: str) -> None:
        await interaction.response.send_message(style)

    async with running(bot, emulator.token):
        await bot.tree.sync()
        choices = await driver.autocomplete(
            "alice", "general", "styled", {"prompt": "x", "style": "an"}, "style"
        )
        everything = await driver.autocomplete("alice", "general", "styled", {}, "style")
    assert [c["name"] for c in choices] == ["anime", "analog film"]
    assert len(everything) == len(styles)


async def test_bot_messages_replies_and_attachment_edits(emulator, driver):
    bot = make_bot()
    async with running(bot, emulator.token):
        channel = bot.get_channel(await channel_id(driver, "videos"))
        first = await channel.send("progress 0%", file=discord.File(io.BytesIO(b"A" * 10), "a.txt"))
        reply = await first.reply("reply")
        edited = await first.edit(
            content="progress 100%",
            attachments=[first.attachments[0], discord.File(io.BytesIO(b"B" * 20), "b.txt")],
        )
        stripped = await edited.edit(attachments=[])
        fetched = await channel.fetch_message(first.id)
        history = [m.content async for m in channel.history(limit=10)]
    assert [a.filename for a in edited.attachments] == ["a.txt", "b.txt"]
    assert stripped.attachments == [] and fetched.content == "progress 100%"
    assert reply.reference is not None and reply.reference.message_id == first.id
    assert history == ["reply", "progress 100%"]
    messages = await driver.messages("videos")
    assert messages[0]["edit_count"] == 2 and messages[1]["type"] == 19
    assert [a["filename"] for a in messages[0]["edits"][1]["attachments"]] == ["a.txt", "b.txt"]


async def test_message_events_reach_the_bot(emulator, driver):
    bot = make_bot()
    seen: asyncio.Queue[discord.Message] = asyncio.Queue()

    @bot.event
    async def on_message(message: discord.Message) -> None:
        await seen.put(message)

    async with running(bot, emulator.token):
        await driver.say("alice", "general", "hello bot")
        message = await asyncio.wait_for(seen.get(), 5)
    assert message.author.name == "alice" and message.channel.name == "general"


async def test_embed_images_point_at_uploaded_files(emulator, driver):
    bot = make_bot()
    async with running(bot, emulator.token):
        channel = bot.get_channel(await channel_id(driver, "videos"))
        embed = discord.Embed(title="Result").set_image(url="attachment://frame.png")
        sent = await channel.send(embed=embed, file=discord.File(io.BytesIO(b"png"), "frame.png"))
    image_url = sent.embeds[0].image.url
    assert image_url == sent.attachments[0].url
    assert await driver.download(image_url) == b"png"


async def test_components_defer_update_select_and_modal_from_a_button(emulator, driver):
    bot = make_bot()

    class Rename(discord.ui.Modal, title="Rename"):
        name = discord.ui.TextInput(label="New name", custom_id="name")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.edit_message(content=f"renamed to {self.name.value}")

    class Panel(discord.ui.View):
        @discord.ui.button(label="Refresh", custom_id="panel:refresh")
        async def refresh(self, interaction: discord.Interaction, button: discord.ui.Button):
            await interaction.response.defer()
            await interaction.edit_original_response(content="refreshed")

        @discord.ui.button(label="Rename", custom_id="panel:rename")
        async def rename(self, interaction: discord.Interaction, button: discord.ui.Button):
            await interaction.response.send_modal(Rename())

        @discord.ui.select(
            custom_id="panel:speed",
            options=[discord.SelectOption(label=s, value=s) for s in ("slow", "fast")],
        )
        async def speed(self, interaction: discord.Interaction, select: discord.ui.Select):
            await interaction.response.send_message(f"speed {select.values[0]}", ephemeral=True)

    @bot.tree.command(description="Panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("panel", view=Panel(timeout=60))

    async with running(bot, emulator.token):
        await bot.tree.sync()
        iid = await driver.slash("alice", "general", "panel")
        message_id = (await driver.wait_for_interaction(iid))["original_message_id"]
        refresh = await driver.wait_for_interaction(
            await driver.click("alice", message_id, "panel:refresh"),
            lambda i: i["messages"] and i["messages"][0]["content"] == "refreshed",
        )
        rename = await driver.wait_for_interaction(
            await driver.click("alice", message_id, "panel:rename")
        )
        submitted = await driver.wait_for_interaction(
            await driver.submit_modal("alice", rename["id"], {"name": "Cats"})
        )
        picked = await driver.wait_for_interaction(
            await driver.click("alice", message_id, "panel:speed", values=["fast"])
        )
        message = await driver.message(message_id)
    assert refresh["response_type"] == 6 and refresh["original_message_id"] == message_id
    assert rename["response_type"] == 9 and rename["source_message_id"] == message_id
    assert submitted["response_type"] == 7
    assert message["content"] == "renamed to Cats"
    assert [e["content"] for e in message["edits"]] == ["panel", "refreshed"]
    assert picked["data"]["values"] == ["fast"]
    assert picked["messages"][0]["content"] == "speed fast"


async def test_components_v2_layout_is_accepted_and_clickable(emulator, driver):
    bot = make_bot()
    clicked = asyncio.Event()

    class Card(discord.ui.LayoutView):
        container = discord.ui.Container(discord.ui.TextDisplay("Video ready"))
        row = discord.ui.ActionRow()

        @row.button(label="Again", custom_id="card:again")
        async def again(self, interaction: discord.Interaction, button: discord.ui.Button):
            clicked.set()
            await interaction.response.defer()

    @bot.tree.command(description="Card")
    async def card(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(view=Card(timeout=60))

    async with running(bot, emulator.token):
        await bot.tree.sync()
        state = await driver.wait_for_interaction(await driver.slash("bob", "videos", "card"))
        message = state["messages"][0]
        await driver.click("bob", message["id"], "card:again")
        await asyncio.wait_for(clicked.wait(), 5)
    assert message["flags"] & (1 << 15)
    assert [c["type"] for c in message["components"]] == [17, 1]
