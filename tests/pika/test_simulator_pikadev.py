"""The Pika developer API dialect: X-API-KEY, forms with real files, 422s, sized videos."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.pika.simulator import Simulator, SimulatorConfig
from bot.pika.simulator.pikadev_checks import PIKAFFECTS
from tests.pika.test_simulator_hd_support import (
    DEV_AUTH,
    FAL_AUTH,
    dev_post,
    dev_submit,
    dev_wait,
    form,
    image,
    mp4,
    png_upload,
)
from tests.pika.test_simulator_support import AUTH, KEY, decode, download, feed_body


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimulatorConfig(job_seconds=0.2, api_key=KEY, seed=3)) as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def detail(*problems: tuple[list[Any], str, str]) -> dict[str, Any]:
    return {"detail": [{"loc": loc, "msg": msg, "type": kind} for loc, msg, kind in problems]}


MISSING = "Field required"


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-KEY": "wrong"}, AUTH, FAL_AUTH, {"Authorization": f"X-API-KEY {KEY}"}],
    ids=["none", "wrong-key", "bearer", "fal-key", "authorization-header"],
)
async def test_routes_need_the_x_api_key_header(
    sim: Simulator, session: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    for path in ("/generate/2.2/t2v", "/generate/2.2/i2v"):
        status, answer = await dev_post(session, sim, path, {"promptText": "a"}, headers=headers)
        assert status == 401
        assert answer == {"detail": "Missing or invalid API key (X-API-KEY: <key>)"}
    async with session.get(f"{sim.pikadev_base}/videos/any", headers=headers) as response:
        assert response.status == 401
    assert len(sim.jobs) == 0
    assert all("x-api-key" not in {h.lower() for h in r.headers} for r in sim.requests)


async def test_t2v_urlencoded_goes_through_the_lifecycle_to_1080p_for_ten_seconds(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    fields = {"promptText": "a red fox", "resolution": "1080p", "duration": "10", "seed": "7"}
    video_id = await dev_submit(session, sim, "/generate/2.2/t2v", fields)
    assert sim.requests[-1].headers["Content-Type"] == "application/x-www-form-urlencoded"
    seen: list[dict[str, Any]] = []
    done = await dev_wait(session, sim, video_id, seen=seen)
    assert {answer["status"] for answer in seen} <= {"queued", "started", "finished"}
    assert all(answer["url"] is None for answer in seen[:-1])
    progress = [answer["progress"] for answer in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    assert set(done) == {"id", "status", "url", "progress"}
    assert done["id"] == video_id and done["status"] == "finished"
    assert done["url"].endswith("a_red_fox_seed7.mp4")

    data, response = await download(session, done["url"])
    assert response.headers["Content-Type"] == "video/mp4"
    decoded = decode(data)
    assert (decoded.codec, decoded.pix_fmt) == ("h264", "yuv420p")
    assert (decoded.width, decoded.height) == (1920, 1080)
    assert (decoded.fps, decoded.frames) == (8, 80)
    assert decoded.seconds == pytest.approx(10.0, abs=1e-3)


def _case(path: str, data: Any, size: tuple[int, int], seconds: float) -> Any:
    return pytest.param(path, data, size, seconds, id=path.rsplit("/", 1)[-1])


@pytest.mark.parametrize(
    ("path", "data", "size", "seconds"),
    [
        _case("/generate/2.2/t2v", {"promptText": "defaults"}, (1920, 1080), 5),
        _case(
            "/generate/2.2/t2v",
            form({"promptText": "tall", "resolution": "720p", "aspectRatio": "0.5625"}),
            (720, 1280),
            5,
        ),
        _case("/generate/turbo/t2v", {"promptText": "turbo", "aspectRatio": "1"}, (720, 720), 5),
        _case(
            "/generate/2.2/i2v",
            form({"resolution": "720p", "duration": "10"}, image=png_upload(540, 960)),
            (720, 1280),
            10,
        ),
        _case(
            "/generate/2.2/pikaframes",
            form(
                {"promptText": "morph", "resolution": "720p", "duration": "7"},
                keyFrames=[
                    ("a.jpg", image(400, 400, "mjpeg"), "image/jpeg"),
                    ("b.png", image(64, 64), "image/png"),
                    ("c.png", image(64, 64), "image/png"),
                ],
            ),
            (720, 720),
            7,
        ),
        _case(
            "/generate/2.2/pikascenes",
            form(
                {"ingredientsMode": "precise", "aspectRatio": "0.8", "resolution": "720p"},
                images=[png_upload(name="cat.png"), png_upload(name="hat.png")],
            ),
            (720, 900),
            5,
        ),
        _case(
            "/generate/pikaffects",
            form({"pikaffect": "Melt"}, image=png_upload(1600, 900)),
            (1280, 720),
            5,
        ),
        _case(  # a panorama is held to the widest ratio the API knows, 2.5
            "/generate/2.2/i2v",
            form({"resolution": "720p"}, image=png_upload(2000, 200)),
            (1800, 720),
            5,
        ),
    ],
)
async def test_every_generate_route_makes_a_video_of_the_asked_size_and_length(
    sim: Simulator,
    session: aiohttp.ClientSession,
    path: str,
    data: Any,
    size: tuple[int, int],
    seconds: float,
) -> None:
    video_id = await dev_submit(session, sim, path, data)
    done = await dev_wait(session, sim, video_id)
    assert done["status"] == "finished", done
    decoded = decode((await download(session, done["url"]))[0])
    assert (decoded.width, decoded.height) == size
    assert decoded.frames == seconds * 8
    assert decoded.seconds == pytest.approx(seconds, abs=1e-3)


async def test_additions_and_swaps_keep_the_uploaded_videos_shape_and_length(
    sim: Simulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    tall = ("clip.mp4", mp4(tmp_path / "tall", 180, 320, 2.0), "video/mp4")
    additions = form({"promptText": "add a hat"}, video=tall, image=png_upload())
    swaps = form({"modifyRegionRoi": "the dog"}, video=tall, image=png_upload())
    masked = form({}, video=tall, modifyRegionMask=png_upload(180, 320, "mask.png"))
    planes = []
    for path, data in (
        ("/generate/pikadditions", additions),
        ("/generate/pikaswaps", swaps),
        ("/generate/pikaswaps", masked),
    ):
        done = await dev_wait(session, sim, await dev_submit(session, sim, path, data))
        decoded = decode((await download(session, done["url"]))[0])
        assert (decoded.width, decoded.height, decoded.frames) == (720, 1280, 16)
        assert decoded.seconds == pytest.approx(2.0, abs=1e-3)
        planes.append(decoded.planes)
    assert planes[0] != planes[1] != planes[2]
    operations = [job.submission.operation for job in sim.jobs]
    assert operations == ["additions", "swap", "swap"]


async def test_the_request_log_describes_uploads_without_their_bytes(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    picture = image(96, 54)
    data = form(
        {"promptText": "from an image", "seed": "42"},
        image=("photo.png", picture, "image/png"),
    )
    await dev_submit(session, sim, "/generate/2.2/i2v", data)
    async with session.get(f"{sim.base_url}/_sim/requests") as response:
        recorded = await response.json()
    submissions = [r for r in recorded if r["scope"] == "submit"]
    assert len(submissions) == 1
    record = submissions[0]
    assert record["path"] == "/pikadev/generate/2.2/i2v"
    assert record["form"] == {"promptText": "from an image", "seed": "42"}
    assert record["files"] == [
        {
            "name": "image",
            "filename": "photo.png",
            "content_type": "image/png",
            "size": len(picture),
        }
    ]
    assert record["text"] == "" and record["json"] is None
    assert record["authorized"] is True
    assert "X-API-KEY" not in record["headers"] and "x-api-key" not in record["headers"]


async def test_t2v_refusals_list_every_problem_as_fastapi_does(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    fields = {
        "promptText": "",
        "resolution": "4k",
        "duration": "7",
        "aspectRatio": "wide",
        "seed": "-1",
    }
    status, answer = await dev_post(session, sim, "/generate/2.2/t2v", fields)
    assert status == 422
    assert answer == detail(
        (["body", "promptText"], MISSING, "missing"),
        (["body", "seed"], "Input should be greater than or equal to 0", "greater_than_equal"),
        (["body", "resolution"], "Input should be '1080p' or '720p'", "literal_error"),
        (["body", "duration"], "Input should be 5 or 10", "literal_error"),
        (
            ["body", "aspectRatio"],
            "Input should be a valid number, unable to parse string as a number",
            "float_parsing",
        ),
    )
    fields = {"promptText": "x", "aspectRatio": "2.6", "seed": "4294967296", "duration": "ten"}
    status, answer = await dev_post(session, sim, "/generate/2.2/t2v", fields)
    assert status == 422
    assert answer == detail(
        (["body", "seed"], "Input should be less than or equal to 4294967295", "less_than_equal"),
        (
            ["body", "duration"],
            "Input should be a valid integer, unable to parse string as an integer",
            "int_parsing",
        ),
        (["body", "aspectRatio"], "Input should be less than or equal to 2.5", "less_than_equal"),
    )
    # A JSON body is no form: FastAPI finds no fields at all.
    async with session.post(
        f"{sim.pikadev_base}/generate/2.2/t2v", json={"promptText": "x"}, headers=DEV_AUTH
    ) as response:
        assert response.status == 422
        assert await response.json() == detail((["body", "promptText"], MISSING, "missing"))
    assert len(sim.jobs) == 0


async def test_media_route_refusals(sim: Simulator, session: aiohttp.ClientSession) -> None:
    frame = png_upload()
    cases: list[tuple[str, aiohttp.FormData, dict[str, Any]]] = [
        (
            "/generate/2.2/pikaframes",
            form({"duration": "11"}, keyFrames=[frame]),
            detail(
                (
                    ["body", "keyFrames"],
                    "List should have at least 2 items after validation, not 1",
                    "too_short",
                ),
                (["body", "promptText"], MISSING, "missing"),
                (
                    ["body", "duration"],
                    "Input should be less than or equal to 10",
                    "less_than_equal",
                ),
            ),
        ),
        (
            "/generate/2.2/pikaframes",
            form({"promptText": "p", "duration": "4"}, keyFrames=[frame] * 6),
            detail(
                (
                    ["body", "keyFrames"],
                    "List should have at most 5 items after validation, not 6",
                    "too_long",
                ),
                (
                    ["body", "duration"],
                    "Input should be greater than or equal to 5",
                    "greater_than_equal",
                ),
            ),
        ),
        (
            "/generate/2.2/pikascenes",
            form({"ingredientsMode": "loose"}, images=[frame]),
            detail(
                (
                    ["body", "ingredientsMode"],
                    "Input should be 'creative' or 'precise'",
                    "literal_error",
                )
            ),
        ),
        (
            "/generate/2.2/pikascenes",
            form({}),
            detail(
                (["body", "images"], MISSING, "missing"),
                (["body", "ingredientsMode"], MISSING, "missing"),
            ),
        ),
        (
            "/generate/pikaffects",
            form({"pikaffect": "Hearts Bouquet"}, image=frame),
            detail(
                (
                    ["body", "pikaffect"],
                    "Input should be "
                    + ", ".join(f"'{name}'" for name in PIKAFFECTS[:-1])
                    + f" or '{PIKAFFECTS[-1]}'",
                    "literal_error",
                )
            ),
        ),
        (
            "/generate/pikaswaps",
            form({"promptText": "a robe"}, image=frame),
            detail(
                (["body", "video"], MISSING, "missing"),
                (
                    ["body"],
                    "Value error, send modifyRegionMask or modifyRegionRoi (or both) to say"
                    " what to swap",
                    "value_error",
                ),
            ),
        ),
    ]
    for path, data, expected in cases:
        status, answer = await dev_post(session, sim, path, data)
        assert (status, answer) == (422, expected), path
    assert len(sim.jobs) == 0


async def test_file_parts_must_be_present_non_empty_and_of_the_right_kind(
    sim: Simulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    video = ("clip.mp4", mp4(tmp_path), "video/mp4")
    picture = png_upload()
    cases: list[tuple[str, Any, list[Any], str, str]] = [
        ("/generate/2.2/i2v", form({"promptText": "x"}), ["body", "image"], MISSING, "missing"),
        (
            "/generate/2.2/i2v",
            form(image=("empty.png", b"", "image/png")),
            ["body", "image"],
            "Value error, image is an empty file",
            "value_error",
        ),
        (
            "/generate/2.2/i2v",
            form(image=("disguised.png", video[1], "image/png")),
            ["body", "image"],
            "Value error, image must be a PNG, JPEG, WebP or GIF image",
            "value_error",
        ),
        (
            "/generate/2.2/i2v",
            form(image=("notes.png", b"just some text", "image/png")),
            ["body", "image"],
            "Value error, image must be a PNG, JPEG, WebP or GIF image",
            "value_error",
        ),
        (
            "/generate/2.2/i2v",
            form({"image": "https://example.image/cat.png"}),
            ["body", "image"],
            "Value error, Expected UploadFile, received: <class 'str'>",
            "value_error",
        ),
        (
            "/generate/pikadditions",
            form(video=("clip.mp4", picture[1], "video/mp4"), image=picture),
            ["body", "video"],
            "Value error, video must be an MP4 video",
            "value_error",
        ),
        (
            "/generate/2.2/pikaframes",
            form({"promptText": "p"}, keyFrames=[picture, ("b.png", b"", "image/png")]),
            ["body", "keyFrames", 1],
            "Value error, keyFrames is an empty file",
            "value_error",
        ),
    ]
    for path, data, loc, msg, kind in cases:
        status, answer = await dev_post(session, sim, path, data)
        assert (status, answer) == (422, detail((loc, msg, kind))), (path, loc, msg)
    # Without any multipart body at all, the file is simply missing.
    status, answer = await dev_post(session, sim, "/generate/pikaffects", {"pikaffect": "Melt"})
    assert (status, answer) == (422, detail((["body", "image"], MISSING, "missing")))
    assert len(sim.jobs) == 0


async def test_a_broken_multipart_body_and_an_unknown_id(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    headers = {**DEV_AUTH, "Content-Type": "multipart/form-data; boundary=xyz"}
    async with session.post(
        f"{sim.pikadev_base}/generate/2.2/i2v", data=b"--xyz\r\nno end", headers=headers
    ) as response:
        assert response.status == 400
        assert await response.json() == {"detail": "There was an error parsing the body"}
    async with session.post(
        f"{sim.feed_base}/pika/generate", json=feed_body(), headers=AUTH
    ) as response:
        feed_id = (await response.json())["id"]
    for video_id in ("nope", feed_id):  # another dialect's job is no video either
        async with session.get(
            f"{sim.pikadev_base}/videos/{video_id}", headers=DEV_AUTH
        ) as response:
            assert response.status == 404
            assert await response.json() == {"detail": "Video not found"}


async def test_failed_jobs_report_failed_without_a_url(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"fail_jobs": {"count": 1}})
    first = await dev_submit(session, sim, "/generate/2.2/t2v", {"promptText": "doomed"})
    second = await dev_submit(session, sim, "/generate/2.2/t2v", {"promptText": "fine"})
    marked = await dev_submit(session, sim, "/generate/turbo/t2v", {"promptText": "x [fail]"})
    outcomes = [await dev_wait(session, sim, video_id) for video_id in (first, second, marked)]
    assert [answer["status"] for answer in outcomes] == ["failed", "finished", "failed"]
    assert outcomes[0]["url"] is None
    assert set(outcomes[0]) == {"id", "status", "url", "progress"}


async def test_omitted_progress_is_null(sim: Simulator, session: aiohttp.ClientSession) -> None:
    video_id = await dev_submit(session, sim, "/generate/turbo/t2v", {"promptText": "quiet"})
    sim.faults.update({"omit_progress": {"rate": 1.0}})
    async with session.get(f"{sim.pikadev_base}/videos/{video_id}", headers=DEV_AUTH) as reply:
        answer = await reply.json()
    assert "progress" in answer and answer["progress"] is None
