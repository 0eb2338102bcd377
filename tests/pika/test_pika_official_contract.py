"""Contract: every request the pika and fal dialects build, field by field against the tables
of ``/work/shared/PIKA_OFFICIAL.md`` (sections 1.2 and 2.5), and how each answer is read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.domain.failures import FailureReason
from bot.pika import fal, pikadev
from bot.pika.errors import AuthenticationError, UnsupportedOperationError
from bot.pika.job import JobStatus
from bot.pika.requests import OFFICIAL_PIKAFFECTS, PikaRequest, validate_request
from bot.pika.simulator.multipart import parse_form
from bot.pika.simulator.signing import WebhookSigner
from tests.pika.test_pika_http_support import Reply, Sleeps, StubServer

IMAGE = "https://cdn.discordapp.com/attachments/1/2/photo.jpg"
IMAGE2 = "https://cdn.discordapp.com/attachments/1/3/other.png"
VIDEO = "https://cdn.discordapp.com/attachments/1/4/clip.mp4"
EFFECTS = {effect.value for effect in OFFICIAL_PIKAFFECTS}


@dataclass(frozen=True)
class F:
    """One row of a field table: required or not, and what a value may be."""

    required: bool = False
    ok: Callable[[Any], bool] = lambda value: True


def _one_of(*allowed: Any) -> Callable[[Any], bool]:
    return lambda value: value in allowed


def _float_text(low: float, high: float) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and low <= float(value) <= high


def _int_text(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and value.isdigit() and low <= int(value) <= high


def _string(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("https://")


def _urls(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: (
        isinstance(value, list) and low <= len(value) <= high and all(_url(item) for item in value)
    )


SEED_TEXT = F(ok=_int_text(0, 2**32 - 1))
COMMON_DEV = {"promptText": F(ok=_string), "negativePrompt": F(ok=_string), "seed": SEED_TEXT}
SIZES_DEV = {"resolution": F(ok=_one_of("720p", "1080p")), "duration": F(ok=_one_of("5", "10"))}
# Section 1.2: text fields and file parts of each developer API endpoint.
DEV_TABLES: dict[str, tuple[dict[str, F], dict[str, tuple[bool, int, int]]]] = {
    "/generate/2.2/t2v": (
        {
            **COMMON_DEV,
            "promptText": F(True, _string),
            **SIZES_DEV,
            "aspectRatio": F(ok=_float_text(0.4, 2.5)),
        },
        {},
    ),
    "/generate/2.2/i2v": ({**COMMON_DEV, **SIZES_DEV}, {"image": (True, 1, 1)}),
    "/generate/2.2/pikaframes": (
        {
            **COMMON_DEV,
            "promptText": F(True, _string),
            "resolution": SIZES_DEV["resolution"],
            "duration": F(ok=_int_text(5, 10)),
        },
        {"keyFrames": (True, 2, 5)},
    ),
    "/generate/2.2/pikascenes": (
        {
            **COMMON_DEV,
            "ingredientsMode": F(True, _one_of("creative", "precise")),
            "aspectRatio": F(ok=_float_text(0.4, 2.5)),
            **SIZES_DEV,
        },
        {"images": (True, 1, 5)},
    ),
    "/generate/pikadditions": (COMMON_DEV, {"video": (True, 1, 1), "image": (True, 1, 1)}),
    "/generate/pikaswaps": (
        {**COMMON_DEV, "modifyRegionRoi": F(ok=_string)},
        {"video": (True, 1, 1), "image": (False, 0, 1), "modifyRegionMask": (False, 0, 1)},
    ),
    "/generate/pikaffects": (
        {**COMMON_DEV, "pikaffect": F(True, _one_of(*EFFECTS))},
        {"image": (True, 1, 1)},
    ),
}

COMMON_FAL = {"negative_prompt": F(ok=_string), "seed": F(ok=lambda v: isinstance(v, int))}
SIZES_FAL = {"resolution": F(ok=_one_of("720p", "1080p")), "duration": F(ok=_one_of(5, 10))}
FAL_RATIOS = _one_of("16:9", "9:16", "1:1", "4:5", "5:4", "3:2", "2:3")


def _transitions(value: Any) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(t, dict) and set(t) <= {"duration", "prompt"} for t in value)
        and all(isinstance(t["duration"], int) and t["duration"] >= 1 for t in value)
        and sum(t["duration"] for t in value) <= 25
    )


# Section 2.5: the JSON input of each fal model path.
FAL_TABLES: dict[str, dict[str, F]] = {
    "v2.2/text-to-video": {
        "prompt": F(True, _string),
        "aspect_ratio": F(ok=FAL_RATIOS),
        **SIZES_FAL,
        **COMMON_FAL,
    },
    "v2.2/image-to-video": {
        "image_url": F(True, _url),
        "prompt": F(True, _string),
        **SIZES_FAL,
        **COMMON_FAL,
    },
    "v2.2/pikascenes": {
        "image_urls": F(True, _urls(1, 5)),
        "prompt": F(True, _string),
        "ingredients_mode": F(ok=_one_of("precise", "creative")),
        "aspect_ratio": F(ok=FAL_RATIOS),
        **SIZES_FAL,
        **COMMON_FAL,
    },
    "v2.2/pikaframes": {
        "image_urls": F(True, _urls(2, 5)),
        "prompt": F(ok=_string),
        "transitions": F(ok=_transitions),
        "resolution": SIZES_FAL["resolution"],
        **COMMON_FAL,
    },
    "v1.5/pikaffects": {
        "image_url": F(True, _url),
        "pikaffect": F(True, _one_of(*EFFECTS)),
        "prompt": F(ok=_string),
        **COMMON_FAL,
    },
    "v2/pikadditions": {
        "video_url": F(True, _url),
        "image_url": F(True, _url),
        "prompt": F(ok=_string),
        **COMMON_FAL,
    },
    # Undocumented (section 5, question 7): the schema the simulator assumes.
    "v2/pikaswaps": {
        "video_url": F(True, _url),
        "image_url": F(ok=_url),
        "mask_url": F(ok=_url),
        "modify_region": F(ok=_string),
        "prompt": F(ok=_string),
        **COMMON_FAL,
    },
}

OPTIONS = {"negative_prompt": "blurry", "seed": 42, "aspect_ratio": "9:16"}
REQUESTS: dict[str, dict[str, Any]] = {
    "text": {"op": "generate", "prompt": "a kite", "model": "2.2", "options": OPTIONS},
    "text-1080p-10s": {
        "op": "generate",
        "prompt": "a kite",
        "model": "2.2",
        "resolution": "1080p",
        "duration": 10,
    },
    "image": {"op": "generate", "prompt": "wind", "model": "2.2", "image": IMAGE},
    "scenes": {
        "op": "ingredients",
        "prompt": "a picnic",
        "model": "2.2",
        "ingredients": [IMAGE, IMAGE2],
        "ingredients_mode": "creative",
        "duration": 10,
        "options": OPTIONS,
    },
    "frames": {
        "op": "keyframes",
        "images": [IMAGE, IMAGE2, IMAGE],
        "prompt": "day to night",
        "length": 10,
        "resolution": "1080p",
    },
    "pikaffect": {"op": "pikaffect", "pikaffect": "Squish", "image": IMAGE, "options": OPTIONS},
    "additions": {"op": "additions", "prompt": "add a hat", "video": VIDEO, "image": IMAGE},
    "swap": {
        "op": "swap",
        "swap_prompt": "the sky",
        "prompt": "a sunset",
        "video": VIDEO,
        "image": IMAGE,
    },
}


def _check_fields(table: dict[str, F], sent: dict[str, Any], where: str) -> None:
    unknown = set(sent) - set(table)
    assert not unknown, f"{where}: fields not in the table: {unknown}"
    for name, row in table.items():
        if row.required:
            assert name in sent, f"{where}: required {name} missing"
        if name in sent:
            assert row.ok(sent[name]), f"{where}: {name}={sent[name]!r} is not allowed"


def _request(name: str) -> PikaRequest:
    return validate_request(REQUESTS[name])


# -- Pika developer API -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_every_dev_api_request_matches_its_field_table(name):
    submission = pikadev.build_submission(_request(name))
    fields, files = DEV_TABLES[submission.path]
    names = [n for n, _ in submission.fields]
    assert len(names) == len(set(names)), f"{name}: a text field is sent twice"
    _check_fields(fields, submission.text(), f"{name} {submission.path}")
    for part, (required, low, high) in files.items():
        count = sum(1 for upload in submission.files if upload.name == part)
        assert low <= count <= high and (count or not required), (name, part, count)
    assert {upload.name for upload in submission.files} <= set(files)
    assert submission.multipart == bool(files)


def test_dev_api_fields_carry_the_members_choices_and_the_base_size_otherwise():
    text = pikadev.build_submission(_request("text"))
    assert text.path == "/generate/2.2/t2v"
    assert text.text() == {
        "promptText": "a kite",
        "resolution": "720p",  # the API's own default is 1080p, which costs more than held
        "duration": "5",
        "aspectRatio": repr(9 / 16),
        "negativePrompt": "blurry",
        "seed": "42",
    }
    big = pikadev.build_submission(_request("text-1080p-10s")).text()
    assert (big["resolution"], big["duration"]) == ("1080p", "10")
    frames = pikadev.build_submission(_request("frames"))
    assert [u.url for u in frames.files] == [IMAGE, IMAGE2, IMAGE]
    assert frames.text()["duration"] == "10"
    swap = pikadev.build_submission(_request("swap")).text()
    assert swap["modifyRegionRoi"] == "the sky" and swap["promptText"] == "a sunset"


def test_dev_api_refuses_what_it_cannot_take():
    with pytest.raises(UnsupportedOperationError, match="one prompt for the whole"):
        pikadev.build_submission(
            validate_request({**REQUESTS["frames"], "transitions": ["a", "b"]})
        )
    with pytest.raises(UnsupportedOperationError):
        pikadev.build_submission(validate_request({"op": "upscale", "video": VIDEO}))


@pytest.fixture
async def stub() -> AsyncIterator[StubServer]:
    server = StubServer()
    await server.start()
    yield server
    await server.stop()


async def test_dev_api_sends_its_key_as_x_api_key_and_streams_the_members_file(stub):
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    stub.always("GET", "/attachments/photo.png", Reply(200, text=""))
    stub.always("POST", "/generate/2.2/i2v", Reply(200, {"video_id": "v-1"}))
    stub.always("POST", "/generate/2.2/t2v", Reply(200, {"video_id": "v-2"}))

    async def file_server(request: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.Response(body=picture, content_type="image/png")

    app = aiohttp.web.Application()
    app.router.add_get("/attachments/photo.png", file_server)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/attachments/photo.png"
    try:
        async with aiohttp.ClientSession() as session:
            provider = pikadev.PikadevProvider(session, stub.base_url, "dev-key", sleep=Sleeps())
            request = validate_request(
                {"op": "generate", "prompt": "wind", "model": "2.2", "image": url}
            )
            assert await provider.submit(request, webhook_url="https://ignored") == "v-1"
            assert await provider.submit(_request("text")) == "v-2"
    finally:
        await runner.cleanup()
    upload, text = stub.seen
    assert upload.headers["X-API-KEY"] == "dev-key" and "Authorization" not in upload.headers
    body = parse_form(upload.headers["Content-Type"], upload.raw)
    [part] = body.files
    assert (part.name, part.filename, part.content_type) == ("image", "photo.png", "image/png")
    assert part.data == picture
    assert body.form_record() == {
        "promptText": "wind",
        "resolution": "720p",
        "duration": "5",
    }
    assert text.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "fal_webhook" not in text.path and b"webhook" not in text.raw


@pytest.mark.parametrize(
    ("answer", "status", "extra"),
    [
        ({"id": "v", "status": "queued", "url": None, "progress": None}, JobStatus.QUEUED, {}),
        ({"id": "v", "status": "started", "progress": 40}, JobStatus.RUNNING, {"progress": 40}),
        (
            {"id": "v", "status": "finished", "url": "https://r/v.mp4", "progress": 100},
            JobStatus.SUCCEEDED,
            {"result_url": "https://r/v.mp4"},
        ),
        ({"id": "v", "status": "finished", "url": None}, JobStatus.RUNNING, {}),
        ({"id": "v", "status": "Failed", "error": "nsfw"}, JobStatus.FAILED, {"error": "nsfw"}),
        ({"id": "v", "status": "cancelled"}, JobStatus.FAILED, {}),
        ({"id": "v", "status": "rendering", "extra": [1]}, JobStatus.RUNNING, {}),
    ],
)
def test_dev_api_status_answers_are_read_tolerantly(answer, status, extra):
    job = pikadev.parse_video("v", answer)
    assert job.status is status
    for key, value in extra.items():
        assert getattr(job, key) == value


def test_dev_api_failure_words_are_configurable():
    assert pikadev.parse_video("v", {"status": "rejected"}).status is JobStatus.RUNNING
    rejected = pikadev.parse_video("v", {"status": "rejected"}, frozenset({"rejected"}))
    assert rejected.status is JobStatus.FAILED


async def test_dev_api_key_check_raises_on_401_only(stub):
    stub.queue("GET", "/videos/pika-discord-bot-key-check", Reply(404, {"detail": "nf"}))
    stub.queue("GET", "/videos/pika-discord-bot-key-check", Reply(401, {"detail": "bad"}))
    async with aiohttp.ClientSession() as session:
        provider = pikadev.PikadevProvider(session, stub.base_url, "dev-secret-9", sleep=Sleeps())
        await provider.check_key()
        with pytest.raises(AuthenticationError, match="PIKA_API_KEY") as error:
            await provider.check_key()
        assert "dev-secret-9" not in str(error.value)
        assert await provider.cancel("v") is False
        assert await provider.recover("job-1", _request("text")) is None


# -- fal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_every_fal_request_matches_its_field_table(name):
    model, body = fal.build_submission(_request(name))
    _check_fields(FAL_TABLES[model], body, f"{name} {model}")
    json.dumps(body)  # plain JSON


def test_fal_fields_carry_the_members_choices_and_transitions_split_the_length():
    model, body = fal.build_submission(_request("text"))
    assert model == "v2.2/text-to-video"
    assert body == {
        "prompt": "a kite",
        "aspect_ratio": "9:16",
        "resolution": "720p",
        "duration": 5,
        "negative_prompt": "blurry",
        "seed": 42,
    }
    request = validate_request({**REQUESTS["frames"], "transitions": ["", "a storm"]})
    model, body = fal.build_submission(request)
    assert model == "v2.2/pikaframes"
    assert body["transitions"] == [{"duration": 5}, {"duration": 5, "prompt": "a storm"}]
    assert body["prompt"] == "day to night" and body["resolution"] == "1080p"
    assert "duration" not in body  # the transitions say it
    _, image = fal.build_submission(_request("image"))
    assert image["image_url"] == IMAGE and "aspect_ratio" not in image


async def test_fal_submits_with_key_and_webhook_then_follows_the_short_app_path(stub):
    root = f"{stub.base_url}/fal-ai/pika/requests/r-1"
    submitted = {
        "status": "IN_QUEUE",
        "request_id": "r-1",
        "response_url": root,
        "status_url": f"{root}/status",
        "cancel_url": f"{root}/cancel",
    }
    stub.always("POST", "/fal-ai/pika/v2.2/text-to-video", Reply(200, submitted))
    status = "/fal-ai/pika/requests/r-1/status"
    stub.queue("GET", status, Reply(202, {"status": "IN_QUEUE", "queue_position": 0}))
    stub.queue("GET", status, Reply(202, {"status": "IN_PROGRESS", "logs": None}))
    stub.queue("GET", status, Reply(200, {"status": "COMPLETED", "metrics": {}}))
    video = {"video": {"url": "https://v3.fal.media/files/x.mp4", "content_type": "video/mp4"}}
    stub.always("GET", "/fal-ai/pika/requests/r-1", Reply(200, video))
    async with aiohttp.ClientSession() as session:
        provider = fal.FalProvider(session, stub.base_url, "fal-key", sleep=Sleeps())
        hook = "https://bot.example/pika/webhook/7/abc"
        assert await provider.submit(_request("text"), webhook_url=hook) == "r-1"
        assert (await provider.fetch("r-1")).status is JobStatus.QUEUED
        assert (await provider.fetch("r-1")).status is JobStatus.RUNNING
        done = await provider.fetch("r-1")
    assert done.status is JobStatus.SUCCEEDED and done.result_url == video["video"]["url"]
    post = stub.seen[0]
    assert post.headers["Authorization"] == "Key fal-key" and "X-API-KEY" not in post.headers
    assert post.json["prompt"] == "a kite"
    raw_query = [seen for seen in stub.seen if seen.method == "POST"]
    assert len(raw_query) == 1
    assert [seen.path for seen in stub.seen[1:]] == [status] * 3 + ["/fal-ai/pika/requests/r-1"]


async def test_fal_webhook_is_sent_url_encoded_as_fal_webhook(stub):
    seen_query: list[str] = []

    async def submit(request: aiohttp.web.Request) -> aiohttp.web.Response:
        seen_query.append(request.query["fal_webhook"])
        return aiohttp.web.json_response({"request_id": "r-2"})

    app = aiohttp.web.Application()
    app.router.add_post("/fal-ai/pika/v1.5/pikaffects", submit)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with aiohttp.ClientSession() as session:
            provider = fal.FalProvider(
                session, f"http://127.0.0.1:{runner.addresses[0][1]}", "k", sleep=Sleeps()
            )
            await provider.submit(_request("pikaffect"), webhook_url="https://b.example/w/1/t")
    finally:
        await runner.cleanup()
    assert seen_query == ["https://b.example/w/1/t"]


@pytest.mark.parametrize(
    ("status", "result", "failure", "words"),
    [
        (
            {"status": "COMPLETED", "error": "No media", "error_type": "no_media_generated"},
            None,
            FailureReason.PIKA_FAILED,
            "No media",
        ),
        (
            {"status": "COMPLETED", "error": "x", "error_type": "content_policy_violation"},
            None,
            FailureReason.PIKA_REFUSED,
            "x",
        ),
        (
            {"status": "COMPLETED", "error_type": "runner_disconnected"},
            None,
            FailureReason.PIKA_UNAVAILABLE,
            "fal could not make this video",
        ),
        (
            {"status": "COMPLETED"},
            Reply(422, {"detail": [{"loc": ["body"], "msg": "bad image", "type": "value_error"}]}),
            FailureReason.PIKA_FAILED,
            "bad image",
        ),
    ],
)
async def test_fal_completed_covers_failures(stub, status, result, failure, words):
    stub.always("GET", "/fal-ai/pika/requests/r/status", Reply(200, status))
    if result is not None:
        stub.always("GET", "/fal-ai/pika/requests/r", result)
    async with aiohttp.ClientSession() as session:
        provider = fal.FalProvider(session, stub.base_url, "k", sleep=Sleeps())
        job = await provider.fetch("r")
    assert job.status is JobStatus.FAILED and job.failure is failure and job.error == words


@pytest.mark.parametrize(
    ("answers", "confirmed"),
    [
        ([Reply(200, {"status": "OK"})], True),
        (
            [
                Reply(202, {"status": "CANCELLATION_REQUESTED"}),
                Reply(202, {"status": "IN_PROGRESS"}),
                Reply(200, {"status": "COMPLETED", "error_type": "request_cancelled"}),
            ],
            True,
        ),
        (
            [
                Reply(202, {"status": "CANCELLATION_REQUESTED"}),
                Reply(200, {"status": "COMPLETED", "metrics": {}}),
            ],
            False,
        ),
        ([Reply(400, {"status": "ALREADY_COMPLETED"})], False),
        ([Reply(404, {"status": "NOT_FOUND"})], False),
    ],
)
async def test_fal_cancel_is_true_only_when_fal_confirms(stub, answers, confirmed):
    stub.queue("PUT", "/fal-ai/pika/requests/r/cancel", answers[0])
    stub.queue("GET", "/fal-ai/pika/requests/r/status", *answers[1:])
    async with aiohttp.ClientSession() as session:
        provider = fal.FalProvider(session, stub.base_url, "k", sleep=Sleeps(), look_sleep=Sleeps())
        assert await provider.cancel("r") is confirmed


async def test_fal_push_signatures_are_checked_against_the_jwks(stub):
    signer = WebhookSigner("fal-1")
    stub.always("GET", "/.well-known/jwks.json", Reply(200, signer.jwks()))
    body = b'{"request_id": "r", "status": "OK", "payload": {}}'
    now = 1_800_000_000
    async with aiohttp.ClientSession() as session:
        provider = fal.FalProvider(
            session,
            stub.base_url,
            "k",
            jwks_url=f"{stub.base_url}/.well-known/jwks.json",
            clock=lambda: now,
            sleep=Sleeps(),
        )
        good = signer.headers("r", "u", body, timestamp=now)
        assert await provider.verify_push(good, body)
        assert not await provider.verify_push(good, body + b" ")
        assert not await provider.verify_push({}, body)
        assert not await provider.verify_push(WebhookSigner().headers("r", "u", body), body)
        late = signer.headers("r", "u", body, timestamp=now - 301)
        assert not await provider.verify_push(late, body)
        assert provider.pushed_job_id(json.loads(body)) == "r"
    jwks_reads = [s for s in stub.seen if s.path == "/.well-known/jwks.json"]
    # Cached: one read, and one more when an unknown signature came (the min refresh age
    # has not passed, so no more).
    assert len(jwks_reads) == 1
    assert all("Authorization" not in s.headers for s in jwks_reads)


async def test_fal_key_check_names_fal_key(stub):
    stub.always(
        "GET",
        "/fal-ai/pika/requests/00000000-0000-0000-0000-000000000000/status",
        Reply(401, {"detail": "Unauthorized", "error_type": "unauthorized"}),
    )
    async with aiohttp.ClientSession() as session:
        provider = fal.FalProvider(session, stub.base_url, "secret-fal-key", sleep=Sleeps())
        with pytest.raises(AuthenticationError, match="FAL_KEY") as error:
            await provider.check_key()
    assert "secret-fal-key" not in str(error.value)
