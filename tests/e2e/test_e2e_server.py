"""The bot's HTTP server: /healthz follows the gateway and the database; /metrics counts."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.e2e.helpers import job_id_of
from tests.e2e.stack import Stack, start_stack, stop_stack


async def _get(stack: Stack, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stack.bot.http_base()}{path}") as response,
    ):
        return response.status, await response.text()


def _samples(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


async def _health(stack: Stack) -> tuple[int, dict[str, Any]]:
    status, body = await _get(stack, "/healthz")
    return status, json.loads(body)


async def test_healthz_says_503_while_the_gateway_is_down(tmp_path):
    stack = await start_stack(tmp_path)
    try:
        status, body = await _health(stack)
        assert status == 200 and body == {"gateway": True, "database": True, "jobs_in_flight": 0}

        await stack.emu.hold_gateway(True)
        await stack.emu.drop_gateway("close")
        await stack.emu.wait_for(
            lambda: _health(stack), lambda h: h[0] == 503, timeout=20, what="a 503"
        )
        status, body = await _health(stack)
        assert body["gateway"] is False and body["database"] is True

        await stack.emu.hold_gateway(False)
        await stack.emu.wait_for(
            lambda: _health(stack), lambda h: h[0] == 200, timeout=30, what="healthy again"
        )
    finally:
        await stop_stack(stack)


async def test_metrics_count_what_happened(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=1.0)
    try:
        # Discord answers one interaction callback with a 429 first: discord.py waits and
        # retries it, and the bot counts it.
        await stack.emu.fault("POST /interactions", 429, count=1, retry_after=0.2)
        jobs = []
        for prompt in ("one", "two"):
            progress = await stack.answer_of(
                await stack.slash("alice", "generate", {"prompt": prompt})
            )
            jobs.append(job_id_of(progress))
        for job_id in jobs:
            await stack.result_for(job_id, timeout=30)
        await stack.wait_for_job(lambda job: job.id == jobs[-1] and job.delivered)

        status, text = await _get(stack, "/metrics")
        assert status == 200
        samples = _samples(text)
        assert samples['pika_bot_jobs{state="succeeded"}'] == 2
        assert samples['pika_bot_jobs{state="waiting"}'] == 0
        assert samples["pika_bot_queue_depth"] == 0
        assert samples["pika_bot_finish_to_posted_seconds_count"] == 2
        polls = samples.get('pika_bot_polls_total{outcome="ok"}', 0)
        sim_polls = sum(1 for r in stack.simulator.requests if r.scope == "poll")
        assert polls == sim_polls >= 2
        assert samples["pika_bot_discord_429_total"] == 1
        assert samples["pika_bot_event_loop_lag_seconds_count"] > 0
    finally:
        await stop_stack(stack)
