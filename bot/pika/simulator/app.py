"""The simulator server: lifecycle, the fault middleware, result files, jobs and control.

The webbot and feed routes are here; the pikadev and fal dialects have their own modules
(``pikadev.py``, ``fal.py``) that register their routes on the same application and create
jobs through ``Simulator.submit_job``. ``routing.py`` says what each route is (dialect, fault
scope, key, error shape) and ``records.py`` keeps the request log.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import random
import re
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.pika.simulator import fal, pikadev, routing, shapes, specs, validation
from bot.pika.simulator.config import SimulatorConfig
from bot.pika.simulator.faults import Decision, FaultConfig, FaultConfigError
from bot.pika.simulator.jobs import JobTable, SimJob, seed_for
from bot.pika.simulator.multipart import FormError
from bot.pika.simulator.problems import NotFoundError, UnprocessableError
from bot.pika.simulator.records import RecordedRequest, record_of
from bot.pika.simulator.results import ResultMaker
from bot.pika.simulator.signing import WebhookSigner
from bot.pika.simulator.validation import RequestRejectedError, Submission
from bot.pika.simulator.video import VideoInfo
from bot.pika.simulator.webhooks import Push, WebhookDelivery, WebhookNotifier

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_OWN_FILE = re.compile(r"/files/(?P<job>[^/]+)/(?P<name>[^/]+)$")
_UPSCALE_MESSAGE = (
    "Upscale job was started, please use the video url with the POST /web/jobs/upscaled"
    " endpoint to check the status of the job."
)


_NO_FAULTS = Decision()
_DECISION: ContextVar[Decision] = ContextVar("pika_simulator_decision", default=_NO_FAULTS)
"""The faults decided for the request being handled (the middleware and handler share a task)."""


class Simulator:
    """A real HTTP server that behaves like the webbot, feed, pikadev and fal Pika services."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self._initial_faults = copy.deepcopy(self.config.faults)
        if self.config.fail_rate:
            rate = min(1.0, self._initial_faults.fail_jobs.rate + self.config.fail_rate)
            self._initial_faults.fail_jobs.rate = rate
        self.faults: FaultConfig = copy.deepcopy(self._initial_faults)
        self.requests: list[RecordedRequest] = []
        self.webhooks: list[WebhookDelivery] = []
        self.jobs = JobTable(self.config.clock, lanes={fal.LANE: self.config.fal_concurrency})
        self._rng = random.Random(self.config.seed)
        self._clock = self.config.clock
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._base_url: str | None = None
        self._own_dir = self.config.output_dir is None
        self._dir: Path | None = None
        self._results: ResultMaker | None = None
        self._notifier: WebhookNotifier | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        """Set while stopping: ends the ``slow`` fault's waits, so a stop is never held up."""
        self._pikadev = pikadev.PikaDevApi(self)
        self._fal = fal.FalQueue(self)

    # ------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and serve; returns once the server accepts connections."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        if self._own_dir:
            self._dir = Path(tempfile.mkdtemp(prefix="pika-simulator-"))
        else:
            assert self.config.output_dir is not None
            self._dir = Path(self.config.output_dir)
            self._dir.mkdir(parents=True, exist_ok=True)
        self._session = aiohttp.ClientSession()
        # A fresh application per start: aiohttp freezes one after it has served.
        runner = web.AppRunner(self._build_app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            await self._session.close()
            raise
        self._runner = runner
        self._stopping = asyncio.Event()  # made here: an Event belongs to one event loop
        bound_port = runner.addresses[0][1]
        reachable = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        if ":" in reachable:
            reachable = f"[{reachable}]"
        self._base_url = f"http://{reachable}:{bound_port}"
        self._results = ResultMaker(self.config, self._dir, self._session)
        self._notifier = WebhookNotifier(
            self.jobs,
            self._clock,
            self._session,
            self._webhook_push,
            self.webhooks,
            timeout=self.config.webhook_timeout,
            drop=lambda: self.faults.drop_webhooks.fire(self._rng),
        )
        self._notifier.start()
        log.info("Pika simulator serving at %s (webbot %s, feed %s, pikadev %s, fal %s)",
                 self._base_url, self.webbot_base, self.feed_base, self.pikadev_base,
                 self.fal_base)  # fmt: skip

    async def stop(self) -> None:
        """Stop serving, finish or abandon background work, and remove temporary files."""
        if self._runner is None:
            return
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._notifier is not None:
            await self._notifier.stop()
            self._notifier = None
        if self._results is not None:
            await self._results.close()
            self._results = None
        await self._runner.cleanup()
        self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._own_dir and self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
        log.info("Pika simulator stopped")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The bound address, e.g. ``http://127.0.0.1:8787``."""
        if self._base_url is None:
            raise RuntimeError("the simulator is not running")
        return self._base_url

    @property
    def public_base_url(self) -> str:
        """The base of URLs handed out in answers."""
        return (self.config.public_base_url or self.base_url).rstrip("/")

    @property
    def webbot_base(self) -> str:
        return self.base_url + "/web"

    @property
    def feed_base(self) -> str:
        return self.base_url

    @property
    def pikadev_base(self) -> str:
        """Stands in for ``https://devapi.pika.art``."""
        return self.base_url + pikadev.PREFIX

    @property
    def fal_base(self) -> str:
        """Stands in for ``https://queue.fal.run``."""
        return self.base_url + fal.PREFIX

    @property
    def fal_jwks_url(self) -> str:
        """The JWKS with the key fal webhooks are signed with (fal's is on rest.alpha.fal.ai)."""
        return self.fal_base + "/.well-known/jwks.json"

    @property
    def fal_signer(self) -> WebhookSigner:
        """The key pair fal webhooks are signed with (kept across restarts of this instance)."""
        return self._fal.signer

    def reset(self, *, jobs: bool = False) -> None:
        """Restore the starting faults and forget recorded requests (and jobs, if asked)."""
        self.faults = copy.deepcopy(self._initial_faults)
        self.requests.clear()
        self.webhooks.clear()
        if jobs:
            self.jobs.clear()

    # ------------------------------------------------------------ routing

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._middleware], client_max_size=self.config.max_body_bytes
        )
        add = app.router.add_route
        add("POST", "/web/generate", self._webbot_generate, name="webbot.generate")
        add("POST", "/web/lipSync", self._webbot_lipsync, name="webbot.lipsync")
        add("POST", "/web/adjust", self._webbot_adjust, name="webbot.adjust")
        add("POST", "/web/extend", self._webbot_extend, name="webbot.extend")
        add("POST", "/web/upscale", self._webbot_upscale, name="webbot.upscale")
        add("POST", "/web/jobs/upscaled", self._webbot_upscaled, name="webbot.upscaled")
        add("GET", "/web/jobs/{job_id}", self._webbot_job, name="webbot.job")
        add("POST", "/pika/generate", self._feed_generate, name="feed.generate")
        add("GET", "/pika/feed/{job_id}", self._feed_job, name="feed.job")
        app.router.add_get("/files/{job_id}/{name}", self._file, name="files")
        self._pikadev.add_routes(app)
        self._fal.add_routes(app)
        add("GET", "/_sim/faults", self._control_faults_get, name="control.faults")
        add("POST", "/_sim/faults", self._control_faults_set, name="control.faults.set")
        add("GET", "/_sim/requests", self._control_requests, name="control.requests")
        add("GET", "/_sim/jobs", self._control_jobs, name="control.jobs")
        add("POST", "/_sim/reset", self._control_reset, name="control.reset")
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        name = request.match_info.route.name or ""
        if name.startswith("control.") or request.path.startswith("/_sim/"):
            return await self._guard(request, handler, "control")
        dialect = routing.dialect_of(name, request.path)
        scope = routing.scope_of(name)
        record = await self._record(request, scope)
        if self.config.api_key is not None:
            record.authorized = routing.authorized(request, dialect, self.config.api_key)
        decision = self.faults.decide(scope, self._rng) if scope != "other" else Decision()
        _DECISION.set(decision)
        if decision.delay and not decision.delay_after_handler:
            await self._pause(decision.delay)
        if decision.status == 500 and not decision.after_handler:
            return routing.error(
                dialect, 500, "The server had an error (simulated)", "internal_error"
            )
        if decision.status == 429:
            retry = f"{decision.retry_after:g}" if decision.retry_after is not None else "1"
            return routing.error(dialect, 429, "Too many requests (simulated)", "rate_limited",
                          headers={"Retry-After": retry})  # fmt: skip
        if record.authorized is False and name not in routing.PUBLIC_ROUTES:
            return routing.unauthorized(dialect)
        response = await self._guard(request, handler, dialect)
        if decision.delay and decision.delay_after_handler:
            # The request has taken effect; only its answer is late.
            await self._pause(decision.delay)
        if decision.status == 500:
            return routing.error(
                dialect, 500, "The server had an error (simulated)", "internal_error"
            )
        if decision.malformed and response.status < 300 and scope != "files":
            return web.Response(
                status=200, text='{"job": {"id": "', content_type="application/json"
            )
        return response

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the simulator stops meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _guard(
        self, request: web.Request, handler: Handler, dialect: str
    ) -> web.StreamResponse:
        """Run a handler, turning rejections and unknown ids into the dialect's JSON answers."""
        try:
            return await handler(request)
        except UnprocessableError as error:
            log.info("refused %s %s: %s", request.method, request.path, error)
            return web.json_response({"detail": error.detail}, status=422)
        except FormError as error:
            log.info("unparseable form %s %s: %s", request.method, request.path, error)
            return routing.error(
                dialect, 400, "There was an error parsing the body", "invalid_request"
            )
        except RequestRejectedError as error:
            log.info("rejected %s %s: %s", request.method, request.path, error)
            return routing.error(dialect, 400, str(error), "invalid_request")
        except FaultConfigError as error:
            return routing.error(dialect, 400, str(error), "invalid_request")
        except NotFoundError as error:
            return routing.error(dialect, 404, str(error), "not_found")
        except web.HTTPException as error:
            if error.status >= 400:
                return routing.error(dialect, error.status, error.reason, "http_error")
            raise

    async def _record(self, request: web.Request, scope: str) -> RecordedRequest:
        record = await record_of(request, scope)
        self.requests.append(record)
        overflow = len(self.requests) - self.config.record_limit
        if overflow > 0:
            del self.requests[:overflow]
        return record

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        """Parse the body as JSON whatever its Content-Type (curl -d sends a form type)."""
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise RequestRejectedError("the request body must be a JSON object")
        return body

    @staticmethod
    def show_progress() -> bool:
        """Whether the status answer being made may show progress (``omit_progress`` fault)."""
        return not _DECISION.get().omit_progress

    # ------------------------------------------------------------ webbot

    async def _webbot_generate(self, request: web.Request) -> web.Response:
        return await self._webbot_submit(request, validation.webbot_generate)

    async def _webbot_lipsync(self, request: web.Request) -> web.Response:
        return await self._webbot_submit(request, validation.webbot_lipsync)

    async def _webbot_adjust(self, request: web.Request) -> web.Response:
        return await self._webbot_submit(request, validation.webbot_adjust)

    async def _webbot_extend(self, request: web.Request) -> web.Response:
        return await self._webbot_submit(request, validation.webbot_extend)

    async def _webbot_submit(
        self, request: web.Request, check: Callable[[dict[str, Any]], Submission]
    ) -> web.Response:
        body = await self._body(request)
        submission = check(body)
        job = self.submit_job(submission, body=body)
        answer = shapes.webbot_submitted(job, self.jobs.state(job), self.public_base_url)
        return web.json_response(answer)

    async def _webbot_upscale(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        submission = validation.webbot_upscale(body)
        assert submission.source_video is not None
        if self.jobs.upscale_of(submission.source_video) is None:
            self.submit_job(submission, body=body)
        answer = {"success": True, "video": submission.source_video, "message": _UPSCALE_MESSAGE}
        return web.json_response(answer)

    async def _webbot_upscaled(self, request: web.Request) -> web.Response:
        url = validation.video_url(await self._body(request))
        job = self.jobs.upscale_of(url)
        if job is None:
            raise NotFoundError(f"no upscale job was started for {url}")
        return self._webbot_job_answer(request, job)

    async def _webbot_job(self, request: web.Request) -> web.Response:
        job = self.job_for(request.match_info["job_id"], "webbot")
        return self._webbot_job_answer(request, job)

    def _webbot_job_answer(self, request: web.Request, job: SimJob) -> web.Response:
        answer = shapes.webbot_get_job(
            job,
            self.jobs.state(job),
            self.public_base_url,
            with_progress=self.show_progress(),
        )
        return web.json_response(answer)

    # ------------------------------------------------------------ feed

    async def _feed_generate(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        job = self.submit_job(validation.feed_generate(body), body=body)
        return web.json_response({"id": job.id})

    async def _feed_job(self, request: web.Request) -> web.Response:
        job = self.job_for(request.match_info["job_id"], "feed")
        answer = shapes.feed_job(
            job,
            self.jobs.state(job),
            self.public_base_url,
            with_progress=self.show_progress(),
        )
        return web.json_response(answer)

    # ------------------------------------------------------------ files

    async def _file(self, request: web.Request) -> web.StreamResponse:
        job = self.jobs.get(request.match_info["job_id"])
        name = request.match_info["name"]
        path = None
        if job is not None and self.jobs.state(job).phase == "finished":
            path = job.file_path(name)
        if path is None:
            raise NotFoundError(f"no file {name}")
        content_type = "video/mp4" if name.endswith(".mp4") else "image/jpeg"
        return web.FileResponse(path, headers={"Content-Type": content_type})

    # ------------------------------------------------------------ control

    async def _control_faults_get(self, request: web.Request) -> web.Response:
        return web.json_response(self.faults.to_json())

    async def _control_faults_set(self, request: web.Request) -> web.Response:
        try:
            changes = json.loads(await request.text() or "{}")
        except ValueError:
            raise RequestRejectedError("the request body must be a JSON object") from None
        self.faults.update(changes)
        return web.json_response(self.faults.to_json())

    async def _control_requests(self, request: web.Request) -> web.Response:
        return web.json_response([record.to_json() for record in self.requests])

    async def _control_jobs(self, request: web.Request) -> web.Response:
        listing = []
        for job in self.jobs:
            state = self.jobs.state(job)
            listing.append({
                "id": job.id,
                "dialect": job.dialect,
                "operation": job.submission.operation,
                "phase": state.phase,
                "progress": state.progress,
                "prompt": job.prompt,
                "error": job.error,
                "lane": job.lane,
                "cancelled": job.cancelled_at is not None,
            })  # fmt: skip
        return web.json_response(listing)

    async def _control_reset(self, request: web.Request) -> web.Response:
        try:
            options = json.loads(await request.text() or "{}")
        except ValueError:
            options = {}
        self.reset(jobs=bool(isinstance(options, dict) and options.get("jobs")))
        return web.json_response({"reset": True})

    # ------------------------------------------------------------ jobs

    def job_for(self, job_id: str, dialect: str, *, what: str = "job") -> SimJob:
        """Return the job ``job_id`` if ``dialect`` created it, else raise ``NotFoundError``."""
        job = self.jobs.get(job_id)
        if job is None or job.dialect != dialect:
            if dialect in (pikadev.DIALECT, fal.DIALECT):
                raise NotFoundError(f"{what.capitalize()} not found")
            raise NotFoundError(f"no job with id {job_id}")
        return job

    def own_result(self, url: str) -> SimJob | None:
        """Return the finished job whose result video ``url`` is, if this simulator made it."""
        match = _OWN_FILE.search(urlsplit(url).path)
        if match is None:
            return None
        job = self.jobs.get(match["job"])
        if job is None or self.jobs.state(job).phase != "finished":
            return None
        if match["name"] not in (job.video_name, job.sharing_name):
            return None
        return job

    def submit_job(
        self,
        submission: Submission,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        lane: str | None = None,
        source_info: VideoInfo | None = None,
    ) -> SimJob:
        """Create a job for a valid request and start rendering its result.

        ``body`` is a webbot/feed body, echoed back in ``job.params``; the other dialects give
        ``params`` as they want it listed. ``lane`` queues the job behind that lane's slots;
        ``source_info`` describes an uploaded source video.
        """
        source = None
        if submission.source_video is not None:
            source = self.own_result(submission.source_video)
            if submission.operation == "upscale" and source is None:
                raise RequestRejectedError(
                    "video must be a finished result URL produced by this service"
                )
            if submission.operation == "lipsync" and source is not None:
                assert source.result is not None
                # Checked now when the video is ours; a foreign video is checked once fetched.
                specs.check_speech_window(submission, source.result.info)
        if params is None:
            params = shapes.echo_params(body or {}, submission.request_type)
        if submission.operation == "upscale" and source is not None:
            # An upscale reports the original's prompt, seed and options, as Pika's does.
            submission = replace(submission, prompt=source.prompt, seed=source.seed)
            params = {**source.params, "video": submission.source_video}
        job_id = str(uuid.uuid4())
        delayed = self.jobs.in_flight() >= self.config.delayed_after
        fails = self.faults.fail_jobs.fire(submission.prompt, self._rng)
        job = SimJob(
            id=job_id,
            submission=submission,
            params=params,
            created_at=self._clock(),
            created_wall=datetime.now(UTC),
            run_seconds=self.config.job_seconds,
            seed=submission.seed if submission.seed is not None else seed_for(job_id),
            delayed=delayed,
            fail_message=self.faults.fail_jobs.message if fails else None,
            fail_type=self.faults.fail_jobs.error_type if fails else None,
            source_job=source,
            lane=lane,
            source_info=source_info,
        )
        self.jobs.add(job)
        log.info("job %s: %s %s accepted (%s)", job.id, job.dialect, submission.operation,
                 "will fail" if fails else "delayed" if delayed else "queued")  # fmt: skip
        if not fails:
            task = asyncio.create_task(self._make_result(job), name=f"pika-simulator-{job.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self.wake_notifier()
        return job

    async def _make_result(self, job: SimJob) -> None:
        assert self._results is not None
        try:
            await self._results.make(job)
        finally:
            self.wake_notifier()

    def wake_notifier(self) -> None:
        """Have webhooks looked at now (a job was added, cancelled or rendered)."""
        if self._notifier is not None:
            self._notifier.wake()

    def _webhook_push(self, job: SimJob) -> Push:
        if job.dialect == fal.DIALECT:
            return self._fal.webhook_push(job)
        return Push.of(shapes.webbot_get_job(job, self.jobs.state(job), self.public_base_url))
