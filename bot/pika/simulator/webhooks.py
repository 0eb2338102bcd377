"""Push each ended job to its webhook once, from one loop for all jobs.

Webbot jobs with ``webhookOverride`` and fal requests with ``fal_webhook`` have one; what is
sent (body and headers, fal's signature included) is the dialect's business, handed in as
``build``. A push can be dropped by the ``drop_webhooks`` fault: it is then recorded but
never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.pika.simulator.jobs import JobTable, SimJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Push:
    """What to POST for one job."""

    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers (fal's signature); Content-Type is always ``application/json``."""
    body: bytes = b""
    """The exact bytes sent (and signed); the payload's JSON when empty."""

    @classmethod
    def of(
        cls, payload: dict[str, Any], sign: Callable[[bytes], dict[str, str]] | None = None
    ) -> Push:
        """Serialise ``payload`` once, so that the signed bytes are the bytes sent."""
        body = json.dumps(payload).encode()
        return cls(payload, sign(body) if sign else {}, body)


@dataclass
class WebhookDelivery:
    """One webhook push, and how it went."""

    job_id: str
    url: str
    status: int | None = None
    error: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    dropped: bool = False
    """The ``drop_webhooks`` fault kept this push from being sent."""
    headers: dict[str, str] = field(default_factory=dict)
    """The extra headers sent (fal's signature headers)."""
    body: bytes = b""
    """The exact body sent."""


class WebhookNotifier:
    """Watch the job table and push jobs with a webhook when they end (best effort, no retry)."""

    def __init__(
        self,
        jobs: JobTable,
        clock: Callable[[], float],
        session: aiohttp.ClientSession,
        build: Callable[[SimJob], Push],
        deliveries: list[WebhookDelivery],
        *,
        timeout: float,
        drop: Callable[[], bool] = lambda: False,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._session = session
        self._build = build
        self._deliveries = deliveries
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._drop = drop
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name="pika-simulator-webhooks")

    def wake(self) -> None:
        """Look at the jobs again now (a job was added, cancelled, or its render ended)."""
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
                if self._jobs.state(job).terminal:
                    job.webhook_sent = True
                    self._send(job)
                    continue
                # Past its time (render late) or not yet scheduled (queued behind a late
                # job): such changes wake this loop, and the cap below catches the rest.
                finish = self._jobs.finish_time(job)
                due = finish if finish is not None and finish > now else now + 1.0
                next_due = due if next_due is None else min(next_due, due)
            # Capped, so an injected clock that jumps ahead is noticed within a second.
            timeout = None if next_due is None else min(1.0, max(0.005, next_due - now))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _send(self, job: SimJob) -> None:
        url = job.submission.webhook_url
        assert url is not None
        push = self._build(job)
        delivery = WebhookDelivery(
            job.id, url, payload=push.payload, headers=push.headers, body=push.body
        )
        self._deliveries.append(delivery)
        if self._drop():
            delivery.dropped = True
            log.info("job %s: webhook to %s dropped (simulated)", job.id, url)
            return
        task = asyncio.create_task(self._push(job, delivery), name=f"pika-webhook-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, job: SimJob, delivery: WebhookDelivery) -> None:
        headers = {"Content-Type": "application/json", **delivery.headers}
        body = delivery.body or json.dumps(delivery.payload).encode()
        try:
            async with self._session.post(
                delivery.url, data=body, headers=headers, timeout=self._timeout
            ) as response:
                delivery.status = response.status
            log.info("job %s: webhook to %s answered %d", job.id, delivery.url, response.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            delivery.error = str(error) or type(error).__name__
            log.warning("job %s: webhook to %s failed: %s", job.id, delivery.url, delivery.error)
