"""The simulator end to end: submit in each dialect, poll, download and decode real videos."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.pika.simulator import Simulator, SimulatorConfig
from bot.pika.simulator.video import RenderSpec, render
from tests.pika.test_simulator_support import (
    AUTH,
    FEED_EXAMPLE,
    KEY,
    WEBBOT_V1_0,
    decode,
    download,
    feed_body,
    feed_done,
    jpeg_size,
    poll,
    wait_for,
    webbot_body,
    webbot_done,
)

RATIOS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "5:2": 2.5, "4:5": 0.8, "4:3": 4 / 3}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimulatorConfig(job_seconds=0.2, api_key=KEY)) as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def submit_webbot(
    session: aiohttp.ClientSession, sim: Simulator, route: str, body: dict[str, Any]
) -> dict[str, Any]:
    async with session.post(f"{sim.webbot_base}{route}", json=body, headers=AUTH) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def finished_webbot(
    session: aiohttp.ClientSession, sim: Simulator, job_id: str, **kwargs: Any
) -> dict[str, Any]:
    answer = await poll(
        session, "GET", f"{sim.webbot_base}/jobs/{job_id}", until=webbot_done, **kwargs
    )
    assert answer["videos"][0]["status"] == "finished", answer
    return answer


async def generate(
    session: aiohttp.ClientSession, sim: Simulator, **kwargs: Any
) -> tuple[dict[str, Any], bytes]:
    """Generate through the webbot dialect and return the finished video entry and its bytes."""
    submitted = await submit_webbot(session, sim, "/generate", webbot_body(**kwargs))
    done = await finished_webbot(session, sim, submitted["job"]["id"])
    video = done["videos"][0]
    data, _ = await download(session, video["resultUrl"])
    return video, data


async def test_webbot_generate_goes_through_the_lifecycle_to_a_real_video(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    body = webbot_body("a red fox in the snow", fps=12, seed=42)
    submitted = await submit_webbot(session, sim, "/generate", body)
    job = submitted["job"]
    assert job["status"] == "queued"
    assert job["requestType"] == "generate"
    assert job["params"]["promptText"] == "a red fox in the snow"
    assert job["params"]["options"] == body["options"]
    assert job["createdAt"].endswith("Z")
    assert submitted["video"]["jobId"] == job["id"]
    assert submitted["video"]["status"] == "queued"

    seen: list[dict[str, Any]] = []
    done = await finished_webbot(session, sim, job["id"], seen=seen)
    statuses = [answer["videos"][0]["status"] for answer in seen]
    assert set(statuses) <= {"queued", "delayed", "started", "finished"}
    progress = [answer["videos"][0]["progress"] for answer in seen]
    assert progress == sorted(progress) and progress[-1] == 100
    video = done["videos"][0]
    assert video["seed"] == 42
    assert video["duration"] == 3
    assert video["resultUrl"].startswith(sim.base_url + "/files/")
    assert video["resultUrl"].endswith("a_red_fox_in_the_snow_seed42.mp4")

    data, response = await download(session, video["resultUrl"])
    assert response.headers["Content-Type"] == "video/mp4"
    assert int(response.headers["Content-Length"]) == len(data)
    assert len(data) < 500_000
    decoded = decode(data)
    assert (decoded.codec, decoded.pix_fmt) == ("h264", "yuv420p")
    assert (decoded.width, decoded.height) == (256, 144)
    assert decoded.fps == 12
    assert decoded.frames == 36
    assert decoded.seconds == pytest.approx(3.0, abs=0.1)

    # Streaming players and resumable downloads ask for ranges.
    ranged = {"Range": "bytes=100-199"}
    async with session.get(video["resultUrl"], headers=ranged) as response:
        assert response.status == 206
        assert await response.read() == data[100:200]
    async with session.head(video["resultUrl"]) as response:
        assert response.status == 200
        assert int(response.headers["Content-Length"]) == len(data)

    poster, response = await download(session, video["videoPoster"])
    assert response.headers["Content-Type"] == "image/jpeg"
    assert jpeg_size(poster) == (256, 144)
    thumbnail, _ = await download(session, video["imageThumb"])
    assert jpeg_size(thumbnail) == (128, 72)


async def test_feed_example_body_is_accepted_and_finishes(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{sim.feed_base}/pika/generate", json=FEED_EXAMPLE, headers=AUTH
    ) as response:
        assert response.status == 200
        answer = await response.json()
    assert list(answer) == ["id"]

    seen: list[dict[str, Any]] = []
    done = await poll(
        session, "GET", f"{sim.feed_base}/pika/feed/{answer['id']}", until=feed_done, seen=seen
    )
    assert {a["videos"][0]["status"] for a in seen} <= {"queued", "pending", "finished"}
    assert done["id"] == answer["id"]
    assert done["promptText"] == "moving"
    video = done["videos"][0]
    assert video["status"] == "finished"
    assert video["error"] == ""
    assert video["progress"] == 100
    assert isinstance(video["seed"], int)
    data, _ = await download(session, video["resultUrl"])
    shared, _ = await download(session, video["sharingUrl"])
    assert shared == data
    decoded = decode(data)
    assert (decoded.width, decoded.height, decoded.fps, decoded.frames) == (256, 144, 24, 72)
    assert jpeg_size((await download(session, video["videoPoster"]))[0]) == (256, 144)


async def test_every_webbot_aspect_ratio_shapes_the_video(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    results = await asyncio.gather(
        *(generate(session, sim, ratio=name, fps=4, seed=1) for name in RATIOS)
    )
    for name, (_, data) in zip(RATIOS, results, strict=True):
        decoded = decode(data)
        assert decoded.width % 2 == 0 and decoded.height % 2 == 0
        assert decoded.width / decoded.height == pytest.approx(RATIOS[name], rel=0.03), name
        assert decoded.frames == 12


async def test_feed_numeric_ratio_shapes_the_video(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    body = feed_body("tall")
    body["options"]["aspectRatio"] = 0.5625
    body["options"]["frameRate"] = 8
    async with session.post(f"{sim.feed_base}/pika/generate", json=body, headers=AUTH) as reply:
        job_id = (await reply.json())["id"]
    done = await poll(session, "GET", f"{sim.feed_base}/pika/feed/{job_id}", until=feed_done)
    decoded = decode((await download(session, done["videos"][0]["resultUrl"]))[0])
    assert (decoded.width, decoded.height, decoded.fps, decoded.frames) == (144, 256, 8, 24)


async def test_extend_adds_four_seconds(sim: Simulator, session: aiohttp.ClientSession) -> None:
    source, _ = await generate(session, sim, fps=8, seed=3)
    body = webbot_body("keeps going", fps=8, video=source["resultUrl"])
    del body["promptText"]
    submitted = await submit_webbot(session, sim, "/extend", body)
    assert submitted["job"]["requestType"] == "extend"
    assert submitted["job"]["extended"] == 1
    done = await finished_webbot(session, sim, submitted["job"]["id"])
    assert done["videos"][0]["duration"] == 7
    decoded = decode((await download(session, done["videos"][0]["resultUrl"]))[0])
    assert decoded.frames == 56
    assert decoded.seconds == pytest.approx(7.0, abs=0.15)
    assert (decoded.width, decoded.height) == (256, 144)


async def test_upscale_doubles_the_resolution(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    source, source_bytes = await generate(session, sim, fps=6, seed=5)
    url = source["resultUrl"]
    answer = await submit_webbot(session, sim, "/upscale", {"video": url})
    assert answer["success"] is True
    assert answer["video"] == url
    assert "/jobs/upscaled" in answer["message"]
    again = await submit_webbot(session, sim, "/upscale", {"video": url})
    assert again["success"] is True
    assert sum(1 for job in sim.jobs if job.submission.operation == "upscale") == 1

    done = await poll(
        session, "POST", f"{sim.webbot_base}/jobs/upscaled", json={"video": url}, until=webbot_done
    )
    assert done["job"]["upscaled"] is True
    assert done["job"]["requestType"] == "upscale"
    video = done["videos"][0]
    assert video["status"] == "finished"
    assert video["resultUrl"].endswith(f"a_red_fox_in_the_snow_seed{source['seed']}_upscaled.mp4")
    assert video["seed"] == source["seed"]
    assert done["job"]["promptText"] == "a red fox in the snow"
    assert done["job"]["params"]["video"] == url
    upscaled = decode((await download(session, video["resultUrl"]))[0])
    original = decode(source_bytes)
    assert (upscaled.width, upscaled.height) == (original.width * 2, original.height * 2)
    assert upscaled.frames == original.frames
    # Get Job by id answers the same job.
    by_id = await finished_webbot(session, sim, done["job"]["id"])
    assert by_id["videos"][0]["resultUrl"] == video["resultUrl"]


async def test_lip_sync_keeps_the_length_and_marks_the_video(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    source, source_bytes = await generate(session, sim, fps=10, seed=7)
    body = {
        "video": source["resultUrl"],
        "speech": "https://example.audio/hello.wav",
        "speechStart": 0.5,
        "speechEnd": 2.5,
    }
    submitted = await submit_webbot(session, sim, "/lipSync", body)
    assert submitted["job"]["params"]["speechEnd"] == 2.5
    done = await finished_webbot(session, sim, submitted["job"]["id"])
    data = (await download(session, done["videos"][0]["resultUrl"]))[0]
    synced, original = decode(data), decode(source_bytes)
    assert (synced.frames, synced.width, synced.height) == (30, 256, 144)
    assert synced.seconds == pytest.approx(original.seconds, abs=0.05)
    assert synced.planes != original.planes


async def test_inpaint_keeps_the_frame_and_outpaint_changes_it(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    source, _ = await generate(session, sim, fps=4, seed=9)
    area = {"x": 10, "y": 10, "width": 50, "height": 40}
    inpaint = webbot_body("a hat", ratio=None, fps=4, mode="inpainting", area=area)
    inpaint["video"] = source["resultUrl"]
    outpaint = webbot_body("a wide canyon", ratio="1:1", fps=4, mode="outpainting", area=area)
    outpaint["video"] = source["resultUrl"]
    sizes = []
    for body in (inpaint, outpaint):
        submitted = await submit_webbot(session, sim, "/adjust", body)
        assert submitted["job"]["adjusted"] is True
        done = await finished_webbot(session, sim, submitted["job"]["id"])
        decoded = decode((await download(session, done["videos"][0]["resultUrl"]))[0])
        sizes.append((decoded.width, decoded.height))
    assert sizes == [(256, 144), (192, 192)]


async def test_additions_and_swap_on_our_own_video(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    source, source_bytes = await generate(session, sim, fps=4, seed=11)
    image = "https://example.image/sword.png"
    additions = webbot_body("add a glowing sword", fps=4, model="Turbo", image=image)
    additions["video"] = source["resultUrl"]
    swap = dict(additions, swapPrompt="the dress", promptText="a robe")
    planes = []
    for body, operation in ((additions, "additions"), (swap, "swap")):
        submitted = await submit_webbot(session, sim, "/generate", body)
        assert sim.jobs[submitted["job"]["id"]].submission.operation == operation
        done = await finished_webbot(session, sim, submitted["job"]["id"])
        planes.append(decode((await download(session, done["videos"][0]["resultUrl"]))[0]).planes)
    assert planes[0] != planes[1] != decode(source_bytes).planes


async def test_same_prompt_and_seed_give_identical_bytes_and_other_prompts_differ(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    (first, first_bytes), (second, second_bytes), (_, other_bytes) = await asyncio.gather(
        generate(session, sim, prompt="a lighthouse at dusk", seed=1234, fps=6),
        generate(session, sim, prompt="a lighthouse at dusk", seed=1234, fps=6),
        generate(session, sim, prompt="a submarine at dawn", seed=1234, fps=6),
    )
    assert first["jobId"] != second["jobId"]
    assert first_bytes == second_bytes
    assert decode(first_bytes).planes != decode(other_bytes).planes


def test_identical_specs_render_identical_bytes_without_the_cache(tmp_path: Path) -> None:
    spec = RenderSpec(256, 144, 6.0, 2.0, "a lighthouse at dusk", 99)
    first = render(spec, tmp_path / "one")
    second = render(spec, tmp_path / "two")
    assert first.video.read_bytes() == second.video.read_bytes()
    assert first.poster.read_bytes() == second.poster.read_bytes()
    reseeded = render(RenderSpec(256, 144, 6.0, 2.0, "a lighthouse at dusk", 100), tmp_path / "3")
    assert decode(reseeded.video.read_bytes()).planes != decode(first.video.read_bytes()).planes


async def test_a_seed_is_picked_per_job_when_none_is_sent(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    (first, first_bytes), (second, second_bytes) = await asyncio.gather(
        generate(session, sim, prompt="same words", fps=4),
        generate(session, sim, prompt="same words", fps=4),
    )
    assert isinstance(first["seed"], int) and isinstance(second["seed"], int)
    assert first["seed"] != second["seed"]
    assert f"_seed{first['seed']}.mp4" in first["resultUrl"]
    assert first_bytes != second_bytes


async def test_reference_request_examples_are_accepted(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    v1_5 = dict(WEBBOT_V1_0, model="1.5", pikaffect="Peel")
    v2_0 = {key: value for key, value in WEBBOT_V1_0.items() if key != "image"} | {
        "model": "2.0",
        "ingredientsMode": "precise",
        "ingredients": [],
    }
    ingredients = dict(v2_0, ingredients=["https://example.image/a.png", "https://x.y/b.jpg"])
    for body in (WEBBOT_V1_0, v1_5, v2_0, ingredients):
        await submit_webbot(session, sim, "/generate", body)
    operations = [job.submission.operation for job in sim.jobs]
    assert operations == ["generate", "pikaffect", "generate", "ingredients"]


async def test_a_foreign_source_video_is_downloaded_and_probed(
    sim: Simulator, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    foreign = render(RenderSpec(144, 256, 8.0, 2.0, "someone else's clip", 1), tmp_path / "src")

    async def clip(_: web.Request) -> web.FileResponse:
        return web.FileResponse(foreign.video)

    app = web.Application()
    app.router.add_get("/clip.mp4", clip)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        body = webbot_body("longer", ratio=None, fps=8, video=f"http://127.0.0.1:{port}/clip.mp4")
        submitted = await submit_webbot(session, sim, "/extend", body)
        done = await finished_webbot(session, sim, submitted["job"]["id"])
    finally:
        await runner.cleanup()
    decoded = decode((await download(session, done["videos"][0]["resultUrl"]))[0])
    assert (decoded.width, decoded.height) == (144, 256)
    assert decoded.frames == 48  # 2 s + 4 s at 8 fps


async def test_an_unreachable_source_video_falls_back_to_defaults(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    body = webbot_body("from nowhere", ratio=None, fps=4)
    body["video"] = f"http://127.0.0.1:{closed_port}/gone.mp4"
    submitted = await submit_webbot(session, sim, "/generate", body)
    done = await finished_webbot(session, sim, submitted["job"]["id"])
    decoded = decode((await download(session, done["videos"][0]["resultUrl"]))[0])
    assert (decoded.width, decoded.height, decoded.frames) == (256, 144, 12)


async def test_finished_job_is_pushed_once_to_its_webhook(session: aiohttp.ClientSession) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    try:
        async with Simulator(SimulatorConfig(job_seconds=0.1)) as sim:
            body = webbot_body("pushed", fps=4, webhookOverride=hook_url, ref="our-job-1")
            submitted = await submit_webbot(session, sim, "/generate", body)
            job_id = submitted["job"]["id"]
            assert submitted["job"]["webhookUrl"] == hook_url
            assert "webhookOverride" not in submitted["job"]["params"]
            await submit_webbot(session, sim, "/generate", webbot_body(webhookOverride=dead_url))
            await wait_for(lambda: len(received) == 1 and len(sim.webhooks) == 2)
            await wait_for(lambda: all(d.status or d.error for d in sim.webhooks))
            # Polls after the push must not push again.
            await finished_webbot(session, sim, job_id)
            failed = [d for d in sim.webhooks if d.url == dead_url]
            assert failed[0].error and failed[0].status is None
        assert len(received) == 1
        payload = received[0]
        assert payload["job"]["id"] == job_id
        assert payload["job"]["ref"] == "our-job-1"
        assert payload["videos"][0]["status"] == "finished"
        assert payload["videos"][0]["resultUrl"].endswith(".mp4")
    finally:
        await runner.cleanup()


async def test_public_base_url_and_a_kept_output_directory(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    public = "https://pika-sim.example:8443/behind/proxy"
    config = SimulatorConfig(job_seconds=0.05, output_dir=tmp_path, public_base_url=public)
    async with Simulator(config) as sim:
        submitted = await submit_webbot(session, sim, "/generate", webbot_body(fps=2, seed=8))
        done = await finished_webbot(session, sim, submitted["job"]["id"])
        url = done["videos"][0]["resultUrl"]
        assert url.startswith(public + "/files/")
        # Our own result is recognised under its public address.
        answer = await submit_webbot(session, sim, "/upscale", {"video": url})
        assert answer["success"] is True
    assert_kept(tmp_path)


def assert_kept(directory: Path) -> None:
    kept = list(directory.glob("results/*/video.mp4"))
    assert len(kept) >= 1
    assert not list(directory.glob("results/*/*.partial"))
    assert 6 in {decode(path.read_bytes()).frames for path in kept}
