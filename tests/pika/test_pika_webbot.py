"""Webbot dialect: the bodies it sends equal the reference's, and every example answer parses."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.pika.errors import RejectedError, UnavailableError, UnsupportedOperationError
from bot.pika.job import JobStatus, Operation
from bot.pika.requests import validate_request
from bot.pika.status import normalise_status
from bot.pika.webbot import WebbotProvider, parse_job, parse_submission
from tests.pika.test_pika_http_support import Reply, Sleeps, StubServer, fixture

EXAMPLE_IMAGE = "https://example.image/1234-a186-53c4c6171ab5/image.jpg"
VIDEO = "https://example.url/v1/4c3cb912-4a7a-1234-a01d-1f3f44afc553/people_flying_on_a_helicopter_seed144124.mp4"
IMAGE = "https://cdn.example.com/sword.png"
AUDIO = "https://cdn.example.com/voice.wav"
SUBMITTED = fixture("webbot_submit_generate.json")
SUBMITTED_ID = "1233696d-67c8-4293-bf95-524e13aa6578"


@pytest.fixture
async def stub() -> AsyncIterator[StubServer]:
    server = StubServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def provider(stub: StubServer) -> AsyncIterator[WebbotProvider]:
    async with aiohttp.ClientSession() as session:
        yield WebbotProvider(session, stub.base_url, "key", sleep=Sleeps())


def reference_options(**changes: Any) -> dict[str, Any]:
    """Return the options object of the reference's examples, with ``changes`` applied."""
    options = copy.deepcopy(fixture("webbot_request_v1_0.json")["options"])
    options.update(changes)
    return options


async def sent_body(
    stub: StubServer, provider: WebbotProvider, data: dict[str, Any], **submit: Any
) -> tuple[str, Any, str]:
    """Submit ``data`` through the real server; return the path, the JSON it saw and the id."""
    for path in ("/generate", "/adjust", "/extend", "/lipSync"):
        stub.always("POST", path, Reply(200, SUBMITTED))
    stub.always("POST", "/upscale", Reply(200, fixture("webbot_upscale.json")))
    job_id = await provider.submit(validate_request(data), **submit)
    (seen,) = stub.seen
    return seen.path, seen.json, job_id


# Contract: the reference's example bodies ------------------------------------------------


async def test_generate_v1_0_matches_the_example(stub, provider):
    path, body, job_id = await sent_body(
        stub,
        provider,
        {"op": "generate", "prompt": "robed villain lurking the streets", "image": EXAMPLE_IMAGE},
    )

    assert path == "/generate"
    assert body == fixture("webbot_request_v1_0.json")
    assert job_id == SUBMITTED_ID


async def test_pikaffect_v1_5_matches_the_example(stub, provider):
    path, body, _ = await sent_body(
        stub,
        provider,
        {
            "op": "pikaffect",
            "pikaffect": "Peel",
            "prompt": "robed villain lurking the streets",
            "image": EXAMPLE_IMAGE,
        },
    )

    assert path == "/generate"
    assert body == fixture("webbot_request_v1_5.json")


async def test_ingredients_v2_0_matches_the_example(stub, provider):
    ingredients = ["https://cdn.example.com/a.png", "https://cdn.example.com/b.jpg"]
    path, body, _ = await sent_body(
        stub,
        provider,
        {
            "op": "ingredients",
            "ingredients": ingredients,
            "prompt": "robed villain lurking the streets",
        },
    )

    expected = fixture("webbot_request_v2_0.json")
    # The source lost the array's items in extraction; only they are filled in here.
    assert expected["ingredients"] == []
    expected["ingredients"] = ingredients
    assert path == "/generate"
    assert body == expected


async def test_additions_matches_the_example(stub, provider):
    expected = fixture("webbot_request_additions.json")
    path, body, _ = await sent_body(
        stub,
        provider,
        {"op": "additions", "prompt": expected["promptText"], "video": VIDEO, "image": IMAGE},
    )

    # The source's URLs were blanked in extraction; only they are filled in here.
    assert (expected["video"], expected["image"]) == ("", "")
    expected |= {"video": VIDEO, "image": IMAGE}
    assert path == "/generate"
    assert body == expected


async def test_swap_matches_the_example(stub, provider):
    expected = fixture("webbot_request_swap.json")
    path, body, _ = await sent_body(
        stub,
        provider,
        {
            "op": "swap",
            "swap_prompt": expected["swapPrompt"],
            "prompt": expected["promptText"],
            "video": VIDEO,
            "image": IMAGE,
        },
    )

    assert (expected["video"], expected["image"]) == ("", "")
    expected |= {"video": VIDEO, "image": IMAGE}
    assert path == "/generate"
    assert body == expected


# Contract: operations the reference documents by field list only ---------------------------

FIELD_LIST_CASES = [
    (
        "reprompt",
        {"op": "reprompt", "prompt": "robed villain at night", "video": VIDEO},
        "/generate",
        {"promptText": "robed villain at night", "options": reference_options(), "video": VIDEO},
    ),
    (
        "edit",
        {"op": "edit", "prompt": "robed villain", "video": VIDEO, "style": "Claymation"},
        "/generate",
        {
            "promptText": "robed villain",
            "options": reference_options(),
            "video": VIDEO,
            "style": "Claymation",
        },
    ),
    (
        "edit without the optional fields",
        {"op": "edit", "video": VIDEO},
        "/generate",
        {"options": reference_options(), "video": VIDEO},
    ),
    (
        "inpaint",
        {
            "op": "inpaint",
            "prompt": "people on the moon",
            "video": VIDEO,
            "area": {"x": 80, "y": 80, "width": 20, "height": 20},
            "style": "Anime",
        },
        "/adjust",
        {
            "mode": "inpainting",
            "area": {"x": 80, "y": 80, "width": 20, "height": 20},
            "promptText": "people on the moon",
            "options": reference_options(),
            "video": VIDEO,
            "style": "Anime",
        },
    ),
    (
        "outpaint",
        {
            "op": "outpaint",
            "prompt": "people flying on a helicopter",
            "video": VIDEO,
            "area": {"x": 0, "y": 0, "width": 100, "height": 100},
            "options": {"aspect_ratio": "1:1"},
        },
        "/adjust",
        {
            "mode": "outpainting",
            "area": {"x": 0, "y": 0, "width": 100, "height": 100},
            "promptText": "people flying on a helicopter",
            "options": reference_options(aspectRatio="1:1"),
            "video": VIDEO,
        },
    ),
    (
        "extend",
        {"op": "extend", "prompt": "robed villain", "video": VIDEO},
        "/extend",
        {"promptText": "robed villain", "options": reference_options(), "video": VIDEO},
    ),
    (
        "upscale",
        {"op": "upscale", "video": VIDEO},
        "/upscale",
        {"video": VIDEO},
    ),
    (
        "lipsync",
        {"op": "lipsync", "video": VIDEO, "speech": AUDIO, "speech_start": 2, "speech_end": 5},
        "/lipSync",
        {"video": VIDEO, "speech": AUDIO, "speechStart": 2, "speechEnd": 5},
    ),
]


@pytest.mark.parametrize(
    ("data", "path", "expected"),
    [case[1:] for case in FIELD_LIST_CASES],
    ids=[case[0] for case in FIELD_LIST_CASES],
)
async def test_body_follows_the_field_list(stub, provider, data, path, expected):
    sent_path, body, _ = await sent_body(stub, provider, data)

    assert sent_path == path
    assert body == expected


async def test_every_option_is_converted(stub, provider):
    _, body, _ = await sent_body(
        stub,
        provider,
        {
            "op": "generate",
            "prompt": "a cat",
            "model": "1.5",
            "video": "https://cdn.example.com/in.mp4",
            "options": {
                "frame_rate": 8,
                "aspect_ratio": "4:5",
                "motion": 4,
                "guidance": 25,
                "negative_prompt": "dogs",
                "seed": 7,
                "camera": {"zoom": "out", "rotate": "cw"},
                "extend": True,
            },
        },
    )

    assert body == {
        "promptText": "a cat",
        "model": "1.5",
        "video": "https://cdn.example.com/in.mp4",
        "options": {
            "aspectRatio": "4:5",
            "frameRate": 8,
            "camera": {"rotate": "cw", "zoom": "out", "tilt": None, "pan": None},
            "parameters": {
                "guidanceScale": 25,
                "motion": 4,
                "negativePrompt": "dogs",
                "seed": 7,
            },
            "extend": True,
        },
    }


async def test_sfx_and_style_are_sent_on_1_0(stub, provider):
    _, body, _ = await sent_body(
        stub, provider, {"op": "generate", "prompt": "a cat", "sfx": True, "style": "3D"}
    )

    assert body == {
        "promptText": "a cat",
        "sfx": True,
        "style": "3D",
        "options": reference_options(),
    }


async def test_ref_and_webhook_are_sent_when_given(stub, provider):
    _, body, _ = await sent_body(
        stub,
        provider,
        {"op": "extend", "video": VIDEO},
        ref="job-42",
        webhook_url="https://bot.example/hooks/pika",
    )

    assert body["ref"] == "job-42"
    assert body["webhookOverride"] == "https://bot.example/hooks/pika"


# Submit and fetch through the server ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "job_id"),
    [
        ("webbot_submit_generate.json", "1233696d-67c8-4293-bf95-524e13aa6578"),
        ("webbot_submit_additions.json", "e47f9d23-6a2b-41c8-9d78-f15e8a3b4c2d"),
        ("webbot_submit_swap.json", "b47e9c12-8f3d-42a5-9e67-d15f8a2b3c4d"),
        ("webbot_submit_reprompt.json", "0ddd943f-c724-445b-b389-fe2661e0070a"),
        ("webbot_submit_edit.json", "0ddd943f-c724-445b-b389-fe2661e0070a"),
        ("webbot_submit_inpaint.json", "a602bb11-9c52-459d-bdd6-6666c5e03ca6"),
        ("webbot_submit_outpaint.json", "50959a23-1234-40db-9bfc-14648c1e424a"),
        ("webbot_submit_extend.json", "0ddd943f-c724-445b-b389-fe2661e0070a"),
        ("webbot_submit_lipsync.json", "12234ee0-7aac-4d42-ab97-1216d7f782ea"),
    ],
)
def test_every_submission_answer_parses(name, job_id):
    answer = fixture(name)

    assert parse_submission(answer) == job_id
    job = parse_job(answer)
    assert job.provider_job_id == job_id
    assert job.status is JobStatus.QUEUED
    assert job.detail == "queued"
    assert job.progress is None
    assert job.result_url is None


def test_get_job_example_parses():
    job = parse_job(fixture("webbot_get_job.json"))

    assert job.provider_job_id == "e89c86c1-2969-1234-a186-53c4c6171ab5"
    # "finished" with an empty resultUrl: the URL may not be there yet, so still running.
    assert job.status is JobStatus.RUNNING
    assert job.detail == "finished"
    assert job.progress == 100
    assert job.result_url is None
    assert job.poster_url == "https://example.image/1234-a186-53c4c6171ab5/poster.jpg"
    assert job.thumbnail_url == "https://example.image/1234-a186-53c4c6171ab5/thumbnail.jpg"
    assert job.duration == 3.0
    assert job.seed is None
    assert job.error is None


def test_get_upscaled_example_parses():
    job = parse_job(fixture("webbot_get_upscaled.json"))

    assert job.status is JobStatus.SUCCEEDED
    assert job.result_url == (
        "https://example.url/v1/f4fae039-74bd-4387-1234-c9352a8decd6/"
        "people_flying_on_a_helicopter_seed144124_upscaled.mp4"
    )
    assert job.progress == 100


async def test_submit_then_fetch_a_finished_job(stub, provider):
    stub.always("POST", "/generate", Reply(200, SUBMITTED))
    finished = fixture("webbot_get_job.json")
    finished["videos"][0]["resultUrl"] = "https://cdn.example.com/out.mp4"
    stub.queue("GET", f"/jobs/{SUBMITTED_ID}", Reply(500))
    stub.always("GET", f"/jobs/{SUBMITTED_ID}", Reply(200, finished))

    job_id = await provider.submit(validate_request({"op": "generate", "prompt": "Dog"}))
    job = await provider.fetch(job_id)

    assert job.provider_job_id == job_id
    assert job.status is JobStatus.SUCCEEDED
    assert job.result_url == "https://cdn.example.com/out.mp4"
    assert len(stub.requests_to("GET", f"/jobs/{SUBMITTED_ID}")) == 2  # the 500 was retried


async def test_upscale_is_tracked_by_its_original_video(stub, provider):
    stub.always("POST", "/upscale", Reply(200, fixture("webbot_upscale.json")))
    stub.always("POST", "/jobs/upscaled", Reply(200, fixture("webbot_get_upscaled.json")))

    job_id = await provider.submit(validate_request({"op": "upscale", "video": VIDEO}))
    job = await provider.fetch(job_id)

    assert job_id == "upscale:" + VIDEO
    assert job.provider_job_id == job_id
    assert job.status is JobStatus.SUCCEEDED
    assert stub.requests_to("POST", "/jobs/upscaled")[0].json == {"video": VIDEO}


async def test_upscale_refused_by_the_service(stub, provider):
    refusal = {"success": False, "video": "", "message": "Upscale needs a Standard plan"}
    stub.always("POST", "/upscale", Reply(200, refusal))

    with pytest.raises(RejectedError) as caught:
        await provider.submit(validate_request({"op": "upscale", "video": VIDEO}))

    assert caught.value.reason == "Upscale needs a Standard plan"


async def test_answer_without_a_job_id_may_have_been_submitted(stub, provider):
    stub.always("POST", "/generate", Reply(200, {"job": {}, "video": {}}))

    with pytest.raises(UnavailableError) as caught:
        await provider.submit(validate_request({"op": "generate", "prompt": "Dog"}))

    assert caught.value.maybe_submitted is True
    assert len(stub.seen) == 1


# Capabilities ----------------------------------------------------------------------------


def test_capabilities_cover_every_operation():
    capabilities = WebbotProvider.capabilities

    assert WebbotProvider.name == "webbot"
    assert capabilities.operations == frozenset(Operation) - {Operation.KEYFRAMES}
    assert capabilities.models[Operation.GENERATE] == ("1.0", "1.5", "2.0", "2.1")
    assert capabilities.models[Operation.PIKAFFECT] == ("1.5",)
    assert capabilities.models[Operation.ADDITIONS] == ("Turbo",)


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (
            {"op": "generate", "prompt": "x", "model": "2.2"},
            "this Pika service has no model 2.2 for generating; choose 1.0, 1.5, 2.0 or 2.1",
        ),
        (
            {"op": "ingredients", "ingredients": [IMAGE], "model": "2.1"},
            "this Pika service has no model 2.1 for ingredients; choose 2.0",
        ),
    ],
)
async def test_unsupported_models_are_refused_before_sending(stub, provider, data, sentence):
    with pytest.raises(UnsupportedOperationError) as caught:
        await provider.submit(validate_request(data))

    assert str(caught.value) == sentence
    assert stub.seen == []


# Normalising statuses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "progress", "url", "error", "status"),
    [
        ("queued", None, None, None, JobStatus.QUEUED),
        ("pending", 0, None, None, JobStatus.QUEUED),
        ("delayed", None, None, None, JobStatus.QUEUED),
        ("queued", 40, None, None, JobStatus.RUNNING),
        ("started", None, None, None, JobStatus.RUNNING),
        ("finished", 100, "https://x/v.mp4", None, JobStatus.SUCCEEDED),
        ("finished", 100, None, None, JobStatus.RUNNING),
        ("failed", None, None, None, JobStatus.FAILED),
        ("error", None, None, None, JobStatus.FAILED),
        ("cancelled", None, None, None, JobStatus.FAILED),
        ("finished", 100, "https://x/v.mp4", "NSFW content", JobStatus.FAILED),
        ("rendering", None, None, None, JobStatus.RUNNING),
        (None, None, None, None, JobStatus.RUNNING),
        ("FINISHED", None, "https://x/v.mp4", None, JobStatus.SUCCEEDED),
    ],
)
def test_normalise_status(word, progress, url, error, status):
    assert normalise_status(word, progress, url, error) is status


def test_parsing_is_tolerant():
    job = parse_job(
        {
            "job": {"id": "j9", "status": "started", "somethingNew": {"a": 1}},
            "videos": [{"progress": "42.4", "seed": 12.0, "duration": "5", "extra": True}],
        }
    )

    assert job.provider_job_id == "j9"
    assert job.status is JobStatus.RUNNING
    assert job.detail == "started"  # the video said nothing, so the job's word counts
    assert (job.progress, job.seed, job.duration) == (42, 12, 5.0)


def test_job_level_error_fails_the_job():
    job = parse_job({"job": {"id": "j9", "error": "out of credits"}, "videos": []})

    assert job.status is JobStatus.FAILED
    assert job.error == "out of credits"


def test_progress_is_clamped_and_junk_ignored():
    assert parse_job({"videos": [{"id": "v", "progress": 150}]}).progress == 100
    assert parse_job({"videos": [{"id": "v", "progress": None, "seed": "x"}]}).seed is None


def test_a_payload_that_is_not_an_object_is_unavailable():
    with pytest.raises(UnavailableError):
        parse_job(["not", "a", "job"])
