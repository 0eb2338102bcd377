"""The simulator refuses what the real services refuse: bad keys, invalid bodies, unknown ids."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.pika.simulator import Simulator, SimulatorConfig
from tests.pika.test_simulator_support import (
    AUTH,
    FEED_EXAMPLE,
    KEY,
    feed_body,
    poll,
    webbot_body,
    webbot_done,
)

Body = dict[str, Any]


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimulatorConfig(job_seconds=0.1, api_key=KEY)) as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}, {"X-Api-Key": KEY}],
    ids=["none", "wrong-key", "no-scheme", "other-header"],
)
async def test_api_routes_need_the_bearer_key(
    sim: Simulator, session: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    for method, url in (
        ("POST", f"{sim.feed_base}/pika/generate"),
        ("POST", f"{sim.webbot_base}/generate"),
        ("GET", f"{sim.webbot_base}/jobs/some-id"),
    ):
        async with session.request(method, url, json=FEED_EXAMPLE, headers=headers) as response:
            assert response.status == 401
            answer = await response.json()
        assert answer["error"] == "unauthorized"
        assert "Bearer" in answer["message"]
    assert len(sim.jobs) == 0


async def test_the_right_key_is_accepted_and_files_need_none(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{sim.webbot_base}/generate", json=webbot_body(fps=2), headers=AUTH
    ) as response:
        assert response.status == 200
        job_id = (await response.json())["job"]["id"]
    done = await poll(session, "GET", f"{sim.webbot_base}/jobs/{job_id}", until=webbot_done)
    async with session.get(done["videos"][0]["resultUrl"]) as response:
        assert response.status == 200


def _without(path: str) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        del target[last]

    return change


def _set(path: str, value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        *parents, last = path.split(".")
        target = body
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _update(**fields: Any) -> Callable[[Body], None]:
    return lambda body: body.update(fields)


VIDEO = "https://cdn.example/v1/abc/clip.mp4"
WEBBOT_GENERATE_CASES = [
    ("missing-options", _without("options"), "options is required"),
    ("frame-rate-0", _set("options.frameRate", 0), "options.frameRate must be between 1 and 24"),
    ("frame-rate-25", _set("options.frameRate", 25), "options.frameRate must be between 1 and 24"),
    ("frame-rate-text", _set("options.frameRate", "24"), "options.frameRate must be a number"),
    ("no-frame-rate", _without("options.frameRate"), "options.frameRate is required"),
    ("motion-5", _set("options.parameters.motion", 5), "motion must be between 1 and 4"),
    ("motion-0", _set("options.parameters.motion", 0), "motion must be between 1 and 4"),
    ("no-motion", _without("options.parameters.motion"), "motion is required"),
    ("guidance-4", _set("options.parameters.guidanceScale", 4), "between 5 and 25"),
    ("guidance-26", _set("options.parameters.guidanceScale", 26), "between 5 and 25"),
    ("no-parameters", _without("options.parameters"), "options.parameters is required"),
    ("ratio-2:1", _set("options.aspectRatio", "2:1"), "options.aspectRatio must be one of"),
    ("ratio-number", _set("options.aspectRatio", 1.7777), "options.aspectRatio must be one of"),
    ("camera-zoom", _set("options.camera.zoom", "sideways"), "options.camera.zoom must be"),
    ("seed-text", _set("options.parameters.seed", "7"), "seed must be a non-negative integer"),
    ("model", _update(model="3.0"), "model must be one of"),
    ("pikaffect-on-1.0", _update(pikaffect="Peel"), "pikaffect needs model 1.5"),
    ("pikaffect-unknown", _update(model="1.5", pikaffect="Wobble"), "not a known Pikaffect"),
    (
        "ingredients-on-1.5",
        _update(model="1.5", ingredients=["https://x.y/a.png"]),
        "ingredients need model 2.0",
    ),
    ("style-on-1.5", _update(model="1.5", style="Anime"), "style needs model 1.0"),
    ("style-unknown", _update(style="Cubist"), "style must be one of"),
    ("sfx-on-2.0", _update(model="2.0", sfx=True), "sfx needs model 1.0"),
    ("turbo-without-video", _update(model="Turbo", image="https://x.y/a.png"), "needs both"),
    ("turbo-without-image", _update(model="Turbo", video=VIDEO), "needs both video and image"),
    ("swap-without-turbo", _update(swapPrompt="the dress"), "swapPrompt needs model Turbo"),
    ("video-not-mp4", _update(video="https://x.y/clip.mov"), "video must point at a .mp4"),
    ("image-not-url", _update(image="ftp://x.y/a.png"), "image must be an http(s) URL"),
    ("nothing", _without("promptText"), "nothing to generate from"),
    ("bad-webhook", _update(webhookOverride="not a url"), "webhookOverride must be"),
]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [case[1:] for case in WEBBOT_GENERATE_CASES],
    ids=[case[0] for case in WEBBOT_GENERATE_CASES],
)
async def test_invalid_webbot_generate_bodies_answer_400(
    sim: Simulator,
    session: aiohttp.ClientSession,
    change: Callable[[Body], None],
    fragment: str,
) -> None:
    body = webbot_body()
    change(body)
    await _expect_400(session, f"{sim.webbot_base}/generate", body, fragment)
    assert len(sim.jobs) == 0


AREA = {"x": 10, "y": 10, "width": 20, "height": 20}
OTHER_ROUTE_CASES = [
    ("lipsync-no-speech", "/lipSync", {"video": VIDEO, "speechStart": 0, "speechEnd": 2}, "speech"),
    (
        "lipsync-no-start",
        "/lipSync",
        {"video": VIDEO, "speech": "https://x.y/a.wav", "speechEnd": 2},
        "speechStart is required",
    ),
    (
        "lipsync-end-before-start",
        "/lipSync",
        {"video": VIDEO, "speech": "https://x.y/a.wav", "speechStart": 3, "speechEnd": 2},
        "speechEnd (2) must be greater than speechStart (3)",
    ),
    (
        "lipsync-not-wav",
        "/lipSync",
        {"video": VIDEO, "speech": "https://x.y/a.mp3", "speechStart": 0, "speechEnd": 2},
        "speech must point at a .wav",
    ),
    ("lipsync-no-video", "/lipSync", {"speech": "https://x.y/a.wav"}, "video must be a URL"),
    ("adjust-bad-mode", "/adjust", {"mode": "painting"}, "mode must be inpainting or outpainting"),
    ("adjust-no-area", "/adjust", {"mode": "inpainting", "video": VIDEO}, "area is required"),
    (
        "adjust-area-101",
        "/adjust",
        {"mode": "inpainting", "video": VIDEO, "area": dict(AREA, x=101)},
        "area.x must be between 0 and 100",
    ),
    (
        "adjust-area-overflows",
        "/adjust",
        {"mode": "inpainting", "video": VIDEO, "area": dict(AREA, x=60, width=50)},
        "area.x + area.width must be at most 100",
    ),
    (
        "adjust-area-overflows-y",
        "/adjust",
        {"mode": "inpainting", "video": VIDEO, "area": dict(AREA, y=90, height=20)},
        "area.y + area.height must be at most 100",
    ),
    (
        "outpaint-no-ratio",
        "/adjust",
        {"mode": "outpainting", "video": VIDEO, "area": AREA, "no_ratio": True},
        "options.aspectRatio is required for outpainting",
    ),
    (
        "outpaint-no-prompt",
        "/adjust",
        {"mode": "outpainting", "video": VIDEO, "area": AREA, "promptText": ""},
        "promptText is required",
    ),
    ("extend-no-video", "/extend", {}, "video must be a URL"),
    ("extend-no-options", "/extend", {"video": VIDEO, "options": None}, "options is required"),
    ("upscale-foreign-url", "/upscale", {"video": VIDEO}, "produced by this service"),
    ("upscale-no-video", "/upscale", {}, "video must be a URL"),
]


@pytest.mark.parametrize(
    ("route", "fields", "fragment"),
    [case[1:] for case in OTHER_ROUTE_CASES],
    ids=[case[0] for case in OTHER_ROUTE_CASES],
)
async def test_invalid_webbot_edit_bodies_answer_400(
    sim: Simulator, session: aiohttp.ClientSession, route: str, fields: Body, fragment: str
) -> None:
    fields = copy.deepcopy(fields)
    if route in ("/adjust", "/extend"):
        body = webbot_body("a prompt", ratio=None if fields.pop("no_ratio", False) else "1:1")
        body.update(fields)
        if body.get("options") is None:
            del body["options"]
    else:
        body = fields
    await _expect_400(session, f"{sim.webbot_base}{route}", body, fragment)
    assert len(sim.jobs) == 0


FEED_CASES = [
    ("missing-options", _without("options"), "options is required"),
    ("ratio-string", _set("options.aspectRatio", "16:9"), "options.aspectRatio"),
    ("ratio-zero", _set("options.aspectRatio", 0), "options.aspectRatio"),
    ("frame-rate", _set("options.frameRate", 30), "options.frameRate must be between 1 and 24"),
    ("motion", _set("options.parameters.motion", 9), "motion must be between 1 and 4"),
    ("guidance", _set("options.parameters.guidanceScale", 1), "between 5 and 25"),
    ("model", _update(model="1.0"), "model must be one of 1.5, 2.0, 2.2"),
    ("pikaffect-webbot-only", _update(pikaffect="Peel"), "pikaffect must be one of"),
    (
        "ingredient-on-1.5",
        _update(ingredient=["https://x.y/a.png"]),
        "ingredient needs model 2.0 or 2.2",
    ),
    (
        "ratio-with-image",
        _update(image="https://x.y/a.png"),
        "options.aspectRatio must be left out when an image is sent",
    ),
    ("ingredients-mode", _set("options.ingredients-mode", "loose"), "ingredients-mode"),
    ("nothing", _update(promptText=""), "nothing to generate from"),
]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [case[1:] for case in FEED_CASES],
    ids=[case[0] for case in FEED_CASES],
)
async def test_invalid_feed_bodies_answer_400(
    sim: Simulator,
    session: aiohttp.ClientSession,
    change: Callable[[Body], None],
    fragment: str,
) -> None:
    body = feed_body()
    change(body)
    await _expect_400(session, f"{sim.feed_base}/pika/generate", body, fragment)
    assert len(sim.jobs) == 0


async def test_feed_accepts_ingredients_and_an_image_without_ratio(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    ingredients = feed_body("pick it", model="2.0", ingredient=["https://x.y/a.png", "aGVsbG8="])
    ingredients["options"]["ingredients-mode"] = "precise"
    image = feed_body("squish it", pikaffect="Squish", image="https://x.y/cat.webp")
    del image["options"]["aspectRatio"]
    for body in (ingredients, image):
        async with session.post(
            f"{sim.feed_base}/pika/generate", json=body, headers=AUTH
        ) as response:
            assert response.status == 200, await response.text()
    assert [job.submission.operation for job in sim.jobs] == ["ingredients", "pikaffect"]


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[1, 2]", b'{"options": '],
    ids=["empty", "text", "array", "truncated"],
)
async def test_bodies_that_are_not_json_objects_answer_400(
    sim: Simulator, session: aiohttp.ClientSession, raw: bytes
) -> None:
    for url in (f"{sim.feed_base}/pika/generate", f"{sim.webbot_base}/generate"):
        async with session.post(url, data=raw, headers=AUTH) as response:
            assert response.status == 400
            answer = await response.json()
        assert answer == {
            "message": "the request body must be a JSON object",
            "error": "invalid_request",
        }


async def test_json_is_read_whatever_the_content_type(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    # curl -d sends application/x-www-form-urlencoded.
    headers = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    async with session.post(
        f"{sim.feed_base}/pika/generate", data=json.dumps(FEED_EXAMPLE), headers=headers
    ) as response:
        assert response.status == 200
        assert "id" in await response.json()


async def test_unknown_ids_answer_404_and_jobs_stay_in_their_dialect(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{sim.feed_base}/pika/generate", json=FEED_EXAMPLE, headers=AUTH
    ) as response:
        feed_id = (await response.json())["id"]
    for url in (
        f"{sim.webbot_base}/jobs/no-such-job",
        f"{sim.feed_base}/pika/feed/no-such-job",
        f"{sim.webbot_base}/jobs/{feed_id}",
    ):
        async with session.get(url, headers=AUTH) as response:
            assert response.status == 404, url
            assert (await response.json())["error"] == "not_found"
    async with session.post(
        f"{sim.webbot_base}/jobs/upscaled", json={"video": VIDEO}, headers=AUTH
    ) as response:
        assert response.status == 404
    async with session.get(f"{sim.base_url}/files/{feed_id}/poster.jpg") as response:
        assert response.status == 404  # not finished yet, or no such file
    async with session.get(f"{sim.base_url}/nowhere", headers=AUTH) as response:
        assert response.status == 404
        assert (await response.json())["error"] == "http_error"


async def test_lip_sync_longer_than_our_video_is_refused(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{sim.webbot_base}/generate", json=webbot_body(fps=2), headers=AUTH
    ) as response:
        job_id = (await response.json())["job"]["id"]
    done = await poll(session, "GET", f"{sim.webbot_base}/jobs/{job_id}", until=webbot_done)
    body = {
        "video": done["videos"][0]["resultUrl"],
        "speech": "https://x.y/a.wav",
        "speechStart": 0,
        "speechEnd": 5,
    }
    await _expect_400(session, f"{sim.webbot_base}/lipSync", body, "longer than the video")


async def _expect_400(session: aiohttp.ClientSession, url: str, body: Body, fragment: str) -> None:
    async with session.post(url, json=body, headers=AUTH) as response:
        answer = await response.json()
        assert response.status == 400, answer
    assert answer["error"] == "invalid_request"
    assert fragment in answer["message"], answer["message"]
