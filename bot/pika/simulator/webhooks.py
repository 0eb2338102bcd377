"""Push each finished webbot job to its ``webhookOverride`` once, from one loop for all jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.pika.simulator.jobs import JobTable, SimJob

log = logging.getLogger(__name__)


@dataclass
class WebhookDelivery:
    """One webhook push, and how it went."""

    job_id: str
    url: str
    status: int | None = None
    error: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


class WebhookNotifier:
    """Watch the job table and push jobs with a webhook when they end (best effort, no retry)."""

    def __init__(
        self,
        jobs: JobTable,
        clock: Callable[[], float],
        session: aiohttp.ClientSession,
        payload: Callable[[SimJob], dict[str, Any]],
        deliveries: list[WebhookDelivery],
        *,
        timeout: float,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._session = session
        self._payload = payload
        self._deliveries = deliveries
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name="pika-simulator-webhooks")

    def wake(self) -> None:
        """Look at the jobs again now (a job was added or its render ended)."""
        self._wake.set()

    async def stop(self) -> None:
        tasks = [*self._tasks, *([self._loop_task] if self._loop_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock()
            next_due: float | None = None
            for job in self._jobs:
                if job.submission.webhook_url is None or job.webhook_sent:
                    continue
                if job.state_at(now).terminal:
                    job.webhook_sent = True
                    task = asyncio.create_task(self._push(job), name=f"pika-webhook-{job.id}")
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    continue
                # A job past its time waits for its render, whose end wakes this loop.
                due = job.finish_time() if job.finish_time() > now else now + 1.0
                next_due = due if next_due is None else min(next_due, due)
            # Capped, so an injected clock that jumps ahead is noticed within a second.
            timeout = None if next_due is None else min(1.0, max(0.005, next_due - now))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _push(self, job: SimJob) -> None:
        url = job.submission.webhook_url
        assert url is not None
        delivery = WebhookDelivery(job.id, url, payload=self._payload(job))
        self._deliveries.append(delivery)
        try:
            async with self._session.post(
                url, json=delivery.payload, timeout=self._timeout
            ) as response:
                delivery.status = response.status
            log.info("job %s: webhook to %s answered %d", job.id, url, response.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            delivery.error = str(error) or type(error).__name__
            log.warning("job %s: webhook to %s failed: %s", job.id, url, delivery.error)
