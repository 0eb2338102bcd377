"""The Pika developer API dialect (``devapi.pika.art``), mounted under ``/pikadev``.

Auth ``X-API-KEY: <key>``. Submissions are forms (t2v urlencoded or multipart, the rest
multipart with real file parts) and answer ``{"video_id"}``; ``GET /videos/{id}`` answers
``{"id", "status": queued|started|finished|failed, "url", "progress"}``. There is no
webhook and no cancel (the API documents none). Refusals are FastAPI's: 422
``{"detail": [{"loc", "msg", "type"}]}``, and ``{"detail": "<text>"}`` otherwise.

Routes (relative to ``Simulator.pikadev_base``):

=============================== ============== ==============================================
route                           body           result
=============================== ============== ==============================================
POST /generate/2.2/t2v          urlencoded     ``resolution`` (1080p) x ``duration`` (5|10),
                                               ``aspectRatio`` 0.4..2.5 (16:9)
POST /generate/turbo/t2v        urlencoded     720p x 5 s, ``aspectRatio``
POST /generate/2.2/i2v          ``image``      the image's shape, ``resolution``, ``duration``
POST /generate/2.2/pikaframes   ``keyFrames``  2..5 files; the first's shape, 5..10 s
POST /generate/2.2/pikascenes   ``images``     1..5 files, ``ingredientsMode``, ``aspectRatio``
POST /generate/pikaffects       ``image``      ``pikaffect`` (16); the image's shape, 720p x 5 s
POST /generate/pikadditions     ``video``,     the video's shape at 720p, its length (<= 10 s)
                                ``image``
POST /generate/pikaswaps        ``video``      as Additions; ``modifyRegionMask`` and/or
                                               ``modifyRegionRoi``, ``image`` optional
GET /videos/{video_id}                         the status
=============================== ============== ==============================================

Assumptions where the reference is silent: ``queued`` covers the simulator's ``delayed``;
``progress`` is 0..100 and ``null`` under the ``omit_progress`` fault; a failed video has
``status: failed`` and ``url: null`` and no reason (none is documented); an image whose
header gives no size is taken as 16:9; a video that cannot be probed gives a 16:9, 5 s edit.
An unparseable multipart body answers 400 ``{"detail": "There was an error parsing the
body"}`` (Starlette's words).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.pika.simulator import media, pikadev_checks, shapes
from bot.pika.simulator.jobs import JobState, SimJob
from bot.pika.simulator.multipart import FormBody, parse_form

if TYPE_CHECKING:
    from bot.pika.simulator.app import Simulator

PREFIX = "/pikadev"
DIALECT = "pikadev"
STATUSES = {
    "delayed": "queued",
    "queued": "queued",
    "started": "started",
    "finished": "finished",
    "failed": "failed",
}
ENDPOINTS: dict[str, tuple[str, Callable[[FormBody], pikadev_checks.Checked]]] = {
    "/generate/2.2/t2v": ("t2v", pikadev_checks.t2v),
    "/generate/turbo/t2v": ("turbo-t2v", pikadev_checks.turbo_t2v),
    "/generate/2.2/i2v": ("i2v", pikadev_checks.i2v),
    "/generate/2.2/pikaframes": ("pikaframes", pikadev_checks.pikaframes),
    "/generate/2.2/pikascenes": ("pikascenes", pikadev_checks.pikascenes),
    "/generate/pikaffects": ("pikaffects", pikadev_checks.pikaffects),
    "/generate/pikadditions": ("pikadditions", pikadev_checks.pikadditions),
    "/generate/pikaswaps": ("pikaswaps", pikadev_checks.pikaswaps),
}
"""Route path -> (route name suffix, form check)."""
STATUS_ROUTE = "pikadev.video"


def scope(route_name: str) -> str:
    """Return the fault scope of one of this dialect's routes."""
    return "poll" if route_name == STATUS_ROUTE else "submit"


def status_answer(
    job: SimJob, state: JobState, base_url: str, *, with_progress: bool = True
) -> dict[str, Any]:
    """Return the ``GET /videos/{video_id}`` answer."""
    finished = state.phase == "finished"
    return {
        "id": job.id,
        "status": STATUSES[state.phase],
        "url": shapes.result_url(job, base_url) if finished else None,
        "progress": state.progress if with_progress else None,
    }


class PikaDevApi:
    """The dialect's routes, working on the simulator's job table."""

    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator

    def add_routes(self, app: web.Application) -> None:
        for path, (name, check) in ENDPOINTS.items():
            handler: Callable[[web.Request], Awaitable[web.Response]] = partial(
                self._generate, check
            )
            app.router.add_post(PREFIX + path, handler, name=f"pikadev.{name}")
        app.router.add_get(PREFIX + "/videos/{video_id}", self._video, name=STATUS_ROUTE)

    async def _generate(
        self, check: Callable[[FormBody], pikadev_checks.Checked], request: web.Request
    ) -> web.Response:
        form = parse_form(request.headers.get("Content-Type", ""), await request.read())
        checked = check(form)
        source_info = None
        if checked.video is not None:
            # Pika reads the upload before it answers; so does the simulator (a few ms).
            source_info = await asyncio.to_thread(media.probe_video, checked.video)
        params = {"form": form.form_record(), "files": [part.describe() for part in form.files]}
        job = self._sim.submit_job(checked.submission, params=params, source_info=source_info)
        return web.json_response({"video_id": job.id})

    async def _video(self, request: web.Request) -> web.Response:
        job = self._sim.job_for(request.match_info["video_id"], DIALECT, what="video")
        answer = status_answer(
            job,
            self._sim.jobs.state(job),
            self._sim.public_base_url,
            with_progress=self._sim.show_progress(),
        )
        return web.json_response(answer)
