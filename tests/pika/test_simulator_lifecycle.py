"""Job states follow the clock; the CLI serves and exits cleanly; large results stay decodable."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.pika.simulator import Simulator, SimulatorConfig
from bot.pika.simulator.__main__ import main
from bot.pika.simulator.jobs import SimJob
from bot.pika.simulator.validation import Submission
from tests.pika.test_simulator_support import (
    AUTH,
    FEED_EXAMPLE,
    KEY,
    decode,
    download,
    feed_done,
    poll,
    wait_for,
    webbot_body,
)

REPO = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def make_job(*, delayed: bool = False) -> SimJob:
    return SimJob(
        id="job-1",
        submission=Submission(dialect="webbot", request_type="generate", operation="generate"),
        params={},
        created_at=100.0,
        created_wall=datetime.now(UTC),
        run_seconds=10.0,
        seed=1,
        delayed=delayed,
    )


def test_state_is_computed_from_elapsed_time() -> None:
    job = make_job(delayed=True)
    assert (job.state_at(100.0).phase, job.state_at(100.0).progress) == ("delayed", 0)
    assert job.state_at(101.5).phase == "queued"
    started = job.state_at(105.0)
    assert (started.phase, started.progress) == ("started", 33)
    assert job.state_at(109.99).progress == 99
    # Time is up, but nothing was rendered yet: still busy, never finished without a file.
    assert (job.state_at(120.0).phase, job.state_at(120.0).progress) == ("started", 99)
    job.render_error = "render failed"
    assert job.state_at(120.0).phase == "failed"
    assert job.state_at(105.0).phase == "started"
    assert make_job().state_at(100.5).phase == "queued"


async def test_jobs_advance_only_when_the_clock_does(session: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    config = SimulatorConfig(job_seconds=10.0, clock=clock, delayed_after=2)
    async with Simulator(config) as sim:
        ids, statuses = [], []
        for index in range(3):
            body = webbot_body(f"clip {index}", fps=2)
            async with session.post(f"{sim.webbot_base}/generate", json=body) as response:
                answer = await response.json()
            ids.append(answer["job"]["id"])
            statuses.append(answer["job"]["status"])
        assert statuses == ["queued", "queued", "delayed"]

        async def phase(job_id: str) -> tuple[str, int]:
            async with session.get(f"{sim.webbot_base}/jobs/{job_id}") as response:
                video = (await response.json())["videos"][0]
            return video["status"], video["progress"]

        await wait_for(lambda: all(job.result is not None for job in sim.jobs))
        # Rendered, but the clock has not moved: nothing is finished yet.
        assert await phase(ids[0]) == ("queued", 0)
        clock.now += 1.5
        assert await phase(ids[2]) == ("queued", 0)
        clock.now += 3.5
        assert await phase(ids[0]) == ("started", 33)
        clock.now += 5.0
        assert await phase(ids[0]) == ("finished", 100)
        assert await phase(ids[2]) == ("finished", 100)


async def test_large_video_is_over_ten_mebibytes_and_decodes(
    session: aiohttp.ClientSession,
) -> None:
    async with Simulator(SimulatorConfig(job_seconds=0.05, large_video=True)) as sim:
        async with session.post(f"{sim.feed_base}/pika/generate", json=FEED_EXAMPLE) as response:
            job_id = (await response.json())["id"]
        done = await poll(session, "GET", f"{sim.feed_base}/pika/feed/{job_id}", until=feed_done)
        data, _ = await download(session, done["videos"][0]["resultUrl"])
    assert len(data) > 10 * 1024 * 1024
    decoded = decode(data)
    assert decoded.frames == 72
    assert decoded.width / decoded.height == pytest.approx(16 / 9, rel=0.02)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
async def test_cli_serves_the_feed_example_and_exits_cleanly(
    session: aiohttp.ClientSession, stop_signal: signal.Signals
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.pika.simulator",
        "--port",
        str(port),
        "--api-key",
        KEY,
        "--job-seconds",
        "0.1",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        assert f"Pika simulator on http://127.0.0.1:{port}" in banner.decode()
        # As curl -d sends it: a form content type around a JSON body.
        headers = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
        async with session.post(
            f"http://127.0.0.1:{port}/pika/generate", data=json.dumps(FEED_EXAMPLE), headers=headers
        ) as response:
            assert response.status == 200
            answer = await response.json()
        assert list(answer) == ["id"]
        done = await poll(
            session, "GET", f"http://127.0.0.1:{port}/pika/feed/{answer['id']}", until=feed_done
        )
        assert done["videos"][0]["status"] == "finished"
        process.send_signal(stop_signal)
        code = await asyncio.wait_for(process.wait(), timeout=15)
        _, stderr = await process.communicate()
        assert code == 0, stderr.decode()
        assert "Traceback" not in stderr.decode()
        assert "Pika simulator stopped" in stderr.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_cli_refuses_bad_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--faults", '{"status_500": {"rate": 3}}']) == 2
    assert "invalid --faults" in capsys.readouterr().err


async def test_a_stopped_simulator_can_start_again(session: aiohttp.ClientSession) -> None:
    sim = Simulator(SimulatorConfig(job_seconds=0.05))
    for _ in range(2):
        await sim.start()
        try:
            async with session.post(f"{sim.feed_base}/pika/generate", json=FEED_EXAMPLE) as reply:
                job_id = (await reply.json())["id"]
            done = await poll(
                session, "GET", f"{sim.feed_base}/pika/feed/{job_id}", until=feed_done
            )
            assert done["videos"][0]["status"] == "finished"
        finally:
            await sim.stop()
