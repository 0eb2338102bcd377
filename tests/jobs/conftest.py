"""The engine's world for unit tests: a real SQLite store, a scripted provider, a recording outlet.

Only the two edges (Pika and Discord) are fakes; the store, the engine, the scheduler and the
result download (from a real local HTTP server) are the real ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.domain import JobRecord, JobStatus, NewJob, Operation, ProgressKind
from bot.jobs.engine import EngineSettings, JobEngine
from bot.jobs.ports import MessageTarget
from bot.jobs.views import JobView
from bot.pika.capabilities import Capabilities
from bot.pika.errors import PikaError
from bot.pika.job import Job
from bot.pika.requests import GenerateRequest, PikaRequest
from bot.store import FakeClock, JobStore, QuotaDefaults, QuotaEngine, open_database

GUILD = 1_000_000_000_000_001
CHANNEL = 2_000_000_000_000_002
USER = 41
VIDEO_BYTES = b"\x00\x00\x00\x18ftypisom" + b"pretend this is an mp4" * 100


class FakeProvider:
    """Pika as a script: what each submission answers and what each poll says."""

    name = "fake"
    capabilities = Capabilities(operations=frozenset(Operation))

    def __init__(self) -> None:
        self.submitted: list[tuple[PikaRequest, str | None]] = []
        self.submit_error: PikaError | None = None
        self.answers: dict[str, list[Job]] = {}
        self.recovered: str | None = None
        self.recover_calls: list[str] = []
        self._count = 0

    async def submit(
        self, request: PikaRequest, *, ref: str | None = None, webhook_url: str | None = None
    ) -> str:
        self.submitted.append((request, ref))
        if self.submit_error is not None:
            raise self.submit_error
        self._count += 1
        return f"p-{self._count}"

    async def fetch(self, provider_job_id: str) -> Job:
        script = self.answers.get(provider_job_id) or [
            Job(provider_job_id=provider_job_id, status=JobStatus.QUEUED)
        ]
        return script.pop(0) if len(script) > 1 else script[0]

    async def recover(self, ref: str, request: PikaRequest) -> str | None:
        self.recover_calls.append(ref)
        return self.recovered

    def pushed_job_id(self, payload: object) -> str | None:
        return None

    async def claim(self, provider_job_id: str, request: PikaRequest) -> Job | None:
        return None

    async def cancel(self, provider_job_id: str) -> bool:
        return False


@dataclass
class Call:
    name: str
    target: MessageTarget | None
    view: JobView
    video: bytes | None = None
    oversize: int | None = None


@dataclass
class FakeOutlet:
    """Discord as a recorder; each method can be told to fail with an outcome."""

    calls: list[Call] = field(default_factory=list)
    fail: dict[str, list[Exception]] = field(default_factory=dict)
    editable: bool = True
    posted: dict[tuple[int, str], int] = field(default_factory=dict)
    _next_id: int = 9000

    def _maybe_fail(self, name: str) -> None:
        queue = self.fail.get(name)
        if queue:
            raise queue.pop(0)

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def signature(self, view: JobView) -> Hashable:
        return (view.status, view.progress, view.error_code)

    async def show_progress(self, target: MessageTarget, view: JobView) -> bool:
        self.calls.append(Call("show_progress", target, view))
        self._maybe_fail("show_progress")
        return self.editable

    async def continue_in_channel(self, target: MessageTarget, view: JobView) -> int:
        self.calls.append(Call("continue_in_channel", target, view))
        self._maybe_fail("continue_in_channel")
        return self._id()

    async def announce(self, channel_id: int, view: JobView, *, reply_to: int | None) -> int:
        self.calls.append(Call("announce", None, view))
        return self._id()

    async def post_result(
        self, target: MessageTarget, view: JobView, video: Path | None, oversize: int | None
    ) -> int:
        data = await asyncio.to_thread(video.read_bytes) if video is not None else None
        self.calls.append(Call("post_result", target, view, data, oversize))
        self._maybe_fail("post_result")
        return self._id()

    async def post_failure(self, target: MessageTarget, view: JobView) -> int:
        self.calls.append(Call("post_failure", target, view))
        self._maybe_fail("post_failure")
        return self._id()

    async def find_posted(self, target: MessageTarget, job_id: int, kind: str) -> int | None:
        return self.posted.get((job_id, kind))

    def named(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.name == name]


@dataclass
class World:
    store: JobStore
    quota: QuotaEngine
    provider: FakeProvider
    outlet: FakeOutlet
    engine: JobEngine
    clock: FakeClock
    video_url: str

    async def new_job(self, *, with_token: bool = True, **fields: Any) -> JobRecord:
        request = GenerateRequest.create(prompt=fields.pop("prompt", "a cat"), **fields)
        now = self.clock.now()
        job = await self.store.create_job(
            NewJob(
                USER,
                GUILD,
                CHANNEL,
                Operation.GENERATE,
                request.model_dump_json(),
                "fake",
                interaction_app_id=77 if with_token else None,
                interaction_token="tok" if with_token else None,
                token_expires_at=now + timedelta(minutes=15) if with_token else None,
                upload_limit=10 * 1024 * 1024,
            )
        )
        kind = ProgressKind.INTERACTION if with_token else ProgressKind.CHANNEL
        await self.store.set_progress_message(job.id, 500, kind)
        stored = await self.store.get_job(job.id)
        assert stored is not None
        return stored

    def finishes(self, provider_job_id: str, *steps: Job) -> None:
        self.provider.answers[provider_job_id] = list(steps)

    def done(self, provider_job_id: str, url: str | None = None) -> Job:
        return Job(
            provider_job_id=provider_job_id,
            status=JobStatus.SUCCEEDED,
            progress=100,
            result_url=url or self.video_url,
            duration=3.0,
            seed=7,
        )

    async def until(
        self, predicate: Callable[[], Awaitable[bool] | bool], timeout: float = 5.0
    ) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            outcome = predicate()
            if isinstance(outcome, Awaitable):
                outcome = await outcome
            if outcome:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"condition not met within {timeout}s: {self.outlet.calls}")
            await asyncio.sleep(0.01)

    async def job(self, job_id: int) -> JobRecord:
        record = await self.store.get_job(job_id)
        assert record is not None
        return record


@pytest.fixture
async def video_server() -> AsyncIterator[str]:
    async def video(request: web.Request) -> web.Response:
        if request.match_info["name"] == "missing.mp4":
            return web.Response(status=404)
        return web.Response(body=VIDEO_BYTES, content_type="video/mp4")

    app = web.Application()
    app.router.add_get("/v/{name}", video)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/v"
    await runner.cleanup()


@pytest.fixture
async def world(tmp_path: Path, video_server: str) -> AsyncIterator[World]:
    clock = FakeClock(datetime.now(UTC))
    database = await open_database(tmp_path / "bot.sqlite3", clock=clock)
    quota = QuotaEngine(database, QuotaDefaults(max_in_flight_user=20, max_in_flight_guild=50))
    store = JobStore(database, quota)
    provider, outlet = FakeProvider(), FakeOutlet()
    async with aiohttp.ClientSession() as http:
        engine = JobEngine(
            store=store,
            provider=provider,
            outlet=outlet,
            http=http,
            settings=EngineSettings(poll_interval=0.01, polls_per_second=1000, edit_interval=0),
            now=clock.now,
        )
        yield World(store, quota, provider, outlet, engine, clock, f"{video_server}/ok.mp4")
        await engine.stop()
    await database.close()
