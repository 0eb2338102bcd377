"""fal's queue in front of Pika (``queue.fal.run``), mounted under ``/fal``.

Auth ``Authorization: Key <key>``. JSON bodies in snake_case, media as URLs. Submitting to a
model's path puts a request in the queue; the answer's URLs use the *app's* short path::

    POST {fal_base}/fal-ai/pika/<model path>[?fal_webhook=<url>]   submit (200)
    GET  {fal_base}/fal-ai/pika/requests/{id}/status[?logs=1]      status
    GET  {fal_base}/fal-ai/pika/requests/{id}                      result
    PUT  {fal_base}/fal-ai/pika/requests/{id}/cancel               cancel
    GET  {fal_base}/.well-known/jwks.json                          webhook keys (no auth)

Model paths: ``v2.2/text-to-video``, ``v2.2/image-to-video``, ``v2.2/pikascenes``,
``v2.2/pikaframes``, ``v1.5/pikaffects``, ``v2/pikadditions``, ``v2/pikaswaps`` (inputs in
``fal_checks``). Every output is ``{"video": {"url", "content_type", "file_name",
"file_size"}}``.

The queue serves ``SimulatorConfig.fal_concurrency`` requests at a time, first come first
served; the others wait ``IN_QUEUE`` with a 0-based ``queue_position`` that moves as the ones
ahead start. Status answers HTTP 202 with ``IN_QUEUE`` or ``IN_PROGRESS`` (``logs`` is a
list only with ``?logs=1``, else ``null``), then 200 with ``COMPLETED`` and ``metrics``
(plus ``error`` and ``error_type`` when the request failed). A webhook (``fal_webhook``) is
POSTed once when the request ends, signed with Ed25519 (``signing.py``); its keys are at
``Simulator.fal_jwks_url``.

Assumptions where the reference is silent (PIKA_OFFICIAL.md §5, questions 7 and 8):

- Cancel answers 200 ``{"status": "OK"}`` while queued (the request never runs),
  202 ``CANCELLATION_REQUESTED`` while running, 400 ``ALREADY_COMPLETED`` once ended,
  404 ``NOT_FOUND`` for an unknown id. A running request honours the cancel at once when
  ``SimulatorConfig.fal_honours_cancel`` (the default), else it runs to its end. A cancelled
  request is ``COMPLETED`` with ``error: "Request was cancelled"`` and
  ``error_type: "request_cancelled"``; its result answers 400
  ``{"detail": "Request was cancelled", "error_type": "request_cancelled"}`` and its webhook
  says ``ERROR`` with that body.
- A model failure (the ``fail_jobs`` fault) is ``COMPLETED`` with ``error`` = the fault's
  message and ``error_type`` = its ``error_type``; the result answers 422
  ``{"detail": [{"loc": ["body"], "msg": <message>, "type": <error_type>}]}``.
- The result of a request still queued or running answers 400
  ``{"detail": "Request is still in progress"}``; an unknown id answers 404
  ``{"detail": "Request not found"}`` on status and result.
- ``gateway_request_id`` differs from ``request_id`` (as after a retry), so a client can be
  checked to key on the latter; the submit answer carries it when a webhook is set.
- ``omit_progress`` drops ``queue_position`` from status answers (fal has no progress).
- Webhooks are not retried; ``x-fal-request-timeout``, priorities and ``status/stream`` are not
  simulated.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.pika.simulator import fal_checks, shapes
from bot.pika.simulator.jobs import JobState, SimJob
from bot.pika.simulator.problems import body_error
from bot.pika.simulator.signing import WebhookSigner
from bot.pika.simulator.validation import Submission
from bot.pika.simulator.webhooks import Push

if TYPE_CHECKING:
    from bot.pika.simulator.app import Simulator

PREFIX = "/fal"
APP = "fal-ai/pika"
DIALECT = "fal"
LANE = "fal"
USER_ID = "pika-simulator-user"
"""Sent (and signed) as ``X-Fal-Webhook-User-Id``."""
CANCELLED_TYPE = "request_cancelled"
FAILED_TYPE = "internal_server_error"
"""``error_type`` of a failure that is no fault's doing (a render that broke)."""
MODELS: dict[str, Callable[[dict[str, Any]], Submission]] = {
    "v2.2/text-to-video": fal_checks.text_to_video,
    "v2.2/image-to-video": fal_checks.image_to_video,
    "v2.2/pikascenes": fal_checks.pikascenes,
    "v2.2/pikaframes": fal_checks.pikaframes,
    "v1.5/pikaffects": fal_checks.pikaffects,
    "v2/pikadditions": fal_checks.pikadditions,
    "v2/pikaswaps": fal_checks.pikaswaps,
}
STATUS_ROUTE, RESULT_ROUTE, CANCEL_ROUTE = "fal.status", "fal.result", "fal.cancel"
JWKS_ROUTE = "fal.jwks"
PUBLIC_ROUTES = frozenset({JWKS_ROUTE})
_GATEWAY_IDS = uuid.UUID("5f1d7c3e-2a4b-4e8f-9c6d-0b1a2c3d4e5f")


def scope(route_name: str) -> str:
    """Return the fault scope of one of this dialect's routes (cancel counts as a poll)."""
    if route_name.startswith("fal.submit."):
        return "submit"
    return "other" if route_name in PUBLIC_ROUTES else "poll"


def gateway_id(job: SimJob) -> str:
    """Return the request's ``gateway_request_id`` (stable, and not its ``request_id``)."""
    return str(uuid.uuid5(_GATEWAY_IDS, job.id))


class FalQueue:
    """The dialect's routes, answers and webhook pushes."""

    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator
        self.signer = WebhookSigner()

    def add_routes(self, app: web.Application) -> None:
        for path, check in MODELS.items():
            name = "fal.submit." + path.replace(".", "_").replace("/", ".")
            handler: Callable[[web.Request], Awaitable[web.Response]] = partial(self._submit, check)
            app.router.add_post(f"{PREFIX}/{APP}/{path}", handler, name=name)
        requests = f"{PREFIX}/{APP}/requests/{{request_id}}"
        app.router.add_get(requests + "/status", self._status, name=STATUS_ROUTE)
        app.router.add_get(requests, self._result, name=RESULT_ROUTE)
        app.router.add_put(requests + "/cancel", self._cancel, name=CANCEL_ROUTE)
        app.router.add_get(PREFIX + "/.well-known/jwks.json", self._jwks, name=JWKS_ROUTE)

    # ------------------------------------------------------------ routes

    async def _submit(
        self, check: Callable[[dict[str, Any]], Submission], request: web.Request
    ) -> web.Response:
        body = fal_checks.read_body(await request.read())
        submission = check(body)
        webhook = request.query.get("fal_webhook")
        if webhook is not None:
            parts = urlsplit(webhook)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise body_error(
                    ("query", "fal_webhook"), "Value error, must be an http(s) URL", "value_error"
                )
            submission = replace(submission, webhook_url=webhook)
        job = self._sim.submit_job(submission, params=body, lane=LANE)
        answer = {
            "status": "IN_QUEUE",
            **self._urls(job),
            "queue_position": self._sim.jobs.queue_position(job),
        }
        if webhook is not None:
            answer["gateway_request_id"] = gateway_id(job)
        return self._json(job, answer)

    async def _status(self, request: web.Request) -> web.Response:
        job = self._sim.job_for(request.match_info["request_id"], DIALECT, what="request")
        state = self._sim.jobs.state(job)
        with_logs = request.query.get("logs", "").lower() in ("1", "true")
        answer: dict[str, Any]
        if state.phase in ("queued", "delayed"):
            answer = {"status": "IN_QUEUE", **self._urls(job)}
            if self._sim.show_progress():
                answer["queue_position"] = self._sim.jobs.queue_position(job)
            return self._json(job, answer, status=202)
        logs = self._logs(job, state) if with_logs else None
        if not state.terminal:
            return self._json(job, {"status": "IN_PROGRESS", "logs": logs, **self._urls(job)}, 202)
        answer = {"status": "COMPLETED", "logs": logs, "metrics": self._metrics(job)}
        answer.update(self._urls(job))
        if state.phase == "failed":
            answer["error"] = job.error
            answer["error_type"] = self._error_type(job)
        return self._json(job, answer)

    async def _result(self, request: web.Request) -> web.Response:
        job = self._sim.job_for(request.match_info["request_id"], DIALECT, what="request")
        state = self._sim.jobs.state(job)
        if not state.terminal:
            return self._json(job, {"detail": "Request is still in progress"}, status=400)
        status, body = self.output(job, state)
        return self._json(job, body, status=status)

    async def _cancel(self, request: web.Request) -> web.Response:
        job = self._sim.jobs.get(request.match_info["request_id"])
        if job is None or job.dialect != DIALECT:
            return web.json_response({"status": "NOT_FOUND"}, status=404)
        state = self._sim.jobs.state(job)
        if state.terminal:
            return self._json(job, {"status": "ALREADY_COMPLETED"}, status=400)
        now = self._sim.config.clock()
        if state.phase in ("queued", "delayed"):
            job.cancelled_at = now  # before its start: it leaves the queue, never runs
            answer, status = "OK", 200
        else:
            if self._sim.config.fal_honours_cancel:
                job.cancelled_at = now
            answer, status = "CANCELLATION_REQUESTED", 202
        self._sim.wake_notifier()
        return self._json(job, {"status": answer}, status=status)

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response(self.signer.jwks())

    # ------------------------------------------------------------ answers

    def output(self, job: SimJob, state: JobState) -> tuple[int, dict[str, Any]]:
        """Return the HTTP status and body of an ended request's result."""
        if state.phase == "finished":
            assert job.result is not None
            video = {
                "url": shapes.result_url(job, self._sim.public_base_url),
                "content_type": "video/mp4",
                "file_name": job.video_name,
                "file_size": job.result.size,
            }
            return 200, {"video": video}
        if job.cancelled_at is not None:
            return 400, {"detail": job.error, "error_type": CANCELLED_TYPE}
        detail = [{"loc": ["body"], "msg": job.error, "type": self._error_type(job)}]
        return 422, {"detail": detail}

    def webhook_push(self, job: SimJob) -> Push:
        """Return the signed push sent when the request ends."""
        status, output = self.output(job, self._sim.jobs.state(job))
        payload: dict[str, Any] = {"request_id": job.id, "gateway_request_id": gateway_id(job)}
        if status == 200:
            payload.update(status="OK", payload=output)
        else:
            payload.update(status="ERROR", error=f"Invalid status code: {status}", payload=output)
        return Push.of(payload, lambda body: self.signer.headers(job.id, USER_ID, body))

    def _urls(self, job: SimJob) -> dict[str, str]:
        root = f"{self._sim.public_base_url}{PREFIX}/{APP}/requests/{job.id}"
        return {
            "request_id": job.id,
            "response_url": root,
            "status_url": root + "/status",
            "cancel_url": root + "/cancel",
        }

    def _error_type(self, job: SimJob) -> str:
        if job.cancelled_at is not None:
            return CANCELLED_TYPE
        return job.fail_type or FAILED_TYPE

    def _metrics(self, job: SimJob) -> dict[str, float | None]:
        slot = self._sim.jobs.slot(job)
        if slot.removed:
            return {"inference_time": None}
        return {"inference_time": round(slot.end - slot.start, 3)}

    def _logs(self, job: SimJob, state: JobState) -> list[dict[str, str]]:
        slot = self._sim.jobs.slot(job)
        if slot.removed:
            return []
        started = job.created_wall + timedelta(seconds=slot.start - job.created_at)
        stamp = started.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        messages = ["Starting generation"]
        if state.progress:
            messages.append(f"Generating video: {state.progress}%")
        return [
            {"message": message, "level": "INFO", "source": "user", "timestamp": stamp}
            for message in messages
        ]

    @staticmethod
    def _json(job: SimJob, body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(body, status=status, headers={"x-fal-request-id": job.id})
