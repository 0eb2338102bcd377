"""The page draws what Discord would: markdown, embeds, files, buttons, edits and deletions.

Only the emulator runs here (no bot): the test posts as the bot through Discord's REST API,
as any bot would, and looks at the page in Chromium.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import expect

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import Emulator
from bot.pika.simulator.video import RenderSpec, render
from tests.playground.browser import PHONE, chromium, open_page, shot

BOT = {"Authorization": "Bot emulator-bot-token"}


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig()) as emu:
        yield emu


async def world_ids(http: aiohttp.ClientSession, emulator: Emulator) -> dict[str, str]:
    async with http.get(emulator.control_url + "/world") as response:
        world = await response.json()
    ids = {u["username"]: u["id"] for u in world["users"]}
    ids.update({"#" + c["name"]: c["id"] for c in world["guilds"][0]["channels"]})
    return ids


async def post_as_bot(
    http: aiohttp.ClientSession,
    emulator: Emulator,
    channel: str,
    payload: dict,
    files: dict[str, tuple[bytes, str]] | None = None,
) -> dict:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    for index, (name, (data, kind)) in enumerate((files or {}).items()):
        form.add_field(f"files[{index}]", data, filename=name, content_type=kind)
    async with http.post(
        f"{emulator.api_base}/channels/{channel}/messages", data=form, headers=BOT
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def media(directory: Path) -> tuple[bytes, bytes]:
    made = render(
        RenderSpec(width=192, height=108, fps=12, seconds=1.0, content="render", seed=3),
        directory / "media",
    )
    return made.poster.read_bytes(), made.video.read_bytes()


async def test_the_page_draws_messages_as_discord_does(emulator, tmp_path) -> None:
    picture, clip = media(tmp_path)
    async with aiohttp.ClientSession() as http, chromium(tmp_path / "profile") as context:
        ids = await world_ids(http, emulator)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await open_page(page, emulator.base_url + "/?as=alice")
        await expect(page.locator(".channel-start h2")).to_have_text("Welcome to #general!")

        # -- a member writes markdown from the composer -------------------------------------
        in_two_hours = int(time.time()) + 2 * 3600
        text = (
            f"**bold** and [the docs](https://example.com/docs) for <@{ids['bob']}> "
            f"<t:{in_two_hours}:R>\n>>> quoted\nstill quoted"
        )
        await page.fill("#composer-input", text)
        await page.press("#composer-input", "Enter")
        mine = page.locator("article.message[data-author='alice']")
        await expect(mine).to_have_count(1)
        content = mine.locator(".message-content")
        await expect(content.locator("strong")).to_have_text("bold")
        await expect(content.locator("a")).to_have_attribute("href", "https://example.com/docs")
        await expect(content.locator("a")).to_have_text("the docs")
        await expect(content.locator(".mention")).to_have_text("@Bob")
        await expect(content.locator("time.ts")).to_have_text("in 2 hours")
        assert await content.locator("blockquote").inner_text() == "quoted\nstill quoted"
        await expect(mine.locator(".author-name")).to_have_text("Alice")
        await expect(mine.locator(".avatar")).to_have_text("A")
        await expect(page.locator("#composer-input")).to_have_value("")

        # -- the bot posts an embed, an image, a video and every kind of button -------------
        embed = {
            "title": "A title",
            "url": "https://example.com/title",
            "description": "The **description**",
            "color": 0x57F287,
            "fields": [
                {"name": "Inline one", "value": "1", "inline": True},
                {"name": "Inline two", "value": "2", "inline": True},
                {"name": "Wide", "value": "a whole row", "inline": False},
            ],
            "thumbnail": {"url": "attachment://picture.jpg"},
            "footer": {"text": "A footer"},
        }
        buttons = [
            {"type": 2, "style": 1, "label": "Primary", "custom_id": "p"},
            {"type": 2, "style": 2, "label": "Secondary", "custom_id": "s"},
            {"type": 2, "style": 3, "label": "Success", "custom_id": "g"},
            {"type": 2, "style": 4, "label": "Danger", "custom_id": "d", "disabled": True},
            {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com/"},
        ]
        posted = await post_as_bot(
            http,
            emulator,
            ids["#general"],
            {
                "content": "Here it is",
                "embeds": [embed],
                "components": [{"type": 1, "components": buttons}],
            },
            {
                "picture.jpg": (picture, "image/jpeg"),
                "photo.jpg": (picture, "image/jpeg"),
                "clip.mp4": (clip, "video/mp4"),
            },
        )
        message = page.locator(f"article.message[data-message-id='{posted['id']}']")
        await expect(message).to_have_count(1)
        await expect(message.locator(".bot-tag")).to_have_text("APP")
        card = message.locator(".embed")
        border = await card.evaluate("(e) => getComputedStyle(e).borderLeftColor")
        assert border == "rgb(87, 242, 135)"
        await expect(card.locator("a.embed-title")).to_have_attribute(
            "href", "https://example.com/title"
        )
        await expect(card.locator(".embed-description strong")).to_have_text("description")
        await expect(card.locator(".embed-field.inline")).to_have_count(2)
        await expect(card.locator(".embed-field:not(.inline) .embed-field-value")).to_have_text(
            "a whole row"
        )
        await expect(card.locator(".embed-footer")).to_have_text("A footer")
        thumbnail = await card.locator(".embed-thumbnail").element_handle()
        await page.wait_for_function("(i) => i.complete && i.naturalWidth > 0", arg=thumbnail)
        # The picture the embed shows is not listed again among the files, as on Discord.
        photo = message.locator(".attachment img")
        await expect(photo).to_have_attribute("alt", "photo.jpg")
        handle = await photo.element_handle()
        await page.wait_for_function("(i) => i.complete && i.naturalWidth > 0", arg=handle)
        video = await message.locator(".attachment video").element_handle()
        await page.wait_for_function("(v) => v.readyState >= 2", arg=video, timeout=10_000)
        styles = {
            await b.locator(".label").inner_text(): await b.get_attribute("class")
            for b in await message.locator(".dc-button").all()
        }
        assert styles == {
            "Primary": "dc-button primary",
            "Secondary": "dc-button secondary",
            "Success": "dc-button success",
            "Danger": "dc-button danger",
            "Docs": "dc-button link",
        }, styles
        await expect(message.locator(".dc-button.danger")).to_be_disabled()
        await expect(message.locator("a.dc-button.link")).to_have_attribute(
            "href", "https://example.com/"
        )
        await expect(message.locator(".edited")).to_have_count(0)
        await shot(page, "render-message")

        # -- an edit shows live, marked "(edited)", without reloading the video ------------
        await video.evaluate("(v) => { v.dataset.mark = 'same element'; }")
        async with http.patch(
            f"{emulator.api_base}/channels/{ids['#general']}/messages/{posted['id']}",
            json={"content": "Here it is, **edited**"},
            headers=BOT,
        ) as response:
            assert response.status == 200
        await expect(message.locator(".message-content strong")).to_have_text("edited")
        await expect(message.locator(".message-content .edited")).to_have_text("(edited)")
        mark = await message.locator(".attachment video").get_attribute("data-mark")
        assert mark == "same element"

        # -- a select sends the picked value (no bot here, so the emulator says so) ---------
        menu = await post_as_bot(
            http,
            emulator,
            ids["#general"],
            {
                "content": "Pick one",
                "components": [
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 3,
                                "custom_id": "flavour",
                                "placeholder": "A flavour",
                                "options": [
                                    {"label": "Vanilla", "value": "v"},
                                    {"label": "Mint", "value": "m"},
                                ],
                            }
                        ],
                    }
                ],
            },
        )
        picker = page.locator(f"article[data-message-id='{menu['id']}']")
        await picker.locator("select.dc-select").select_option(label="Mint")
        # The values were valid (else 400); only the missing bot stopped the interaction.
        await expect(picker.locator(".interaction-status")).to_have_text(
            "no bot is connected to the gateway"
        )

        # -- a Components V2 layout --------------------------------------------------------
        layout = await post_as_bot(
            http,
            emulator,
            ids["#general"],
            {
                "flags": 1 << 15,
                "components": [
                    {
                        "type": 17,
                        "accent_color": 0x5865F2,
                        "components": [{"type": 10, "content": "## Layout\nwith **text**"}],
                    }
                ],
            },
        )
        container = page.locator(f"article[data-message-id='{layout['id']}'] .v2-container")
        await expect(container.locator("strong")).to_have_text("text")

        # -- a deletion removes it ---------------------------------------------------------
        async with http.delete(
            f"{emulator.api_base}/channels/{ids['#general']}/messages/{posted['id']}",
            headers=BOT,
        ) as response:
            assert response.status == 204
        await expect(message).to_have_count(0)

        # -- the other channel is its own ---------------------------------------------------
        await page.click("button.channel[data-channel='videos']")
        await expect(page.locator("#channel-title")).to_have_text("videos")
        await expect(page.locator("article.message")).to_have_count(0)
        await page.set_viewport_size(PHONE)
        await page.click("#toggle-sidebar")
        await page.click("button.channel[data-channel='general']")
        await expect(page.locator("article.message")).to_have_count(3)
        assert not errors, errors
