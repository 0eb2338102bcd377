"""fal's queue: Key auth, the four URLs, 422s, queue positions, cancel, signed webhooks."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.pika.simulator import Simulator, SimulatorConfig
from bot.pika.simulator.fal_checks import ASPECT_RATIOS
from bot.pika.simulator.signing import verify
from tests.pika.test_simulator_hd_support import (
    DEV_AUTH,
    FAL_AUTH,
    FakeClock,
    fal_result,
    fal_status,
    fal_submit,
    fal_wait,
    until,
    webhook_receiver,
)
from tests.pika.test_simulator_support import AUTH, KEY, decode, download

IMAGE = "https://example.image/cat.png"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    config = SimulatorConfig(job_seconds=0.2, api_key=KEY, fal_concurrency=0, seed=5)
    async with Simulator(config) as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def detail(*problems: tuple[list[Any], str, str]) -> dict[str, Any]:
    return {"detail": [{"loc": loc, "msg": msg, "type": kind} for loc, msg, kind in problems]}


async def post(
    session: aiohttp.ClientSession, sim: Simulator, model: str, body: Any, **kwargs: Any
) -> tuple[int, Any]:
    headers = kwargs.pop("headers", FAL_AUTH)
    async with session.post(
        f"{sim.fal_base}/fal-ai/pika/{model}", json=body, headers=headers, **kwargs
    ) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Key wrong"}, AUTH, DEV_AUTH, {"Authorization": KEY}],
    ids=["none", "wrong-key", "bearer", "x-api-key", "no-scheme"],
)
async def test_routes_need_the_key_scheme(
    sim: Simulator, session: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    status, answer = await post(
        session, sim, "v2.2/text-to-video", {"prompt": "a"}, headers=headers
    )
    assert status == 401
    assert answer == {
        "detail": "Missing or invalid credentials (Authorization: Key <key>)",
        "error_type": "unauthorized",
    }
    for method, path in (("GET", "/status"), ("GET", ""), ("PUT", "/cancel")):
        url = f"{sim.fal_base}/fal-ai/pika/requests/some-id{path}"
        async with session.request(method, url, headers=headers) as response:
            assert response.status == 401
            assert response.headers["X-Fal-Error-Type"] == "unauthorized"
    assert len(sim.jobs) == 0
    # The webhook keys are public, like fal's.
    async with session.get(sim.fal_jwks_url) as response:
        assert response.status == 200


async def test_text_to_video_through_the_queue_protocol_to_1080p_for_ten_seconds(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    body = {"prompt": "a red fox", "resolution": "1080p", "duration": 10, "aspect_ratio": "9:16"}
    submitted = await fal_submit(session, sim, "v2.2/text-to-video", body)
    request_id = submitted["request_id"]
    root = f"{sim.fal_base}/fal-ai/pika/requests/{request_id}"
    assert submitted == {
        "status": "IN_QUEUE",
        "request_id": request_id,
        "response_url": root,
        "status_url": root + "/status",
        "cancel_url": root + "/cancel",
        "queue_position": 0,
    }
    seen: list[dict[str, Any]] = []
    done = await fal_wait(session, submitted, seen=seen)
    assert {answer["status"] for answer in seen} <= {"IN_QUEUE", "IN_PROGRESS", "COMPLETED"}
    assert all(answer["logs"] is None for answer in seen if answer["status"] != "IN_QUEUE")
    assert set(done) == {
        "status",
        "logs",
        "metrics",
        "request_id",
        "response_url",
        "status_url",
        "cancel_url",
    }
    assert done["metrics"]["inference_time"] > 0
    assert "error" not in done

    status, result = await fal_result(session, submitted)
    assert status == 200
    video = result["video"]
    assert set(video) == {"url", "content_type", "file_name", "file_size"}
    assert video["content_type"] == "video/mp4"
    data, _ = await download(session, video["url"])
    assert video["file_size"] == len(data)
    assert video["url"].endswith("/" + video["file_name"])
    decoded = decode(data)
    assert (decoded.width, decoded.height, decoded.fps, decoded.frames) == (1080, 1920, 8, 80)
    assert decoded.seconds == pytest.approx(10.0, abs=1e-3)


def _case(model: str, body: dict[str, Any], size: tuple[int, int], seconds: int) -> Any:
    return pytest.param(model, body, size, seconds, id=f"{model}-{size[0]}x{size[1]}-{seconds}s")


@pytest.mark.parametrize(
    ("model", "body", "size", "seconds"),
    [
        _case("v2.2/text-to-video", {"prompt": "defaults"}, (1280, 720), 5),
        _case("v2.2/text-to-video", {"prompt": "p", "aspect_ratio": "4:5"}, (720, 900), 5),
        _case(
            "v2.2/image-to-video",
            {"prompt": "moves", "image_url": IMAGE, "duration": "10"},
            (1280, 720),
            10,
        ),
        _case(
            "v2.2/pikascenes",
            {"prompt": "scene", "image_urls": [IMAGE, IMAGE], "aspect_ratio": "1:1"},
            (1080, 1080),
            5,
        ),
        _case(
            "v2.2/pikascenes",
            {"prompt": "older form", "images": [{"image_url": IMAGE}], "resolution": "720p"},
            (1280, 720),
            5,
        ),
        _case(
            "v2.2/pikaframes",
            {
                "image_urls": [IMAGE, IMAGE, IMAGE],
                "transitions": [{"duration": 3, "prompt": "zoom"}, {"duration": 4}],
            },
            (1280, 720),
            7,
        ),
        _case(
            "v2.2/pikaframes",
            {"image_urls": [IMAGE, IMAGE, IMAGE], "prompt": "every", "resolution": "1080p"},
            (1920, 1080),
            10,
        ),
        _case("v1.5/pikaffects", {"image_url": IMAGE, "pikaffect": "Squish"}, (1280, 720), 5),
    ],
)
async def test_every_model_makes_a_video_of_the_asked_size_and_length(
    sim: Simulator,
    session: aiohttp.ClientSession,
    model: str,
    body: dict[str, Any],
    size: tuple[int, int],
    seconds: int,
) -> None:
    submitted = await fal_submit(session, sim, model, body)
    done = await fal_wait(session, submitted)
    assert "error" not in done, done
    status, result = await fal_result(session, submitted)
    assert status == 200
    decoded = decode((await download(session, result["video"]["url"]))[0])
    assert (decoded.width, decoded.height) == size
    assert decoded.frames == seconds * 8
    assert decoded.seconds == pytest.approx(seconds, abs=1e-3)


async def test_additions_and_swaps_follow_the_video_they_edit(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    body = {"prompt": "tall clip", "aspect_ratio": "9:16"}
    source = await fal_submit(session, sim, "v2.2/text-to-video", body)
    await fal_wait(session, source)
    source_url = (await fal_result(session, source))[1]["video"]["url"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{probe.getsockname()[1]}/gone.mp4"
    cases = [
        ("v2/pikadditions", {"video_url": source_url, "image_url": IMAGE}, (720, 1280)),
        ("v2/pikaswaps", {"video_url": source_url, "modify_region": "the sky"}, (720, 1280)),
        # A video that cannot be fetched gives a 16:9, 5 s edit.
        ("v2/pikaswaps", {"video_url": gone, "mask_url": IMAGE}, (1280, 720)),
    ]
    for model, edit, size in cases:
        submitted = await fal_submit(session, sim, model, edit)
        await fal_wait(session, submitted)
        decoded = decode(
            (await download(session, (await fal_result(session, submitted))[1]["video"]["url"]))[0]
        )
        assert (decoded.width, decoded.height, decoded.frames) == (*size, 40), model


async def test_logs_only_when_asked(session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    config = SimulatorConfig(job_seconds=10.0, clock=clock, api_key=KEY)
    async with Simulator(config) as sim:
        submitted = await fal_submit(session, sim, "v2.2/text-to-video", {"prompt": "slow"})
        clock.now += 5
        status, plain = await fal_status(session, submitted)
        assert (status, plain["status"], plain["logs"]) == (202, "IN_PROGRESS", None)
        status, logged = await fal_status(session, submitted, logs=True)
        assert status == 202
        assert logged["logs"][0]["message"] == "Starting generation"
        assert set(logged["logs"][0]) == {"message", "level", "source", "timestamp"}


async def test_text_to_video_refusals_as_pydantic_words_them(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    body = {
        "aspect_ratio": "4:3",
        "resolution": "4k",
        "duration": 7,
        "seed": "abc",
        "negative_prompt": 3,
    }
    status, answer = await post(session, sim, "v2.2/text-to-video", body)
    assert status == 422
    ratios = ", ".join(f"'{ratio}'" for ratio in list(ASPECT_RATIOS)[:-1])
    assert answer == detail(
        (["body", "prompt"], "Field required", "missing"),
        (["body", "negative_prompt"], "Input should be a valid string", "string_type"),
        (
            ["body", "seed"],
            "Input should be a valid integer, unable to parse string as an integer",
            "int_parsing",
        ),
        (["body", "aspect_ratio"], f"Input should be {ratios} or '2:3'", "literal_error"),
        (["body", "resolution"], "Input should be '720p' or '1080p'", "literal_error"),
        (["body", "duration"], "Input should be 5 or 10", "literal_error"),
    )
    async with session.post(
        f"{sim.fal_base}/fal-ai/pika/v2.2/text-to-video", data=b"{nope", headers=FAL_AUTH
    ) as response:
        assert response.status == 422
        assert await response.json() == detail((["body", 0], "JSON decode error", "json_invalid"))
    status, answer = await post(session, sim, "v2.2/text-to-video", ["a list"])
    assert (status, answer) == (
        422,
        detail(
            (
                ["body"],
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type",
            )
        ),
    )
    assert len(sim.jobs) == 0


async def test_media_and_keyframe_refusals(sim: Simulator, session: aiohttp.ClientSession) -> None:
    too_long = [{"duration": 10}, {"duration": 10}, {"duration": 6}]
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (
            "v2.2/image-to-video",
            {"prompt": "p", "image_url": "cat.png"},
            detail(
                (
                    ["body", "image_url"],
                    "Value error, must be an http(s) URL or a data: URI",
                    "value_error",
                )
            ),
        ),
        (
            "v2.2/pikaframes",
            {"image_urls": [IMAGE]},
            detail(
                (
                    ["body", "image_urls"],
                    "List should have at least 2 items after validation, not 1",
                    "too_short",
                )
            ),
        ),
        (
            "v2.2/pikaframes",
            {"image_urls": [IMAGE] * 6},
            detail(
                (
                    ["body", "image_urls"],
                    "List should have at most 5 items after validation, not 6",
                    "too_long",
                )
            ),
        ),
        (
            "v2.2/pikaframes",
            {"image_urls": [IMAGE, IMAGE], "transitions": [{"duration": 5}, {"duration": 0.5}]},
            detail(
                (
                    ["body", "transitions", 1, "duration"],
                    "Input should be a valid integer, got a number with a fractional part",
                    "int_from_float",
                ),
                (
                    ["body", "transitions"],
                    "Value error, expected 1 transitions for 2 images, got 2",
                    "value_error",
                ),
            ),
        ),
        (
            "v2.2/pikaframes",
            {"image_urls": [IMAGE] * 4, "transitions": too_long},
            detail(
                (
                    ["body", "transitions"],
                    "Value error, the transitions last 26 s in all, more than 25 s",
                    "value_error",
                )
            ),
        ),
        (
            "v2.2/pikascenes",
            {"prompt": "p", "image_urls": [], "ingredients_mode": "loose"},
            detail(
                (
                    ["body", "image_urls"],
                    "List should have at least 1 item after validation, not 0",
                    "too_short",
                ),
                (
                    ["body", "ingredients_mode"],
                    "Input should be 'precise' or 'creative'",
                    "literal_error",
                ),
            ),
        ),
        (
            "v1.5/pikaffects",
            {"image_url": IMAGE},
            detail((["body", "pikaffect"], "Field required", "missing")),
        ),
        (
            "v2/pikadditions",
            {"video_url": IMAGE},
            detail((["body", "image_url"], "Field required", "missing")),
        ),
        ("v2/pikaswaps", {}, detail((["body", "video_url"], "Field required", "missing"))),
    ]
    for model, body, expected in cases:
        assert await post(session, sim, model, body) == (422, expected), (model, body)
    status, answer = await post(
        session, sim, "v2.2/text-to-video", {"prompt": "p"}, params={"fal_webhook": "nowhere"}
    )
    assert (status, answer) == (
        422,
        detail((["query", "fal_webhook"], "Value error, must be an http(s) URL", "value_error")),
    )
    assert len(sim.jobs) == 0


async def test_unknown_requests_and_model_paths(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    root = f"{sim.fal_base}/fal-ai/pika/requests/unknown"
    for url in (root, root + "/status"):
        async with session.get(url, headers=FAL_AUTH) as response:
            assert response.status == 404
            assert (await response.json())["detail"] == "Request not found"
    async with session.put(root + "/cancel", headers=FAL_AUTH) as response:
        assert (response.status, await response.json()) == (404, {"status": "NOT_FOUND"})
    submitted = await fal_submit(session, sim, "v2.2/text-to-video", {"prompt": "p"})
    # Status lives under the app's short path, not under the model's.
    long = f"{sim.fal_base}/fal-ai/pika/v2.2/text-to-video/requests/{submitted['request_id']}"
    async with session.get(long + "/status", headers=FAL_AUTH) as response:
        assert response.status in (404, 405)
    status, _ = await post(session, sim, "v9/unknown-model", {"prompt": "p"})
    assert status == 404


async def test_queue_positions_move_with_the_concurrency_limit(
    session: aiohttp.ClientSession,
) -> None:
    clock = FakeClock()
    config = SimulatorConfig(job_seconds=4.0, clock=clock, fal_concurrency=2, api_key=KEY)
    async with Simulator(config) as sim:
        submitted = [
            await fal_submit(session, sim, "v2.2/text-to-video", {"prompt": f"clip {index}"})
            for index in range(4)
        ]
        assert [answer["queue_position"] for answer in submitted] == [0, 1, 2, 3]
        await until(lambda: all(job.result is not None for job in sim.jobs))

        async def states() -> list[tuple[int, str, int | None]]:
            found = []
            for answer in submitted:
                status, body = await fal_status(session, answer)
                found.append((status, body["status"], body.get("queue_position")))
            return found

        # Picked up after 1 s: two run, two wait their turn.
        assert await states() == [
            (202, "IN_QUEUE", 0),
            (202, "IN_QUEUE", 1),
            (202, "IN_QUEUE", 2),
            (202, "IN_QUEUE", 3),
        ]
        clock.now += 1.0
        assert await states() == [
            (202, "IN_PROGRESS", None),
            (202, "IN_PROGRESS", None),
            (202, "IN_QUEUE", 0),
            (202, "IN_QUEUE", 1),
        ]
        clock.now += 3.0
        assert await states() == [
            (200, "COMPLETED", None),
            (200, "COMPLETED", None),
            (202, "IN_PROGRESS", None),
            (202, "IN_PROGRESS", None),
        ]
        clock.now += 3.0
        assert [state[1] for state in await states()] == ["COMPLETED"] * 4
        assert (await fal_status(session, submitted[2]))[1]["metrics"]["inference_time"] == 3.0


async def test_cancel_in_each_state(session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    config = SimulatorConfig(job_seconds=4.0, clock=clock, fal_concurrency=1, api_key=KEY)
    async with Simulator(config) as sim:
        running, queued, later = [
            await fal_submit(session, sim, "v2.2/text-to-video", {"prompt": f"clip {index}"})
            for index in range(3)
        ]
        await until(lambda: all(job.result is not None for job in sim.jobs))
        clock.now += 1.5

        async def cancel(answer: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            async with session.put(answer["cancel_url"], headers=FAL_AUTH) as response:
                return response.status, await response.json()

        assert (await fal_status(session, queued))[1]["queue_position"] == 0
        assert await cancel(queued) == (200, {"status": "OK"})
        status, body = await fal_status(session, queued)
        assert (status, body["status"]) == (200, "COMPLETED")
        assert (body["error"], body["error_type"]) == ("Request was cancelled", "request_cancelled")
        assert body["metrics"] == {"inference_time": None}
        assert await fal_result(session, queued) == (
            400,
            {"detail": "Request was cancelled", "error_type": "request_cancelled"},
        )
        # The cancelled request left the queue: the next one moved up.
        assert (await fal_status(session, later))[1]["queue_position"] == 0

        assert (await fal_status(session, running))[1]["status"] == "IN_PROGRESS"
        assert await cancel(running) == (202, {"status": "CANCELLATION_REQUESTED"})
        status, body = await fal_status(session, running)
        assert (status, body["status"], body["error_type"]) == (
            200,
            "COMPLETED",
            "request_cancelled",
        )
        assert await cancel(running) == (400, {"status": "ALREADY_COMPLETED"})
        # Its slot is free at once: the last request runs now and completes normally.
        assert (await fal_status(session, later))[1]["status"] == "IN_PROGRESS"
        clock.now += 3.0
        assert "error" not in (await fal_wait(session, later))
        assert await cancel(later) == (400, {"status": "ALREADY_COMPLETED"})
        assert (await fal_result(session, later))[0] == 200


async def test_a_running_request_may_ignore_its_cancel(session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    config = SimulatorConfig(job_seconds=4.0, clock=clock, fal_honours_cancel=False)
    async with Simulator(config) as sim:
        async with session.post(
            f"{sim.fal_base}/fal-ai/pika/v2.2/text-to-video", json={"prompt": "stubborn"}
        ) as response:
            submitted = await response.json()
        await until(lambda: all(job.result is not None for job in sim.jobs))
        clock.now += 2.0
        async with session.put(submitted["cancel_url"]) as response:
            assert (response.status, await response.json()) == (
                202,
                {"status": "CANCELLATION_REQUESTED"},
            )
        assert (await fal_status(session, submitted))[1]["status"] == "IN_PROGRESS"
        clock.now += 2.0
        done = await fal_wait(session, submitted)
        assert "error" not in done
        assert (await fal_result(session, submitted))[0] == 200


def plain_verify(jwks: dict[str, Any], headers: dict[str, str], body: bytes) -> bool:
    """Verify a push from the reference's recipe alone (PIKA_OFFICIAL.md §2.4)."""
    message = "\n".join(
        [
            headers["X-Fal-Webhook-Request-Id"],
            headers["X-Fal-Webhook-User-Id"],
            headers["X-Fal-Webhook-Timestamp"],
            hashlib.sha256(body).hexdigest(),
        ]
    ).encode()
    signature = bytes.fromhex(headers["X-Fal-Webhook-Signature"])
    for key in jwks["keys"]:
        raw = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
        try:
            Ed25519PublicKey.from_public_bytes(raw).verify(signature, message)
        except InvalidSignature:
            continue
        return True
    return False


async def test_webhooks_are_signed_with_the_published_key(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update(
        {
            "fail_jobs": {
                "marker": "[fail]",
                "message": "Content refused",
                "error_type": "content_policy_violation",
            }
        }
    )
    async with webhook_receiver() as receiver:
        hook = {"fal_webhook": receiver.url}
        ok = await fal_submit(session, sim, "v2.2/text-to-video", {"prompt": "ok"}, params=hook)
        bad = await fal_submit(
            session, sim, "v2.2/text-to-video", {"prompt": "no [fail]"}, params=hook
        )
        assert ok["gateway_request_id"] != ok["request_id"]
        assert sim.requests[0].query == {"fal_webhook": receiver.url}
        await until(lambda: len(receiver.received) == 2)
        await fal_wait(session, ok)
    async with session.get(sim.fal_jwks_url) as response:
        jwks = await response.json()
    key = jwks["keys"][0]
    assert (key["kty"], key["crv"]) == ("OKP", "Ed25519")

    pushes = {json.loads(push.body)["request_id"]: push for push in receiver.received}
    good = pushes[ok["request_id"]]
    payload = json.loads(good.body)
    assert payload == {
        "request_id": ok["request_id"],
        "gateway_request_id": ok["gateway_request_id"],
        "status": "OK",
        "payload": (await fal_result(session, ok))[1],
    }
    assert good.headers["Content-Type"] == "application/json"
    assert good.headers["X-Fal-Webhook-Request-Id"] == ok["request_id"]
    assert plain_verify(jwks, good.headers, good.body)
    assert verify(jwks, good.headers, good.body)
    tampered = good.body.replace(b'"OK"', b'"KO"')
    assert not plain_verify(jwks, good.headers, tampered)
    assert not verify(jwks, good.headers, tampered)
    late = {**good.headers, "X-Fal-Webhook-Timestamp": "1000"}
    assert not verify(jwks, late, good.body)

    failed = pushes[bad["request_id"]]
    assert plain_verify(jwks, failed.headers, failed.body)
    assert json.loads(failed.body) == {
        "request_id": bad["request_id"],
        "gateway_request_id": bad["gateway_request_id"],
        "status": "ERROR",
        "error": "Invalid status code: 422",
        "payload": {
            "detail": [
                {"loc": ["body"], "msg": "Content refused", "type": "content_policy_violation"}
            ]
        },
    }
    assert {delivery.status for delivery in sim.webhooks} == {200}


async def test_failed_requests_complete_with_an_error(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"fail_jobs": {"count": 1}})
    failed = await fal_submit(session, sim, "v2.2/pikaframes", {"image_urls": [IMAGE, IMAGE]})
    fine = await fal_submit(session, sim, "v2.2/pikaframes", {"image_urls": [IMAGE, IMAGE]})
    done = await fal_wait(session, failed)
    assert done["error"] == "The video could not be generated (simulated failure)"
    assert done["error_type"] == "no_media_generated"
    assert await fal_result(session, failed) == (
        422,
        detail((["body"], done["error"], "no_media_generated")),
    )
    assert "error" not in await fal_wait(session, fine)
