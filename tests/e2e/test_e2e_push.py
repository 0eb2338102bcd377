"""Pushes from Pika: a hint confirmed by one GET, never believed, and polls as the safety net."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from tests.e2e.helpers import job_id_of, text_of
from tests.e2e.stack import Stack, decode_video, start_stack, stop_stack

QUICK_FALLBACK = {"PIKA_FALLBACK_POLL_SECONDS": "2", "QUOTA_MAX_IN_FLIGHT_USER": "10"}


def _gets(stack: Stack, provider_job_id: str) -> int:
    return sum(
        1
        for r in stack.simulator.requests
        if r.method == "GET" and r.path == f"/web/jobs/{provider_job_id}"
    )


async def _fetched(stack: Stack, provider_job_id: str) -> int:
    return _gets(stack, provider_job_id)


async def _job(stack: Stack, prompt: str) -> int:
    progress = await stack.answer_of(await stack.slash("alice", "generate", {"prompt": prompt}))
    assert not progress["flags"] & 64, text_of(progress)
    return job_id_of(progress)


async def _post(url: str, body: object) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        return response.status


async def _metric(stack: Stack, name: str) -> float:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stack.bot.http_base()}/metrics") as response,
    ):
        text = await response.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


async def test_a_push_is_confirmed_with_one_get_and_the_video_posted(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=2.0, push=True)
    try:
        job_id = await _job(stack, "pushed home")
        result = await stack.result_for(job_id, timeout=30)
        assert "· result" in text_of(result)
        store, _ = await stack.store()
        record = await store.get_job(job_id)
        [push] = [w for w in stack.simulator.webhooks if w.job_id == record.provider_job_id]
        assert push.status == 200 and f"/pika/webhook/{job_id}/" in push.url
        polls = _gets(stack, record.provider_job_id)
        print(f"status GETs for a pushed job: {polls}")
        # No poll before the push (the first look is due near the estimated end, a minute
        # with no history), and exactly one after it: the confirming GET.
        assert polls == 1
        assert await _metric(stack, 'pika_bot_pushes_total{result="accepted"}') == 1
        assert await _metric(stack, 'pika_bot_polls_total{outcome="confirm"}') == 1
    finally:
        await stop_stack(stack)


async def test_forged_pushes_fetch_nothing_and_post_nothing(tmp_path):
    trap_hits: list[str] = []

    async def trap(request: web.Request) -> web.Response:
        trap_hits.append(request.path)
        return web.Response(body=b"not the video", content_type="video/mp4")

    app = web.Application()
    app.router.add_get("/{name}", trap)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    trap_url = f"http://127.0.0.1:{runner.addresses[0][1]}/forged.mp4"
    stack = await start_stack(tmp_path, job_seconds=5.0, push=True)
    try:
        assert stack.signer is not None
        job_id = await _job(stack, "the real one")
        record = await stack.wait_for_job(lambda job: job.id == job_id and job.provider_job_id)
        pid = record.provider_job_id
        forged = {
            "job": {"id": pid, "status": "finished"},
            "videos": [{"id": pid, "status": "finished", "resultUrl": trap_url}],
        }
        wrong = f"{stack.signer.url_for(job_id).rsplit('/', 1)[0]}/{'0' * 64}"
        assert await _post(wrong, forged) == 403
        assert await _post(stack.signer.url_for(job_id), forged) == 200
        assert await _post(stack.signer.url_for(424242), forged) == 404
        # The bot asked Pika (still making it), not the push: nothing is posted yet.
        await stack.emu.wait_for(
            lambda: _fetched(stack, pid), lambda seen: seen >= 1, timeout=10, what="a GET"
        )
        now = await (await stack.store())[0].get_job(job_id)
        assert now.status in ("submitted", "queued", "running") and not now.delivered
        assert await stack.results() == []

        result = await stack.result_for(job_id, timeout=40)
        [attachment] = result["attachments"]
        assert decode_video(await stack.emu.download(attachment["url"]))["frames"] > 0
        assert trap_hits == []  # the forged result URL was never fetched
        assert await _metric(stack, 'pika_bot_pushes_total{result="bad_token"}') == 1
        assert await _metric(stack, 'pika_bot_pushes_total{result="unknown_job"}') == 1
    finally:
        await stop_stack(stack)
        await runner.cleanup()


async def test_with_pushes_dropped_every_job_is_still_delivered(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=1.5, push=True, bot_extra=QUICK_FALLBACK)
    try:
        # One job first, so the bot knows how long these take (its first look then comes
        # near the end, not a minute later).
        first = await _job(stack, "seed the estimate")
        await stack.result_for(first, timeout=30)
        stack.simulator.faults.update({"drop_webhooks": {"count": 2, "rate": 0.2}})
        jobs = [await _job(stack, f"maybe dropped {n}") for n in range(5)]
        for job_id in jobs:
            assert "· result" in text_of(await stack.result_for(job_id, timeout=40))
        dropped = [w for w in stack.simulator.webhooks if w.dropped]
        assert len(dropped) >= 2
    finally:
        await stop_stack(stack)


async def test_a_push_recovers_a_job_whose_submission_was_never_confirmed(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=8.0, push=True)
    try:
        _, quota = await stack.store()
        stack.simulator.faults.update(
            {"slow": {"count": 1, "seconds": 60, "routes": ["submit"], "after_handler": True}}
        )
        job_id = await _job(stack, "answer lost")
        await stack.wait_for_job(lambda job: job.id == job_id and job.status == "submitting")
        assert await stack.bot.kill() == -9
        await stack.bot.start()  # the same HTTP port: Pika's push reaches the new process

        result = await stack.result_for(job_id, timeout=60)
        assert "· result" in text_of(result), text_of(result)
        assert [r.path for r in stack.simulator.requests if r.method == "POST"] == ["/web/generate"]
        entries = await quota.ledger_entries(await stack.guild_id(), job_id=job_id)
        assert [e.kind.value for e in entries] == ["hold", "charge"]
    finally:
        await stop_stack(stack)
