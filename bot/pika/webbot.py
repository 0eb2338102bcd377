"""The "webbot" dialect (The Pika AI Video Web Bot): the full API, every operation.

Bodies follow the reference's examples key for key (``/work/shared/PIKA_API.md``). Upscale
answers no job, so its provider job id is ``"upscale:" + the original video URL`` and polling it
asks ``POST /jobs/upscaled`` instead of ``GET /jobs/{id}``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from bot.pika.capabilities import Capabilities
from bot.pika.dialect import HttpDialect
from bot.pika.errors import RejectedError, UnavailableError
from bot.pika.job import Job, Operation
from bot.pika.requests import (
    AdditionsRequest,
    EditRequest,
    ExtendRequest,
    GenerateRequest,
    GenerationOptions,
    IngredientsRequest,
    InpaintRequest,
    LipsyncRequest,
    Model,
    OutpaintRequest,
    PikaffectRequest,
    PikaRequest,
    RepromptRequest,
    SwapRequest,
    UpscaleRequest,
)
from bot.pika.status import job_from_video

log = logging.getLogger(__name__)

UPSCALE_PREFIX = "upscale:"

WEBBOT_CAPABILITIES = Capabilities(
    operations=frozenset(Operation) - {Operation.KEYFRAMES},
    models={
        # The reference's model list; Turbo is only reachable through Additions and Swap.
        Operation.GENERATE: ("1.0", "1.5", "2.0", "2.1"),
        Operation.PIKAFFECT: ("1.5",),
        Operation.INGREDIENTS: ("2.0",),
        Operation.ADDITIONS: ("Turbo",),
        Operation.SWAP: ("Turbo",),
    },
    webhooks=True,
)


class WebbotProvider(HttpDialect):
    """Submit to and poll a webbot-dialect service."""

    name = "webbot"
    capabilities = WEBBOT_CAPABILITIES

    async def submit(
        self, request: PikaRequest, *, ref: str | None = None, webhook_url: str | None = None
    ) -> str:
        """Send the request once and return the provider's job id."""
        self.check(request)
        path, body = build_submission(request, ref=ref, webhook_url=webhook_url)
        answer = await self._http.submit(path, body)
        if isinstance(request, UpscaleRequest):
            job_id = parse_upscale_answer(answer, request.video)
        else:
            job_id = parse_submission(answer)
        log.info("webbot accepted %s as job %s (ref %s)", request.op, job_id, ref)
        return job_id

    async def fetch(self, provider_job_id: str) -> Job:
        """Return the job's current state."""
        if provider_job_id.startswith(UPSCALE_PREFIX):
            original = provider_job_id.removeprefix(UPSCALE_PREFIX)
            payload = await self._http.read("POST", "/jobs/upscaled", {"video": original})
        else:
            payload = await self._http.read("GET", f"/jobs/{quote(provider_job_id, safe='')}")
        job = parse_job(payload)
        # The tracker asks by the id submit returned; answer by the same id.
        return job.model_copy(update={"provider_job_id": provider_job_id})

    def pushed_job_id(self, payload: object) -> str | None:
        """A push has the Get Job shape: ``{job: {id}, videos: [...]}``."""
        if not isinstance(payload, dict):
            return None
        found = parse_job(payload).provider_job_id
        return found or None

    async def claim(self, provider_job_id: str, request: PikaRequest) -> Job | None:
        """Fetch the job; it is ours only if Pika kept the prompt and options we would send."""
        if provider_job_id.startswith(UPSCALE_PREFIX):
            return None  # an upscale answers no job id to be pushed about
        payload = await self._http.read("GET", f"/jobs/{quote(provider_job_id, safe='')}")
        params = _dict(_dict(payload).get("job")).get("params")
        _, sent = build_submission(request)
        if not isinstance(params, dict) or not _same_request(params, sent):
            log.warning("webbot job %s does not match the lost submission", provider_job_id)
            return None
        return parse_job(payload).model_copy(update={"provider_job_id": provider_job_id})


def build_submission(
    request: PikaRequest, *, ref: str | None = None, webhook_url: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Return the route and JSON body the reference expects for ``request``."""
    path, body = _route_and_body(request)
    if ref is not None:
        body["ref"] = ref
    if webhook_url is not None:
        body["webhookOverride"] = webhook_url
    return path, body


def _route_and_body(request: PikaRequest) -> tuple[str, dict[str, Any]]:
    match request:
        case GenerateRequest():
            body = _prompt(request.prompt)
            if request.model is not Model.V1_0:
                # The v1.0 example sends no model: 1.0 is the service's default.
                body["model"] = request.model.value
            _put(body, image=request.image, video=request.video)
            if request.sfx:
                body["sfx"] = True
            _put(body, style=request.style and request.style.value)
            body["options"] = options_body(request.options)
            return "/generate", body
        case PikaffectRequest():
            body = _prompt(request.prompt)
            body |= {
                "model": request.model.value,
                "pikaffect": request.pikaffect.value,
                "image": request.image,
                "options": options_body(request.options),
            }
            return "/generate", body
        case IngredientsRequest():
            body = _prompt(request.prompt)
            body |= {
                "model": request.model.value,
                "ingredientsMode": request.ingredients_mode.value,
                "ingredients": list(request.ingredients),
                "options": options_body(request.options),
            }
            return "/generate", body
        case AdditionsRequest():
            return "/generate", {
                "model": request.model.value,
                "promptText": request.prompt,
                "video": request.video,
                "image": request.image,
                "options": options_body(request.options),
            }
        case SwapRequest():
            return "/generate", {
                "swapPrompt": request.swap_prompt,
                "promptText": request.prompt,
                "model": request.model.value,
                "video": request.video,
                "image": request.image,
                "options": options_body(request.options),
            }
        case RepromptRequest():
            body = _prompt(request.prompt)
            body |= {"options": options_body(request.options), "video": request.video}
            return "/generate", body
        case EditRequest():
            body = _prompt(request.prompt)
            body |= {"options": options_body(request.options), "video": request.video}
            _put(body, style=request.style and request.style.value)
            return "/generate", body
        case InpaintRequest():
            body = {"mode": "inpainting", "area": _area(request)}
            body |= _prompt(request.prompt)
            body |= {"options": options_body(request.options), "video": request.video}
            _put(body, style=request.style and request.style.value)
            return "/adjust", body
        case OutpaintRequest():
            return "/adjust", {
                "mode": "outpainting",
                "area": _area(request),
                "promptText": request.prompt,
                "options": options_body(request.options),
                "video": request.video,
            }
        case ExtendRequest():
            body = _prompt(request.prompt)
            body |= {"options": options_body(request.options), "video": request.video}
            return "/extend", body
        case UpscaleRequest():
            return "/upscale", {"video": request.video}
        case LipsyncRequest():
            return "/lipSync", {
                "video": request.video,
                "speech": request.speech,
                "speechStart": _number(request.speech_start),
                "speechEnd": _number(request.speech_end),
            }
    raise TypeError(f"not a Pika request: {type(request).__name__}")


def options_body(options: GenerationOptions) -> dict[str, Any]:
    """Return ``options`` in the webbot's shape: every camera key, unset ones ``null``."""
    camera = options.camera
    return {
        "aspectRatio": options.aspect_ratio.value,
        "frameRate": options.frame_rate,
        "camera": {
            "rotate": camera.rotate and camera.rotate.value,
            "zoom": camera.zoom and camera.zoom.value,
            "tilt": camera.tilt and camera.tilt.value,
            "pan": camera.pan and camera.pan.value,
        },
        "parameters": {
            "guidanceScale": options.guidance,
            "motion": options.motion,
            "negativePrompt": options.negative_prompt,
            "seed": options.seed,
        },
        "extend": options.extend,
    }


def _prompt(prompt: str) -> dict[str, Any]:
    # The reference marks promptText optional here; an empty one is left out.
    return {"promptText": prompt} if prompt else {}


def _put(body: dict[str, Any], **values: object) -> None:
    body.update({key: value for key, value in values.items() if value})


def _area(request: InpaintRequest | OutpaintRequest) -> dict[str, float]:
    area = request.area
    return {
        "x": _number(area.x),
        "y": _number(area.y),
        "width": _number(area.width),
        "height": _number(area.height),
    }


def _number(value: float) -> float:
    # 80 rather than 80.0, as the reference writes it.
    return int(value) if value == int(value) else value


def parse_submission(payload: object) -> str:
    """Return the job id from a submission answer (``job.id``, ``video.id`` or ``pikaJobId``)."""
    if isinstance(payload, dict):
        job = _dict(payload.get("job"))
        video = _dict(payload.get("video"))
        for candidate in (
            job.get("id"),
            job.get("pikaJobId"),
            video.get("jobId"),
            video.get("id"),
            payload.get("pikaJobId"),
            payload.get("id"),
        ):
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()
    raise UnavailableError(
        "Pika accepted the request but its answer had no job id", maybe_submitted=True
    )


def parse_upscale_answer(payload: object, original_video: str) -> str:
    """Return the upscale's provider job id, or raise if the service refused to start it."""
    if isinstance(payload, dict) and payload.get("success") is False:
        message = payload.get("message")
        reason = message if isinstance(message, str) and message else "the upscale did not start"
        raise RejectedError(reason)
    return UPSCALE_PREFIX + original_video


def parse_job(payload: object) -> Job:
    """Normalise a Get Job or submission answer: ``{job, videos: [...]}`` or ``{job, video}``."""
    if not isinstance(payload, dict):
        raise UnavailableError("Pika's job status answer was not understood")
    job = _dict(payload.get("job"))
    videos = payload.get("videos")
    if isinstance(videos, list) and videos and isinstance(videos[0], dict):
        video = videos[0]
    else:
        video = _dict(payload.get("video"))
    job_id = job.get("id") or job.get("pikaJobId") or video.get("jobId") or video.get("id")
    merged = dict(video)
    for key in ("status", "error"):
        # A job-level status or error counts when the video does not say.
        merged[key] = video.get(key) or job.get(key) or payload.get(key)
    return job_from_video(str(job_id or ""), merged)


def _same_request(params: dict[str, Any], sent: dict[str, Any]) -> bool:
    """Whether Pika's record of a job is the request we built (the fields we chose to send)."""
    for key in ("promptText", "options", "video", "image", "swapPrompt", "pikaffect"):
        if key in sent and params.get(key) != sent[key]:
            return False
    return bool(sent.get("promptText") or sent.get("video") or sent.get("image"))


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
