"""Feed dialect: the bodies it sends equal the source's examples, and its answers parse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.pika.capabilities import check_supported
from bot.pika.errors import UnavailableError, UnsupportedOperationError
from bot.pika.feed import FeedProvider, parse_job, parse_submission
from bot.pika.job import JobStatus, Operation
from bot.pika.requests import FEED_PIKAFFECTS, Pikaffect, validate_request
from tests.pika.test_pika_http_support import Reply, Sleeps, StubServer, fixture

TASK_ID = "c1d16f47-16c2-4798-8733-5ed9903885cc"
IMAGE = "https://cdn.example.com/cat.png"
VIDEO = "https://cdn.example.com/in.mp4"


@pytest.fixture
async def stub() -> AsyncIterator[StubServer]:
    server = StubServer()
    await server.start()
    server.always("POST", "/pika/generate", Reply(200, fixture("feed_submit.json")))
    yield server
    await server.stop()


@pytest.fixture
async def provider(stub: StubServer) -> AsyncIterator[FeedProvider]:
    async with aiohttp.ClientSession() as session:
        yield FeedProvider(session, stub.base_url, "hk-key", sleep=Sleeps())


async def sent_body(stub: StubServer, provider: FeedProvider, data: dict[str, Any]) -> Any:
    """Submit ``data`` through the real server and return the JSON it saw."""
    assert await provider.submit(validate_request(data)) == TASK_ID
    (seen,) = stub.seen
    assert seen.path == "/pika/generate"
    assert seen.headers["Authorization"] == "Bearer hk-key"
    return seen.json


# Contract: the source's example bodies ---------------------------------------------------


async def test_text_generate_matches_the_curl_example(stub, provider):
    body = await sent_body(stub, provider, {"op": "generate", "prompt": "moving", "model": "1.5"})

    # The source shows this body twice: the curl command sends no "image", the "Request body"
    # copy has "image": "". The field table says an image, "if present, must have a value",
    # so a text-only request follows the curl command and leaves the key out.
    assert body == fixture("feed_request_generate.json")
    copy = fixture("feed_request_generate_body_copy.json")
    assert copy.pop("image") == ""
    assert copy == body


async def test_ingredients_match_the_example(stub, provider):
    body = await sent_body(
        stub,
        provider,
        {
            "op": "ingredients",
            "prompt": "pick it",
            "model": "2.0",
            "ingredients": [
                "https://www.openai-hk.com/res/img/open.png",
                "https://cos.aitutu.cc/gpts/o1-all.jpg",
            ],
        },
    )

    assert body == fixture("feed_request_ingredients.json")


# Contract: conversions the source describes in words -------------------------------------


async def test_image_generate_leaves_out_the_aspect_ratio(stub, provider):
    body = await sent_body(
        stub, provider, {"op": "generate", "prompt": "moving", "model": "2.2", "image": IMAGE}
    )

    expected = fixture("feed_request_generate.json")
    del expected["options"]["aspectRatio"]
    expected |= {"model": "2.2", "image": IMAGE}
    assert body == expected


async def test_pikaffect_is_sent_with_its_image(stub, provider):
    body = await sent_body(
        stub, provider, {"op": "pikaffect", "pikaffect": "Squish", "image": IMAGE}
    )

    assert body == {
        "pikaffect": "Squish",
        "promptText": "",
        "model": "1.5",
        "options": {
            "frameRate": 24,
            "camera": {},
            "parameters": {"guidanceScale": 12, "motion": 1, "negativePrompt": ""},
            "extend": False,
        },
        "image": IMAGE,
    }


@pytest.mark.parametrize(
    ("aspect_ratio", "number"),
    [("16:9", 16 / 9), ("9:16", 9 / 16), ("1:1", 1.0), ("5:2", 2.5), ("4:5", 0.8), ("4:3", 4 / 3)],
)
async def test_aspect_ratio_is_a_number(stub, provider, aspect_ratio, number):
    body = await sent_body(
        stub,
        provider,
        {
            "op": "generate",
            "prompt": "x",
            "model": "1.5",
            "options": {"aspect_ratio": aspect_ratio},
        },
    )

    assert body["options"]["aspectRatio"] == number


async def test_only_set_camera_moves_and_a_set_seed_are_sent(stub, provider):
    body = await sent_body(
        stub,
        provider,
        {
            "op": "ingredients",
            "ingredients": [IMAGE],
            "model": "2.2",
            "ingredients_mode": "creative",
            "options": {
                "camera": {"pan": "right", "tilt": "up"},
                "seed": 3183047765,
                "negative_prompt": "blur",
                "motion": 2,
                "guidance": 18,
                "frame_rate": 16,
                "extend": True,
            },
        },
    )

    assert body["options"] == {
        "aspectRatio": 16 / 9,
        "frameRate": 16,
        "camera": {"pan": "right", "tilt": "up"},
        "parameters": {
            "guidanceScale": 18,
            "motion": 2,
            "negativePrompt": "blur",
            "seed": 3183047765,
        },
        "extend": True,
        "ingredients-mode": "creative",
    }
    assert body["ingredient"] == [IMAGE]
    assert "image" not in body


# Answers ---------------------------------------------------------------------------------


def test_submission_example_parses():
    assert parse_submission(fixture("feed_submit.json")) == TASK_ID


def test_submission_without_an_id_may_have_been_submitted():
    with pytest.raises(UnavailableError) as caught:
        parse_submission({"status": "ok"})

    assert caught.value.maybe_submitted is True


def test_feed_example_parses():
    job = parse_job(fixture("feed_job.json"))

    assert job.provider_job_id == "66e0818e-05fb-454e-b246-a6f253e9ffbf"
    assert job.status is JobStatus.SUCCEEDED
    assert job.detail == "finished"
    assert job.progress == 100
    assert job.result_url == (
        "https://cdn.pika.art/v1/66e0818e-05fb-454e-b246-a6f253e9ffbf/Plane_fly_seed3183047765.mp4"
    )
    assert job.poster_url.endswith("/poster.jpg")
    assert job.thumbnail_url.endswith("/thumbnail.jpg")
    assert job.duration == 5.0
    assert job.seed == 3183047765
    assert job.error is None  # the example's "error": "" is no error


@pytest.mark.parametrize(
    ("video", "status"),
    [
        ({"status": "queued"}, JobStatus.QUEUED),
        ({"status": "pending", "progress": 0}, JobStatus.QUEUED),
        ({"status": "pending", "progress": 35}, JobStatus.RUNNING),
        ({"status": "error", "error": "content policy"}, JobStatus.FAILED),
        ({"status": "finished", "resultUrl": ""}, JobStatus.RUNNING),
        ({"status": "transcoding"}, JobStatus.RUNNING),
        ({}, JobStatus.RUNNING),
    ],
)
def test_feed_statuses_normalise(video, status):
    job = parse_job({"id": "t1", "videos": [{"id": "v1", **video}]})

    assert job.status is status
    assert job.provider_job_id == "t1"


def test_feed_error_keeps_the_reason():
    job = parse_job({"id": "t1", "videos": [{"status": "error", "error": "content policy"}]})

    assert job.error == "content policy"
    assert job.detail == "error"


async def test_submit_then_poll_the_feed(stub, provider):
    stub.queue("GET", f"/pika/feed/{TASK_ID}", Reply(429, headers={"Retry-After": "1"}))
    stub.always("GET", f"/pika/feed/{TASK_ID}", Reply(200, fixture("feed_job.json")))

    task_id = await provider.submit(
        validate_request({"op": "generate", "prompt": "Plane fly", "model": "2.2"})
    )
    job = await provider.fetch(task_id)

    assert job.provider_job_id == TASK_ID
    assert job.status is JobStatus.SUCCEEDED
    assert len(stub.requests_to("GET", f"/pika/feed/{TASK_ID}")) == 2


# What the feed cannot do -----------------------------------------------------------------


def test_capabilities():
    capabilities = FeedProvider.capabilities

    assert FeedProvider.name == "feed"
    assert capabilities.operations == {
        Operation.GENERATE,
        Operation.PIKAFFECT,
        Operation.INGREDIENTS,
    }
    assert capabilities.models[Operation.GENERATE] == ("1.5", "2.0", "2.2")
    assert capabilities.models[Operation.INGREDIENTS] == ("2.0", "2.2")
    assert len(FEED_PIKAFFECTS) == 13


VIDEO_URL = "https://cdn.example.com/earlier.mp4"
REFUSALS = [
    (
        {"op": "lipsync", "video": VIDEO_URL, "speech": "https://x/a.wav", "speech_end": 3},
        "this Pika service cannot lip sync videos",
    ),
    (
        {"op": "inpaint", "video": VIDEO_URL, "area": {"x": 0, "y": 0, "width": 5, "height": 5}},
        "this Pika service cannot inpaint (modify a region of) videos",
    ),
    (
        {
            "op": "outpaint",
            "prompt": "x",
            "video": VIDEO_URL,
            "area": {"x": 0, "y": 0, "width": 5, "height": 5},
        },
        "this Pika service cannot outpaint (extend the canvas of) videos",
    ),
    ({"op": "extend", "video": VIDEO_URL}, "this Pika service cannot extend videos"),
    ({"op": "upscale", "video": VIDEO_URL}, "this Pika service cannot upscale videos"),
    (
        {"op": "reprompt", "prompt": "x", "video": VIDEO_URL},
        "this Pika service cannot reprompt videos",
    ),
    ({"op": "edit", "video": VIDEO_URL}, "this Pika service cannot edit videos"),
    (
        {"op": "additions", "prompt": "x", "video": VIDEO_URL, "image": IMAGE},
        "this Pika service cannot do Pika Additions",
    ),
    (
        {"op": "swap", "swap_prompt": "a", "prompt": "b", "video": VIDEO_URL, "image": IMAGE},
        "this Pika service cannot do Pika Swap",
    ),
    (
        {"op": "generate", "prompt": "x"},
        "this Pika service has no model 1.0 for generating; choose 1.5, 2.0 or 2.2",
    ),
    (
        {"op": "generate", "prompt": "x", "model": "2.1"},
        "this Pika service has no model 2.1 for generating; choose 1.5, 2.0 or 2.2",
    ),
    (
        {"op": "ingredients", "ingredients": [IMAGE], "model": "2.1"},
        "this Pika service has no model 2.1 for ingredients; choose 2.0 or 2.2",
    ),
    (
        {"op": "generate", "video": VIDEO, "model": "1.5"},
        "this Pika service cannot start from a video; attach an image instead",
    ),
    (
        {"op": "pikaffect", "pikaffect": "Peel", "image": IMAGE},
        "this Pika service does not offer the Peel Pikaffect; choose Cake-ify, Crumble,"
        " Crush, Decapitate, Deflate, Dissolve, Explode, Eye-pop, Inflate, Levitate, Melt,"
        " Squish or Ta-da",
    ),
]


@pytest.mark.parametrize(("data", "sentence"), REFUSALS, ids=[r[0]["op"] for r in REFUSALS])
async def test_unsupported_requests_are_refused_before_sending(stub, provider, data, sentence):
    request = validate_request(data)

    # The launcher asks check_supported before holding credits; submit asks again.
    with pytest.raises(UnsupportedOperationError) as caught:
        check_supported(FeedProvider.capabilities, request)
    assert str(caught.value) == sentence
    with pytest.raises(UnsupportedOperationError):
        await provider.submit(request)

    assert stub.seen == []


@pytest.mark.parametrize("effect", sorted(FEED_PIKAFFECTS))
async def test_each_feed_pikaffect_is_accepted(stub, provider, effect):
    body = await sent_body(stub, provider, {"op": "pikaffect", "pikaffect": effect, "image": IMAGE})

    assert body["pikaffect"] == Pikaffect(effect).value
