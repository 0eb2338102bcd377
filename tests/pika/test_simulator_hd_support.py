"""Helpers for the pikadev and fal simulator tests: real uploads, clients, a webhook receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
from aiohttp import web

from bot.pika.simulator import Simulator
from bot.pika.simulator.video import RenderSpec, render
from tests.pika.test_simulator_support import KEY

DEV_AUTH = {"X-API-KEY": KEY}
FAL_AUTH = {"Authorization": f"Key {KEY}"}
Upload = tuple[str, bytes, str]
"""(filename, bytes, content type) of one file part."""


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def image(width: int, height: int, codec: str = "png") -> bytes:
    """Encode a real PNG (``png``) or JPEG (``mjpeg``) of the given size."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, :, 0] = np.linspace(0, 255, width, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
    context = av.CodecContext.create(codec, "w")
    context.width, context.height = width, height
    context.pix_fmt = "rgb24" if codec == "png" else "yuvj420p"
    context.time_base = Fraction(1, 25)
    packets = context.encode(frame.reformat(format=context.pix_fmt))
    packets += context.encode(None)
    return b"".join(bytes(packet) for packet in packets)


def mp4(tmp_path: Path, width: int = 320, height: int = 180, seconds: float = 2.0) -> bytes:
    """Render a small real H.264 MP4 to upload as a source video."""
    result = render(
        RenderSpec(width, height, 8.0, seconds, f"source {width}x{height}", 1), tmp_path
    )
    return result.video.read_bytes()


def png_upload(width: int = 1280, height: int = 720, name: str = "frame.png") -> Upload:
    return (name, image(width, height), "image/png")


def form(fields: dict[str, str] | None = None, **files: Upload | list[Upload]) -> aiohttp.FormData:
    """Build a multipart body: text ``fields`` and file parts (a list repeats the name)."""
    # Multipart even when only text fields are given, as media endpoints must be sent.
    data = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    for name, value in (fields or {}).items():
        data.add_field(name, value)
    for name, uploads in files.items():
        for filename, content, content_type in uploads if isinstance(uploads, list) else [uploads]:
            data.add_field(name, content, filename=filename, content_type=content_type)
    return data


async def dev_post(
    session: aiohttp.ClientSession,
    sim: Simulator,
    path: str,
    data: Any,
    *,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    async with session.post(
        sim.pikadev_base + path, data=data, headers=DEV_AUTH if headers is None else headers
    ) as response:
        return response.status, await response.json()


async def dev_submit(session: aiohttp.ClientSession, sim: Simulator, path: str, data: Any) -> str:
    status, answer = await dev_post(session, sim, path, data)
    assert status == 200, answer
    assert list(answer) == ["video_id"]
    return answer["video_id"]


async def dev_wait(
    session: aiohttp.ClientSession,
    sim: Simulator,
    video_id: str,
    *,
    deadline: float = 30.0,
    seen: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Poll ``GET /videos/{id}`` until it is finished or failed."""
    stop = time.monotonic() + deadline
    while True:
        async with session.get(f"{sim.pikadev_base}/videos/{video_id}", headers=DEV_AUTH) as reply:
            assert reply.status == 200, await reply.text()
            answer = await reply.json()
        if seen is not None:
            seen.append(answer)
        if answer["status"] in ("finished", "failed"):
            return answer
        assert time.monotonic() < stop, f"not done within {deadline}s: {answer}"
        await asyncio.sleep(0.03)


async def fal_submit(
    session: aiohttp.ClientSession,
    sim: Simulator,
    model: str,
    body: Any,
    *,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    async with session.post(
        f"{sim.fal_base}/fal-ai/pika/{model}", json=body, params=params, headers=FAL_AUTH
    ) as response:
        answer = await response.json()
        assert response.status == 200, answer
        assert response.headers["x-fal-request-id"] == answer["request_id"]
    return answer


async def fal_status(
    session: aiohttp.ClientSession, submitted: dict[str, Any], *, logs: bool = False
) -> tuple[int, dict[str, Any]]:
    url = submitted["status_url"] + ("?logs=1" if logs else "")
    async with session.get(url, headers=FAL_AUTH) as response:
        return response.status, await response.json()


async def fal_wait(
    session: aiohttp.ClientSession,
    submitted: dict[str, Any],
    *,
    deadline: float = 30.0,
    seen: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Poll the status URL until COMPLETED (HTTP 200)."""
    stop = time.monotonic() + deadline
    while True:
        status, answer = await fal_status(session, submitted)
        if seen is not None:
            seen.append(answer)
        if answer["status"] == "COMPLETED":
            assert status == 200
            return answer
        assert status == 202, answer
        assert time.monotonic() < stop, f"not completed within {deadline}s: {answer}"
        await asyncio.sleep(0.03)


async def fal_result(
    session: aiohttp.ClientSession, submitted: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with session.get(submitted["response_url"], headers=FAL_AUTH) as response:
        return response.status, await response.json()


@dataclass
class Received:
    """One POST the webhook receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Receiver]:
    """Serve ``POST /hook`` on loopback, keeping every push's headers and raw body."""
    receiver = Receiver(url="")

    async def hook(request: web.Request) -> web.Response:
        receiver.received.append(Received(dict(request.headers), await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()


async def until(condition: Callable[[], bool], deadline: float = 15.0) -> None:
    """Wait until ``condition()`` holds, failing after ``deadline`` seconds."""
    stop = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < stop, f"condition not met within {deadline}s"
        await asyncio.sleep(0.01)
