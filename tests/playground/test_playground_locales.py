"""A member's language: the switcher sets their client locale, commands show translated.

Only the emulator runs here: the commands are synced through Discord's REST API with the
``*_localizations`` a discord.py ``Translator`` produces, as a plain client would sync them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import expect

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import Emulator
from tests.playground.browser import act_as, chromium, open_page, shot

BOT = {"Authorization": "Bot emulator-bot-token"}
COMMANDS = [
    {
        "type": 1,
        "name": "imagine",
        "name_localizations": {"zh-CN": "想象"},
        "description": "Make a picture",
        "description_localizations": {"zh-CN": "生成一张图片"},
        "integration_types": [0, 1],
        "contexts": [0, 1, 2],
        "options": [
            {
                "type": 3,
                "name": "prompt",
                "name_localizations": {"zh-CN": "提示词"},
                "description": "What to draw",
                "description_localizations": {"zh-CN": "要画什么"},
                "required": True,
            }
        ],
    }
]


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig()) as emu:
        yield emu


async def test_locale_switcher_shows_commands_in_the_members_language(emulator, tmp_path):
    app_id = emulator.describe()["application_id"]
    async with aiohttp.ClientSession() as http:
        url = f"{emulator.api_base}/applications/{app_id}/commands"
        async with http.put(url, json=COMMANDS, headers=BOT) as response:
            assert response.status == 200, await response.text()
        async with chromium(tmp_path / "profile") as context:
            page = await context.new_page()
            await open_page(page, emulator.base_url + "/?as=alice")
            await act_as(page, "alice")
            switch = page.locator("#locale-switch")
            await expect(switch).to_have_value("en-US")
            await page.click("#composer-input")
            await page.keyboard.type("/")
            item = page.locator(".command-item[data-command='imagine']")
            await expect(item.locator(".command-item-name")).to_have_text("/imagine")
            await switch.select_option("zh-CN")
            await page.fill("#composer-input", "")
            await page.keyboard.type("/")
            await expect(item.locator(".command-item-name")).to_have_text("/想象")
            await expect(item.locator(".command-item-desc")).to_have_text("生成一张图片")
            await item.click()
            form = page.locator("form.command-form[data-command='imagine']")
            await expect(form.locator(".command-title")).to_have_text("/想象")
            field = form.locator("[data-option='prompt']")
            await expect(field.locator(".field-label")).to_contain_text("提示词")
            await expect(field.locator(".field-desc")).to_have_text("要画什么")
            await shot(page, "locale-zh-CN")
            async with http.get(emulator.control_url + "/world") as response:
                world = await response.json()
            # Another member keeps their own language.
            await page.keyboard.press("Escape")
            await act_as(page, "bob")
            await expect(switch).to_have_value("en-US")
            await page.fill("#composer-input", "")
            await page.keyboard.type("/")
            await expect(item.locator(".command-item-name")).to_have_text("/imagine")
    locales = {u["username"]: u["locale"] for u in world["users"]}
    assert locales["alice"] == "zh-CN" and locales["bob"] == "en-US"
