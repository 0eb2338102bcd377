"""Faults for the new work: late answers to submissions that took effect, dropped pushes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.pika.simulator import Simulator, SimulatorConfig
from bot.pika.simulator.faults import FaultConfig
from tests.pika.test_simulator_hd_support import (
    FAL_AUTH,
    dev_post,
    dev_wait,
    fal_status,
    fal_submit,
    fal_wait,
    until,
    webhook_receiver,
)
from tests.pika.test_simulator_support import AUTH, KEY, webbot_body


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    config = SimulatorConfig(job_seconds=0.2, api_key=KEY, fal_concurrency=0, seed=11)
    async with Simulator(config) as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def test_a_late_answer_comes_after_the_job_exists(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update(
        {"slow": {"count": 1, "seconds": 1.0, "routes": ["submit"], "after_handler": True}}
    )
    started = time.monotonic()
    answer = asyncio.create_task(
        fal_submit(session, sim, "v2.2/text-to-video", {"prompt": "taken at once"})
    )
    await until(lambda: len(sim.jobs) == 1)
    assert not answer.done()
    job = next(iter(sim.jobs))
    submitted = await answer
    assert time.monotonic() - started >= 1.0
    assert submitted["request_id"] == job.id
    # The job ran while its answer was held back.
    assert (await fal_status(session, submitted))[1]["status"] == "COMPLETED"


async def test_a_client_killed_before_the_answer_has_still_spent_a_submission(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update(
        {"slow": {"count": 1, "seconds": 3.0, "routes": ["submit"], "after_handler": True}}
    )
    client = asyncio.create_task(
        dev_post(session, sim, "/generate/turbo/t2v", {"promptText": "orphan"})
    )
    await until(lambda: len(sim.jobs) == 1)
    client.cancel()  # the bot dies while Pika is taking the submission
    with pytest.raises(asyncio.CancelledError):
        await client
    job = next(iter(sim.jobs))
    done = await dev_wait(session, sim, job.id)
    assert done["status"] == "finished"
    assert [record.scope for record in sim.requests].count("submit") == 1


async def test_slow_before_the_handler_still_creates_nothing_until_it_runs(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"slow": {"count": 1, "seconds": 0.5, "routes": ["submit"]}})
    answer = asyncio.create_task(
        dev_post(session, sim, "/generate/turbo/t2v", {"promptText": "waits first"})
    )
    await until(lambda: len(sim.requests) == 1)
    assert len(sim.jobs) == 0
    status, _ = await answer
    assert status == 200 and len(sim.jobs) == 1


async def test_dropped_fal_pushes_are_recorded_but_never_sent(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{sim.base_url}/_sim/faults", json={"drop_webhooks": {"count": 1}}
    ) as response:
        assert (await response.json())["drop_webhooks"] == {"rate": 0.0, "count": 1}
    async with webhook_receiver() as receiver:
        hook = {"fal_webhook": receiver.url}
        first = await fal_submit(session, sim, "v2.2/text-to-video", {"prompt": "a"}, params=hook)
        await fal_wait(session, first)
        await until(lambda: len(sim.webhooks) == 1)
        second = await fal_submit(session, sim, "v2.2/text-to-video", {"prompt": "b"}, params=hook)
        await until(lambda: len(receiver.received) == 1)
    assert [(d.job_id, d.dropped) for d in sim.webhooks] == [
        (first["request_id"], True),
        (second["request_id"], False),
    ]
    dropped = sim.webhooks[0]
    assert dropped.status is None and dropped.error is None
    assert dropped.payload["status"] == "OK"  # what would have been sent
    assert receiver.received[0].headers["X-Fal-Webhook-Request-Id"] == second["request_id"]


async def test_a_share_of_webbot_pushes_can_be_dropped(session: aiohttp.ClientSession) -> None:
    faults = FaultConfig.from_json({"drop_webhooks": {"rate": 1.0}})
    async with (
        Simulator(SimulatorConfig(job_seconds=0.1, api_key=KEY, faults=faults)) as sim,
        webhook_receiver() as receiver,
    ):
        for prompt in ("one", "two"):
            body = webbot_body(prompt, fps=2, webhookOverride=receiver.url)
            async with session.post(
                f"{sim.webbot_base}/generate", json=body, headers=AUTH
            ) as response:
                assert response.status == 200
        await until(lambda: len(sim.webhooks) == 2)
        assert all(delivery.dropped for delivery in sim.webhooks)
        assert receiver.received == []
        sim.reset()
        assert sim.faults.drop_webhooks.rate == 1.0  # the starting faults come back


async def test_fal_requests_can_fail_and_fail_their_webhook(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"fail_jobs": {"rate": 1.0, "message": "Pika said no"}})
    async with webhook_receiver() as receiver:
        submitted = await fal_submit(
            session,
            sim,
            "v1.5/pikaffects",
            {"image_url": "https://x.y/a.png", "pikaffect": "Melt"},
            params={"fal_webhook": receiver.url},
        )
        done = await fal_wait(session, submitted)
        await until(lambda: len(receiver.received) == 1)
    assert done["error"] == "Pika said no"
    assert sim.webhooks[0].payload["status"] == "ERROR"
    assert sim.webhooks[0].payload["error"] == "Invalid status code: 422"
    async with session.get(submitted["response_url"], headers=FAL_AUTH) as response:
        assert response.status == 422
