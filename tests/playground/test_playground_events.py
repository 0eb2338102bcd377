"""The emulator's push channel and page: what a page learns, and when, without polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import yarl

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import Emulator

BOT = {"Authorization": "Bot emulator-bot-token"}


class EventStream:
    """A reader of ``GET /_emulator/events``, one parsed event at a time."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def next(self, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
        async def read() -> tuple[str, dict[str, Any]]:
            name, data = "message", ""
            while True:
                raw = await self._response.content.readline()
                if not raw:
                    raise EOFError("the stream ended")
                line = raw.decode().rstrip("\n")
                if line.startswith(":"):
                    continue
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data += line.removeprefix("data: ")
                elif line == "" and data:
                    return name, json.loads(data)

        return await asyncio.wait_for(read(), timeout)

    async def until(self, name: str, timeout: float = 5.0) -> dict[str, Any]:
        """Skip to the next event called ``name``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            event, data = await self.next(max(left, 0.01))
            if event == name:
                return data


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig()) as emu:
        yield emu


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def subscribe(http: aiohttp.ClientSession, emulator: Emulator) -> EventStream:
    response = await http.get(emulator.base_url + "/_emulator/events")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/event-stream"
    stream = EventStream(response)
    assert (await stream.next())[0] == "hello"
    return stream


async def channel_id(http: aiohttp.ClientSession, emulator: Emulator, name: str) -> str:
    async with http.get(emulator.base_url + "/_emulator/world") as response:
        world = await response.json()
    return next(c["id"] for c in world["guilds"][0]["channels"] if c["name"] == name)


async def test_the_page_learns_of_every_create_edit_and_delete(emulator, http) -> None:
    stream = await subscribe(http, emulator)
    general = await channel_id(http, emulator, "general")
    api = emulator.api_base

    async with http.post(
        emulator.control_url + "/messages",
        json={"user": "alice", "channel": "general", "content": "hello **bot**"},
    ) as response:
        assert response.status == 200
    created = await stream.until("message_create")
    assert created["content"] == "hello **bot**"
    assert created["author"]["username"] == "alice"

    async with http.post(
        f"{api}/channels/{general}/messages", json={"content": "0%"}, headers=BOT
    ) as response:
        posted = await response.json()
    assert (await stream.until("message_create"))["id"] == posted["id"]

    for count, percent in enumerate((40, 100), start=1):
        async with http.patch(
            f"{api}/channels/{general}/messages/{posted['id']}",
            json={"content": f"{percent}%"},
            headers=BOT,
        ) as response:
            assert response.status == 200
        updated = await stream.until("message_update")
        assert updated["id"] == posted["id"]
        assert updated["content"] == f"{percent}%"
        assert updated["edited_timestamp"] is not None
        assert updated["edit_count"] == count
        assert "edits" not in updated  # the history would grow every event

    async with http.delete(
        f"{api}/channels/{general}/messages/{posted['id']}", headers=BOT
    ) as response:
        assert response.status == 204
    deleted = await stream.until("message_delete")
    assert deleted == {"id": posted["id"], "channel_id": general}


async def test_commands_and_world_changes_are_announced(emulator, http) -> None:
    stream = await subscribe(http, emulator)
    application = emulator.describe()["application_id"]
    async with http.put(
        f"{emulator.api_base}/applications/{application}/commands",
        json=[{"name": "ping", "description": "Pong", "type": 1}],
        headers=BOT,
    ) as response:
        assert response.status == 200
    assert await stream.until("commands") == {}
    async with http.post(
        emulator.control_url + "/world/members", json={"user": "alice", "add_roles": ["Supporter"]}
    ) as response:
        assert response.status == 200
    assert await stream.until("world") == {}


async def test_a_reset_removes_what_the_page_shows(emulator, http) -> None:
    stream = await subscribe(http, emulator)
    async with http.post(
        emulator.control_url + "/messages",
        json={"user": "bob", "channel": "videos", "content": "hi"},
    ) as response:
        message = await response.json()
    await stream.until("message_create")
    async with http.post(emulator.control_url + "/reset", json={}) as response:
        assert response.status == 200
    assert (await stream.until("message_delete"))["id"] == message["id"]


async def test_the_page_and_its_scripts_are_served_without_a_token(emulator, http) -> None:
    async with http.get(emulator.base_url + "/") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        page = await response.text()
    assert '<script type="module" src="/playground/app.js">' in page
    for name, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        async with http.get(f"{emulator.base_url}/playground/{name}") as response:
            assert response.status == 200, name
            assert kind in response.content_type
    outside = yarl.URL(emulator.base_url + "/playground/%2e%2e/__init__.py", encoded=True)
    async with http.get(outside) as response:
        assert response.status in (403, 404)
        assert "A Discord-compatible" not in await response.text()
    # Discord's API still wants its token.
    async with http.get(f"{emulator.api_base}/users/@me") as response:
        assert response.status == 401


async def test_stopping_the_emulator_ends_open_streams(http) -> None:
    emulator = Emulator(EmulatorConfig())
    await emulator.start()
    stream = await subscribe(http, emulator)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.wait_for(emulator.stop(), 5)
    assert loop.time() - began < 1.0, "an open page held the server up"
    with pytest.raises((EOFError, aiohttp.ClientPayloadError)):
        await stream.next(timeout=2)


async def test_nobody_listening_costs_nothing_and_misses_nothing_later(emulator, http) -> None:
    async with http.post(
        emulator.control_url + "/messages",
        json={"user": "alice", "channel": "general", "content": "before anyone listened"},
    ) as response:
        assert response.status == 200
    stream = await subscribe(http, emulator)
    async with http.post(
        emulator.control_url + "/messages",
        json={"user": "alice", "channel": "general", "content": "after"},
    ) as response:
        assert response.status == 200
    created = await stream.until("message_create")
    # Only what changed since the page subscribed; the rest it loads itself after "hello".
    assert created["content"] == "after"
