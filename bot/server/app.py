"""One aiohttp server inside the bot process: webhook receiver, health, metrics.

A push is only a hint: its token is checked in constant time (wrong: 403), then the
provider's own signature where it signs (fal's Ed25519; bad or missing: 401), then the job
(unknown: 404, with no other effect); the answer goes back at once, and the engine then looks
at the job with one GET of its own; nothing in the pushed body is downloaded, posted or
believed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics
from bot.domain.status import StoredStatus
from bot.jobs.engine import JobEngine
from bot.jobs.push import WebhookSigner

log = logging.getLogger(__name__)

MAX_PUSH_BYTES = 1024 * 1024
LAG_SAMPLE_SECONDS = 0.1


@dataclass
class Health:
    """What /healthz reports; the Discord client keeps ``gateway`` up to date."""

    gateway: Callable[[], bool]
    database: Callable[[], Awaitable[None]]
    jobs_in_flight: Callable[[], int]


class BotServer:
    """Serves ``POST /pika/webhook/{job id}/{token}``, ``GET /healthz`` and ``GET /metrics``."""

    def __init__(
        self,
        address: tuple[str, int],
        *,
        engine: JobEngine,
        health: Health,
        counts: Callable[[], Awaitable[dict[StoredStatus, int]]],
        signer: WebhookSigner | None,
    ) -> None:
        self._address = address
        self._engine = engine
        self._health = health
        self._counts = counts
        self._signer = signer
        self._runner: web.AppRunner | None = None
        self._lag_task: asyncio.Task[None] | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_PUSH_BYTES)
        app.router.add_post("/pika/webhook/{job_id}/{token}", self._push)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        """Listen (raises ``OSError`` when the address is taken) and start sampling loop lag."""
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._address[0], self._address[1])
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        self._lag_task = asyncio.create_task(_sample_loop_lag(), name="loop-lag")
        log.info("HTTP server listening on http://%s:%s", self._address[0], self.port)

    async def stop(self) -> None:
        if self._lag_task is not None:
            self._lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._lag_task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- routes ------------------------------------------------------------------------------

    async def _push(self, request: web.Request) -> web.Response:
        if self._signer is None:
            return web.json_response({"error": "pushes are not configured"}, status=404)
        try:
            job_id = int(request.match_info["job_id"])
        except ValueError:
            job_id = -1
        if job_id < 0 or not self._signer.valid(job_id, request.match_info["token"]):
            metrics.PUSHES.labels("bad_token").inc()
            return web.json_response({"error": "forbidden"}, status=403)
        raw = await request.read()
        # The provider's own signature (fal's Ed25519), where it signs: a leaked URL alone
        # cannot forge a push.
        if not await self._engine.provider.verify_push(request.headers, raw):
            metrics.PUSHES.labels("bad_signature").inc()
            return web.json_response({"error": "bad signature"}, status=401)
        payload = _json(raw)
        if not await self._engine.pushed(job_id, payload):
            metrics.PUSHES.labels("unknown_job").inc()
            return web.json_response({"error": "unknown job"}, status=404)
        return web.json_response({"ok": True})

    async def _healthz(self, request: web.Request) -> web.Response:
        database = True
        try:
            await asyncio.wait_for(self._health.database(), timeout=2)
        except Exception:  # any failure to answer is "unhealthy", never a crash
            database = False
        gateway = self._health.gateway()
        body = {
            "gateway": gateway,
            "database": database,
            "jobs_in_flight": self._health.jobs_in_flight(),
        }
        healthy = gateway and database
        return web.json_response(body, status=200 if healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        counts = await self._counts()
        for status, count in counts.items():
            metrics.JOBS.labels(status.value).set(count)
        metrics.QUEUE_DEPTH.set(counts.get(StoredStatus.WAITING, 0))
        metrics.POLL_BUDGET.set(self._engine.budget.rate)
        return web.Response(
            body=generate_latest(metrics.REGISTRY),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


async def _sample_loop_lag() -> None:
    """How late a short timer fires is how long the loop was busy with something else."""
    while True:
        started = time.perf_counter()
        await asyncio.sleep(LAG_SAMPLE_SECONDS)
        metrics.LOOP_LAG.observe(max(0.0, time.perf_counter() - started - LAG_SAMPLE_SECONDS))
