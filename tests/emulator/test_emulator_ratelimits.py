"""Rate limits: Discord's headers and buckets, 429s discord.py waits out, injected faults."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.emulator.config import EmulatorConfig, RateLimitRule
from tests.emulator.conftest import channel_id, make_bot, running


async def test_injected_429_is_waited_out_and_retried(emulator, driver):
    bot = make_bot()
    async with running(bot, emulator.token):
        channel = bot.get_channel(await channel_id(driver, "general"))
        before = (await driver.requests())[-1]["seq"]
        await driver.fault("POST /channels/{channel_id}/messages", 429, retry_after=0.2)
        loop = asyncio.get_running_loop()
        started = loop.time()
        sent = await channel.send("after a 429")
        waited = loop.time() - started
        log = await driver.requests(since=before, route="POST /channels/{channel_id}/messages")
    assert sent.content == "after a 429"
    assert [r["status"] for r in log] == [429, 200]
    assert waited >= 0.2


async def test_injected_500_is_retried_by_discord_py(emulator, driver):
    bot = make_bot()
    async with running(bot, emulator.token):
        channel = bot.get_channel(await channel_id(driver, "general"))
        await driver.fault("PATCH /channels/{channel_id}/messages/{message_id}", 500)
        message = await channel.send("v1")
        edited = await message.edit(content="v2")
        log = await driver.requests(route="PATCH /channels/")
    assert edited.content == "v2"
    assert [r["status"] for r in log] == [500, 200]


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    config = EmulatorConfig()
    config.rate_limits = [
        RateLimitRule("message-create", "POST", "/channels/{channel_id}/messages", 3, 1.5)
    ]
    return config


async def test_buckets_limit_a_burst_but_not_a_well_behaved_bot(emulator, driver):
    cid = await channel_id(driver, "general")
    url = f"{emulator.api_base}/channels/{cid}/messages"
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as http:
        answers = []
        for i in range(4):
            async with http.post(url, json={"content": f"burst {i}"}, headers=headers) as resp:
                answers.append((resp.status, dict(resp.headers), await resp.json()))
        async with http.get(f"{emulator.api_base}/nowhere", headers=headers) as resp:
            missing = (resp.status, resp.headers["Content-Type"], await resp.json())
    statuses = [a[0] for a in answers]
    assert statuses == [200, 200, 200, 429]
    assert [a[1]["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a[1]["Content-Type"] == "application/json" for a in answers)
    assert len({a[1]["X-RateLimit-Bucket"] for a in answers}) == 1
    limited_headers, limited_body = answers[3][1], answers[3][2]
    assert limited_headers["Via"] == "1.1 google"
    assert limited_headers["X-RateLimit-Scope"] == "user"
    assert limited_body["message"] == "You are being rate limited."
    assert 0 < limited_body["retry_after"] <= 1.5 and limited_body["global"] is False
    assert missing == (404, "application/json", {"message": "404: Not Found", "code": 0})

    # The burst left #general's bucket empty; a polite bot starts on another channel's bucket.
    bot = make_bot()
    async with running(bot, emulator.token):
        channel = bot.get_channel(await channel_id(driver, "videos"))
        since = (await driver.requests())[-1]["seq"]
        sent = await asyncio.gather(*(channel.send(f"polite {i}") for i in range(7)))
        log = await driver.requests(since=since, route="POST /channels/{channel_id}/messages")
    assert len(sent) == 7
    assert [r["status"] for r in log] == [200] * 7
