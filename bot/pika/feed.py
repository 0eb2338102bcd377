"""The "feed" dialect (a reseller proxy): generate, Pikaffects and ingredients, polled by feed.

Differences from webbot, converted here at the edge: the aspect ratio is a number (and left out
when an image is sent), the camera object holds only the moves that are set, ingredients go in
``ingredient`` with ``options["ingredients-mode"]``, and the service takes no ``ref`` or webhook.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from bot.pika.capabilities import CANNOT, Capabilities
from bot.pika.dialect import HttpDialect
from bot.pika.errors import UnavailableError, UnsupportedOperationError
from bot.pika.job import Job, Operation
from bot.pika.requests import (
    FEED_PIKAFFECTS,
    GenerateRequest,
    GenerationOptions,
    IngredientsRequest,
    PikaffectRequest,
    PikaRequest,
)
from bot.pika.status import job_from_video

log = logging.getLogger(__name__)

FEED_CAPABILITIES = Capabilities(
    operations=frozenset({Operation.GENERATE, Operation.PIKAFFECT, Operation.INGREDIENTS}),
    models={
        Operation.GENERATE: ("1.5", "2.0", "2.2"),
        Operation.PIKAFFECT: ("1.5",),
        Operation.INGREDIENTS: ("2.0", "2.2"),
    },
    pikaffects=frozenset(FEED_PIKAFFECTS),
    video_input=False,
)


class FeedProvider(HttpDialect):
    """Submit to and poll a feed-dialect service."""

    name = "feed"
    capabilities = FEED_CAPABILITIES

    async def submit(
        self, request: PikaRequest, *, ref: str | None = None, webhook_url: str | None = None
    ) -> str:
        """Send the request once and return the provider's job id (``ref``/webhook unused)."""
        self.check(request)
        answer = await self._http.submit("/pika/generate", build_submission(request))
        job_id = parse_submission(answer)
        log.info("feed accepted %s as job %s (ref %s)", request.op, job_id, ref)
        return job_id

    async def fetch(self, provider_job_id: str) -> Job:
        """Return the job's current state."""
        payload = await self._http.read("GET", f"/pika/feed/{quote(provider_job_id, safe='')}")
        job = parse_job(payload)
        return job.model_copy(update={"provider_job_id": provider_job_id})


def build_submission(request: PikaRequest) -> dict[str, Any]:
    """Return the ``POST /pika/generate`` body for ``request``."""
    match request:
        case GenerateRequest():
            if request.video:
                raise UnsupportedOperationError(
                    "this Pika service cannot start from a video; attach an image instead"
                )
            body = _body("", request.prompt, request.model.value, request.options, request.image)
        case PikaffectRequest():
            body = _body(
                request.pikaffect.value,
                request.prompt,
                request.model.value,
                request.options,
                request.image,
            )
        case IngredientsRequest():
            body = _body("", request.prompt, request.model.value, request.options, None)
            body["options"]["ingredients-mode"] = request.ingredients_mode.value
            body["ingredient"] = list(request.ingredients)
        case _:
            raise UnsupportedOperationError(CANNOT[request.operation])
    return body


def _body(
    pikaffect: str, prompt: str, model: str, options: GenerationOptions, image: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pikaffect": pikaffect,
        "promptText": prompt,
        "model": model,
        "options": options_body(options, with_image=image is not None),
    }
    # "If present, must have a value": a text-only request sends no image key at all.
    if image is not None:
        body["image"] = image
    return body


def options_body(options: GenerationOptions, *, with_image: bool) -> dict[str, Any]:
    """Return ``options`` in the feed's shape."""
    body: dict[str, Any] = {}
    if not with_image:
        # The image decides the shape when there is one.
        body["aspectRatio"] = options.aspect_ratio.ratio
    parameters: dict[str, Any] = {
        "guidanceScale": options.guidance,
        "motion": options.motion,
        "negativePrompt": options.negative_prompt,
    }
    if options.seed is not None:
        parameters["seed"] = options.seed
    body |= {
        "frameRate": options.frame_rate,
        "camera": options.camera.moves,
        "parameters": parameters,
        "extend": options.extend,
    }
    return body


def parse_submission(payload: object) -> str:
    """Return the task id from ``{"id": ...}``."""
    if isinstance(payload, dict):
        for key in ("id", "taskId"):
            candidate = payload.get(key)
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()
    raise UnavailableError(
        "Pika accepted the request but its answer had no task id", maybe_submitted=True
    )


def parse_job(payload: object) -> Job:
    """Normalise a feed answer: ``{id, promptText, videos: [{status, progress, resultUrl...}]}``."""
    if not isinstance(payload, dict):
        raise UnavailableError("Pika's feed answer was not understood")
    videos = payload.get("videos")
    video: dict[str, Any] = {}
    if isinstance(videos, list) and videos and isinstance(videos[0], dict):
        video = dict(videos[0])
    for key in ("status", "error"):
        video[key] = video.get(key) or payload.get(key)
    job_id = payload.get("id") or video.get("id")
    return job_from_video(str(job_id or ""), video)
