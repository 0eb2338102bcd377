"""Pika as sold today: Pika's developer API (``pika``) and fal (``fal``), end to end.

Every operation of both services is delivered at the size asked for (the MP4 decoded), fal's
signed push is confirmed by one GET, a fal cancel gives the credits back, a failed fal
request is said in words and costs nothing, and a refused key is one line naming its setting.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import Emulator
from bot.pika.simulator import Simulator, SimulatorConfig
from bot.pika.simulator.signing import WebhookSigner as FalSigner
from harness.process import BotProcess
from harness.world import PIKA_KEY, bot_env
from tests.e2e.helpers import buttons, job_id_of, text_of
from tests.e2e.stack import Stack, decode_video, start_stack, stop_stack

PLENTY = {
    "QUOTA_DEFAULT_ALLOWANCE": "200",
    "QUOTA_MAX_IN_FLIGHT_USER": "10",
    "QUOTA_MAX_QUEUED_USER": "10",
}
KEY_SETTING = {"pika": "PIKA_API_KEY", "fal": "FAL_KEY"}


async def _start(stack: Stack, command: str, options: dict[str, Any], files=None) -> int:
    progress = await stack.answer_of(await stack.slash("alice", command, options, files))
    assert not progress["flags"] & 64, f"/{command} was refused: {text_of(progress)}"
    return job_id_of(progress)


async def _delivered(stack: Stack, job_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    result = await stack.result_for(job_id, timeout=60)
    assert "· result" in text_of(result), text_of(result)
    [attachment] = result["attachments"]
    return result, decode_video(await stack.emu.download(attachment["url"]))


def _sized(video: dict[str, Any], short_side: int, seconds: float, what: str) -> None:
    assert min(video["width"], video["height"]) == short_side, (what, video)
    assert video["seconds"] == pytest.approx(seconds, abs=0.3), (what, video)


async def _ledger(stack: Stack, job_id: int) -> list[tuple[str, int]]:
    _, quota = await stack.store()
    entries = await quota.ledger_entries(await stack.guild_id(), job_id=job_id)
    return [(e.kind.value, e.amount) for e in entries]


def _lines_naming(log: str, setting: str) -> list[str]:
    return [line for line in log.splitlines() if setting in line]


@pytest.mark.parametrize("dialect", ["pika", "fal"])
async def test_every_operation_is_delivered_at_the_size_asked(tmp_path, dialect):
    stack = await start_stack(tmp_path, dialect=dialect, job_seconds=1.0, bot_extra=PLENTY)
    try:
        image, video = stack.media.attach("image"), stack.media.attach("video")
        three = {"image1": image, "image2": image, "image3": image}
        if dialect == "fal":
            # fal: a prompt per transition, any whole length up to 25 s.
            frames = {"prompt": "day to night", "transition2": "a storm", "length": 4}
            frames_seconds = 4
        else:
            frames = {"prompt": "day to night", "length": 5}
            frames_seconds = 5
        asked = [
            ("generate", {"prompt": "a red kite", "resolution": "720p", "duration": 5}, {}),
            (
                "generate",
                {"prompt": "from my photo", "resolution": "1080p", "duration": 10},
                {"image": image},
            ),
            ("keyframes", {**frames, "resolution": "1080p"}, three),
            (
                "ingredients",
                {"prompt": "a picnic", "mode": "creative", "resolution": "720p", "duration": 10},
                {"image1": image, "image2": image},
            ),
            ("pikaffect", {"effect": "Squish"}, {"image": image}),
            ("additions", {"prompt": "add a hat"}, {"video": video, "image": image}),
            (
                "swap",
                {"swap": "the sky", "prompt": "a sunset"},
                {"video": video, "image": image},
            ),
        ]
        jobs = [await _start(stack, command, options, files) for command, options, files in asked]
        expected = [
            (720, 5),
            (1080, 10),
            (1080, frames_seconds),
            (720, 10),
            (720, 5),
            (720, 2),  # Additions and Swap keep the member's video's length (2 s)
            (720, 2),
        ]
        for (command, _, _), job_id, (short_side, seconds) in zip(
            asked, jobs, expected, strict=True
        ):
            result, clip = await _delivered(stack, job_id)
            _sized(clip, short_side, seconds, command)
            assert "Reroll" in buttons(result) and "Upscale" not in buttons(result), command

        # Each request was the service's own: its route, and the member's bytes for pika.
        posts = [r for r in stack.simulator.requests if r.method == "POST"]
        assert len(posts) == len(asked)
        if dialect == "pika":
            i2v = next(r for r in posts if r.path == "/pikadev/generate/2.2/i2v")
            [part] = i2v.files
            assert part["name"] == "image" and part["size"] == len(stack.media.image)
            frames_sent = next(r for r in posts if r.path.endswith("/pikaframes"))
            assert [f["name"] for f in frames_sent.files] == ["keyFrames"] * 3
        else:
            frames_sent = next(r for r in posts if r.path.endswith("/v2.2/pikaframes"))
            assert [t.get("prompt") for t in frames_sent.json["transitions"]] == [None, "a storm"]
            assert all(
                url.startswith(stack.emulator.base_url) for url in frames_sent.json["image_urls"]
            )

        # Bigger and longer cost more, and /quota says so.
        assert await _ledger(stack, jobs[0]) == [("hold", 1), ("charge", 1)]
        assert await _ledger(stack, jobs[1]) == [("hold", 5), ("charge", 5)]
        answer = text_of(await stack.answer_of(await stack.slash("alice", "quota")))
        assert "1080p and 10 s cost more" in answer, answer
        assert "Generate: 1 credit (1080p: 3 · 10 s: 3 · both: 5)" in answer, answer
    finally:
        await stop_stack(stack)


async def test_a_signed_fal_push_is_confirmed_by_one_get_and_forgeries_are_refused(tmp_path):
    stack = await start_stack(tmp_path, dialect="fal", job_seconds=2.0, push=True)
    try:
        assert stack.signer is not None
        job_id = await _start(stack, "generate", {"prompt": "pushed by fal"})
        _, clip = await _delivered(stack, job_id)
        _sized(clip, 720, 5, "generate")
        store, _ = await stack.store()
        request_id = (await store.get_job(job_id)).provider_job_id
        [push] = [w for w in stack.simulator.webhooks if f"/pika/webhook/{job_id}/" in w.url]
        assert push.status == 200
        reads = [
            r.path
            for r in stack.simulator.requests
            if r.method == "GET" and f"/requests/{request_id}" in r.path
        ]
        # No poll before the push: one status GET confirms it, one GET fetches the result.
        root = f"/fal/fal-ai/pika/requests/{request_id}"
        assert reads == [f"{root}/status", root], reads

        url = stack.signer.url_for(job_id)
        body = b'{"request_id": "%s", "status": "OK", "payload": {}}' % request_id.encode()
        forger = FalSigner("not-fal")
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=body) as unsigned:
                assert unsigned.status == 401
            headers = forger.headers(request_id, "someone", body)
            async with http.post(url, data=body, headers=headers) as forged:
                assert forged.status == 401
            real = stack.simulator.fal_signer.headers(request_id, "someone", body)
            async with http.post(url, data=body, headers=real) as signed:
                assert signed.status == 200  # a late duplicate: accepted, changes nothing
        assert len(await stack.results()) == 1
    finally:
        await stop_stack(stack)


async def test_fal_cancel_gives_credits_back_and_a_failure_is_said_and_free(tmp_path):
    stack = await start_stack(
        tmp_path,
        dialect="fal",
        bot_extra=PLENTY,
        simulator_config=SimulatorConfig(job_seconds=8.0, api_key=PIKA_KEY, fal_concurrency=1),
    )
    try:
        running = await _start(stack, "generate", {"prompt": "running at fal"})
        queued = await _start(stack, "generate", {"prompt": "queued at fal"})
        await stack.wait_for_job(lambda job: job.id == queued and job.provider_job_id)
        await stack.wait_for_job(lambda job: job.id == running and job.status == "running")
        for job_id in (queued, running):
            said = await stack.answer_of(await stack.slash("alice", "cancel", {"job": str(job_id)}))
            assert f"Job #{job_id} is cancelled; Pika stopped it, so nothing was charged" in (
                text_of(said)
            ), text_of(said)
            assert await _ledger(stack, job_id) == [("hold", 1), ("release", 1)]
        cancels = [r.path for r in stack.simulator.requests if r.method == "PUT"]
        assert len(cancels) == 2 and all(path.endswith("/cancel") for path in cancels)
        answer = text_of(await stack.answer_of(await stack.slash("alice", "quota")))
        assert "**200 credits** left of 200" in answer, answer

        stack.simulator.faults.update({"fail_jobs": {"count": 1}})
        failing = await _start(stack, "generate", {"prompt": "this one breaks"})
        result = await stack.result_for(failing, timeout=40)
        words = text_of(result)
        assert "· failed" in words
        assert "The video could not be generated (simulated failure)" in words, words
        assert "No credits were charged" in words
        assert await _ledger(stack, failing) == [("hold", 1), ("release", 1)]
    finally:
        await stop_stack(stack)


async def test_cancelling_a_pika_job_says_pika_still_makes_it(tmp_path):
    stack = await start_stack(tmp_path, dialect="pika", job_seconds=6.0)
    try:
        job_id = await _start(stack, "generate", {"prompt": "cannot be stopped"})
        await stack.wait_for_job(lambda job: job.id == job_id and job.provider_job_id)
        said = text_of(
            await stack.answer_of(await stack.slash("alice", "cancel", {"job": str(job_id)}))
        )
        assert "won't be posted, but Pika was already making it and cannot stop it" in said
        assert await _ledger(stack, job_id) == [("hold", 1), ("charge", 1)]
        assert not [r for r in stack.simulator.requests if r.method == "PUT"]
    finally:
        await stop_stack(stack)


@pytest.mark.parametrize("dialect", ["pika", "fal"])
async def test_a_wrong_key_at_start_is_one_line_naming_its_setting(tmp_path, dialect):
    simulator = Simulator(SimulatorConfig(api_key=PIKA_KEY))
    await simulator.start(host="127.0.0.1", port=0)
    emulator = Emulator(EmulatorConfig())
    await emulator.start(host="127.0.0.1", port=0)
    wrong = "wrong-key-7f3a9c"
    env = bot_env(emulator, simulator, tmp_path / "bot.sqlite3", dialect)
    env[KEY_SETTING[dialect]] = wrong
    bot = BotProcess(env, tmp_path)
    try:
        await bot.start()
        assert bot.process is not None
        assert await asyncio.wait_for(bot.process.wait(), timeout=60) == 2
        log = bot.log_text()
        [line] = _lines_naming(log, KEY_SETTING[dialect])
        print(line)
        assert "Cannot start" in line and "refused" in line, line
        assert wrong not in log
    finally:
        if bot.running:
            await bot.terminate()
        await emulator.stop()
        await simulator.stop()


@pytest.mark.parametrize("dialect", ["pika", "fal"])
async def test_a_key_refused_on_submit_is_said_kindly_and_costs_nothing(tmp_path, dialect):
    stack = await start_stack(tmp_path, dialect=dialect)
    try:
        stack.simulator.config.api_key = "rotated-by-the-owner"
        job_id = await _start(stack, "generate", {"prompt": "with a stale key"})
        words = text_of(await stack.result_for(job_id, timeout=30))
        assert "Pika is unavailable right now" in words and "No credits were charged" in words
        assert await _ledger(stack, job_id) == [("hold", 1), ("release", 1)]
        await stack.bot.wait_for_log("failed (pika_key_refused)")
        log = stack.bot.log_text()
        [line] = _lines_naming(log, KEY_SETTING[dialect])
        print(line)
        assert f"Job {job_id}" in line, line
        assert PIKA_KEY not in log and "rotated-by-the-owner" not in log
    finally:
        await stop_stack(stack)
