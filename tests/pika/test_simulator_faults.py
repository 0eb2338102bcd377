"""Fault injection: scoped 500s, 429s, slow and malformed answers, failing jobs, control routes."""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.pika.simulator import FaultConfig, Simulator, SimulatorConfig
from bot.pika.simulator.faults import FaultConfigError, ServerErrorRule
from tests.pika.test_simulator_support import (
    AUTH,
    FEED_EXAMPLE,
    KEY,
    feed_body,
    feed_done,
    poll,
    webbot_body,
    webbot_done,
)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SimulatorConfig(job_seconds=0.1, api_key=KEY, seed=1)) as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


async def post_feed(
    session: aiohttp.ClientSession, sim: Simulator, body: dict[str, Any] | None = None
) -> tuple[int, str, aiohttp.ClientResponse]:
    async with session.post(
        f"{sim.feed_base}/pika/generate", json=body or FEED_EXAMPLE, headers=AUTH
    ) as response:
        return response.status, await response.text(), response


async def test_status_500_for_the_next_two_submissions_only(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"status_500": {"count": 2, "routes": ["submit"]}})
    async with session.get(f"{sim.webbot_base}/jobs/unknown", headers=AUTH) as response:
        assert response.status == 404  # polls are out of the rule's scope
    statuses = []
    for _ in range(3):
        status, text, _ = await post_feed(session, sim)
        statuses.append(status)
        if status == 500:
            assert json.loads(text)["error"] == "internal_error"
    assert statuses == [500, 500, 200]
    assert len(sim.jobs) == 1
    assert sim.faults.status_500.count == 0


async def test_status_500_after_the_handler_still_creates_the_job(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.status_500 = ServerErrorRule(count=1, after_handler=True)
    status, _, _ = await post_feed(session, sim)
    assert status == 500
    assert len(sim.jobs) == 1


async def test_status_429_carries_retry_after(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"status_429": {"count": 1, "retry_after": 3, "routes": ["poll"]}})
    status, text, _ = await post_feed(session, sim)
    assert status == 200
    job_id = json.loads(text)["id"]
    async with session.get(f"{sim.feed_base}/pika/feed/{job_id}", headers=AUTH) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "3"
        assert (await response.json())["error"] == "rate_limited"
    async with session.get(f"{sim.feed_base}/pika/feed/{job_id}", headers=AUTH) as response:
        assert response.status == 200


async def test_faults_come_before_the_key_check(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"status_429": {"count": 1}})
    async with session.post(f"{sim.feed_base}/pika/generate", json=FEED_EXAMPLE) as response:
        assert response.status == 429
    async with session.post(f"{sim.feed_base}/pika/generate", json=FEED_EXAMPLE) as response:
        assert response.status == 401


async def test_slow_answers_wait_before_answering(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"slow": {"count": 1, "seconds": 0.4}})
    started = time.monotonic()
    status, _, _ = await post_feed(session, sim)
    slow = time.monotonic() - started
    started = time.monotonic()
    await post_feed(session, sim)
    fast = time.monotonic() - started
    assert status == 200
    assert slow >= 0.4
    assert fast < 0.4


async def test_malformed_answers_are_not_json_but_the_request_took_effect(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"malformed": {"count": 1, "routes": ["submit"]}})
    status, text, response = await post_feed(session, sim)
    assert status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(text)
    assert len(sim.jobs) == 1


async def test_omitted_progress(sim: Simulator, session: aiohttp.ClientSession) -> None:
    sim.faults.update({"omit_progress": {"rate": 1.0}})
    status, text, _ = await post_feed(session, sim)
    assert status == 200
    async with session.get(
        f"{sim.feed_base}/pika/feed/{json.loads(text)['id']}", headers=AUTH
    ) as response:
        video = (await response.json())["videos"][0]
    assert "progress" not in video
    assert "status" in video


async def test_downloads_fail_only_when_files_are_named(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    _, text, _ = await post_feed(session, sim)
    done = await poll(
        session, "GET", f"{sim.feed_base}/pika/feed/{json.loads(text)['id']}", until=feed_done
    )
    url = done["videos"][0]["resultUrl"]
    sim.faults.update({"status_500": {"rate": 1.0}})
    async with session.get(url) as response:
        assert response.status == 200
    sim.faults.update({"status_500": {"count": 1, "routes": ["files"]}})
    async with session.get(url) as response:
        assert response.status == 500
    async with session.get(url) as response:
        assert response.status == 200


async def test_jobs_fail_by_count_by_marker_and_by_rate(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.faults.update({"fail_jobs": {"count": 1}})
    ids = []
    for prompt in ("first fails", "second works", "this one [FAIL]s"):
        async with session.post(
            f"{sim.webbot_base}/generate", json=webbot_body(prompt, fps=2), headers=AUTH
        ) as response:
            assert response.status == 200
            ids.append((await response.json())["job"]["id"])
    outcomes = []
    for job_id in ids:
        done = await poll(session, "GET", f"{sim.webbot_base}/jobs/{job_id}", until=webbot_done)
        video = done["videos"][0]
        outcomes.append(video["status"])
        if video["status"] == "failed":
            assert video["error"] == "The video could not be generated (simulated failure)"
            assert "resultUrl" not in video
    assert outcomes == ["failed", "finished", "failed"]


async def test_fail_rate_from_the_config_fails_feed_jobs_with_an_error(
    session: aiohttp.ClientSession,
) -> None:
    async with Simulator(SimulatorConfig(job_seconds=0.05, fail_rate=1.0)) as sim:
        async with session.post(
            f"{sim.feed_base}/pika/generate", json=feed_body("doomed")
        ) as response:
            job_id = (await response.json())["id"]
        done = await poll(session, "GET", f"{sim.feed_base}/pika/feed/{job_id}", until=feed_done)
    video = done["videos"][0]
    assert video["status"] == "error"
    assert "simulated failure" in video["error"]
    assert video["resultUrl"] == ""


async def test_control_routes_set_faults_list_requests_and_reset(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    async with session.post(
        f"{sim.base_url}/_sim/faults",
        json={"status_500": {"count": 1, "routes": ["submit"]}, "slow": None},
    ) as response:
        assert response.status == 200
        config = await response.json()
    assert config["status_500"]["count"] == 1
    assert config["status_500"]["routes"] == ["submit"]
    assert sim.faults.status_500.count == 1

    status, _, _ = await post_feed(session, sim)
    assert status == 500
    status, _, _ = await post_feed(session, sim)
    assert status == 200

    async with session.get(f"{sim.base_url}/_sim/requests") as response:
        recorded = await response.json()
    assert [r["path"] for r in recorded] == ["/pika/generate", "/pika/generate"]
    assert recorded[0]["json"] == FEED_EXAMPLE
    assert recorded[0]["scope"] == "submit"
    assert recorded[0]["authorized"] is True
    assert all("authorization" not in {h.lower() for h in r["headers"]} for r in recorded)
    assert sim.requests[1].json == FEED_EXAMPLE

    async with session.get(f"{sim.base_url}/_sim/jobs") as response:
        jobs = await response.json()
    assert [job["dialect"] for job in jobs] == ["feed"]

    for bad in ({"status_999": {}}, {"slow": {"rate": 2}}, {"slow": {"routes": ["upload"]}}):
        async with session.post(f"{sim.base_url}/_sim/faults", json=bad) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "invalid_request"

    sim.faults.update({"status_429": {"rate": 1.0}})
    async with session.post(f"{sim.base_url}/_sim/reset") as response:
        assert response.status == 200
    assert sim.requests == []
    assert not sim.faults.status_429.active
    assert len(sim.jobs) == 1
    async with session.post(f"{sim.base_url}/_sim/reset", json={"jobs": True}) as response:
        assert response.status == 200
    assert len(sim.jobs) == 0


def test_rates_are_repeatable_with_a_seed() -> None:
    def rolls(seed: int) -> list[bool]:
        config = FaultConfig.from_json({"status_500": {"rate": 0.5}})
        rng = random.Random(seed)
        return [config.decide("poll", rng).status == 500 for _ in range(40)]

    assert rolls(7) == rolls(7)
    assert 5 < sum(rolls(7)) < 35


def test_fault_config_refuses_bad_descriptions() -> None:
    for bad in (
        {"status_500": {"count": -1}},
        {"status_500": {"count": True}},
        {"status_429": {"retry_after": "soon"}},
        {"slow": "fast"},
        {"fail_jobs": {"marker": 3}},
        {"omit_progress": {"routes": 5}},
    ):
        with pytest.raises(FaultConfigError):
            FaultConfig.from_json(bad)
