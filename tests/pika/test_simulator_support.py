"""Helpers shared by the simulator tests: request bodies, bounded polling and video decoding."""

from __future__ import annotations

import asyncio
import copy
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import av

KEY = "sim-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

# The reference's examples (webbot "Example Request Body v1.0", feed request body).
WEBBOT_V1_0: dict[str, Any] = {
    "promptText": "robed villain lurking the streets",
    "image": "https://example.image/1234-a186-53c4c6171ab5/image.jpg",
    "options": {
        "aspectRatio": "16:9",
        "frameRate": 24,
        "camera": {"rotate": None, "zoom": None, "tilt": None, "pan": None},
        "parameters": {"guidanceScale": 12, "motion": 1, "negativePrompt": "", "seed": None},
        "extend": False,
    },
}
FEED_EXAMPLE: dict[str, Any] = {
    "pikaffect": "",
    "promptText": "moving",
    "model": "1.5",
    "options": {
        "aspectRatio": 1.7777777777777777,
        "frameRate": 24,
        "camera": {},
        "parameters": {"guidanceScale": 12, "motion": 1, "negativePrompt": ""},
        "extend": False,
    },
    "image": "",
}


def webbot_body(
    prompt: str = "a red fox in the snow",
    *,
    ratio: str | None = "16:9",
    fps: int = 24,
    seed: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Return a valid webbot generate body, with ``fields`` added or replaced."""
    body = copy.deepcopy(WEBBOT_V1_0)
    del body["image"]
    body["promptText"] = prompt
    options = body["options"]
    options["frameRate"] = fps
    options["parameters"]["seed"] = seed
    if ratio is None:
        del options["aspectRatio"]
    else:
        options["aspectRatio"] = ratio
    body.update(fields)
    return body


def feed_body(prompt: str = "moving", **fields: Any) -> dict[str, Any]:
    """Return a copy of the feed example body, with ``fields`` added or replaced."""
    body = copy.deepcopy(FEED_EXAMPLE)
    body["promptText"] = prompt
    body.update(fields)
    return body


async def poll(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    until: Callable[[dict[str, Any]], bool],
    json: Any = None,
    headers: dict[str, str] | None = None,
    deadline: float = 15.0,
    seen: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Read ``url`` until ``until(answer)`` holds; fail after ``deadline`` seconds."""
    stop = time.monotonic() + deadline
    while True:
        async with session.request(method, url, json=json, headers=headers or AUTH) as response:
            assert response.status == 200, await response.text()
            answer = await response.json()
        if seen is not None:
            seen.append(answer)
        if until(answer):
            return answer
        assert time.monotonic() < stop, f"condition not met within {deadline}s; last: {answer}"
        await asyncio.sleep(0.02)


def webbot_done(answer: dict[str, Any]) -> bool:
    return answer["videos"][0]["status"] in ("finished", "failed", "error")


def feed_done(answer: dict[str, Any]) -> bool:
    return answer["videos"][0]["status"] in ("finished", "error")


async def wait_for(condition: Callable[[], bool], deadline: float = 10.0) -> None:
    """Wait until ``condition()`` holds, failing after ``deadline`` seconds."""
    stop = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < stop, f"condition not met within {deadline}s"
        await asyncio.sleep(0.01)


@dataclass(frozen=True)
class Decoded:
    """What decoding an MP4 found."""

    codec: str
    pix_fmt: str
    width: int
    height: int
    fps: float
    frames: int
    seconds: float
    planes: tuple[bytes, ...]
    """The luma plane of the first and middle frames, to compare pictures."""


def decode(data: bytes) -> Decoded:
    """Decode every frame of an MP4 held in memory."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        fps = float(stream.average_rate)
        codec = stream.codec_context.name
        pix_fmt = stream.codec_context.pix_fmt
        seconds = container.duration / av.time_base if container.duration else 0.0
    picks = (frames[0], frames[len(frames) // 2])
    planes = tuple(frame.to_ndarray(format="gray").tobytes() for frame in picks)
    return Decoded(
        codec, pix_fmt, frames[0].width, frames[0].height, fps, len(frames), seconds, planes
    )


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Decode a JPEG and return its width and height."""
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", "not a JPEG"
    with av.open(io.BytesIO(data), format="jpeg_pipe") as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


async def download(
    session: aiohttp.ClientSession, url: str
) -> tuple[bytes, aiohttp.ClientResponse]:
    """Fetch ``url`` (no key: result files are public, like a CDN's)."""
    async with session.get(url) as response:
        assert response.status == 200, f"{url}: {response.status}"
        return await response.read(), response
