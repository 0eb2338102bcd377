"""Pika's developer API (``devapi.pika.art``): flat camelCase form fields, files in the request.

Fields follow ``/work/shared/PIKA_OFFICIAL.md`` section 1. The API takes media as uploads, so
each of the member's attachments is downloaded from the Discord URL in the request and streamed
into its multipart part (never held whole in memory); text-to-video goes urlencoded. The key
travels as ``X-API-KEY``. The API documents no webhook, no cancel and no lookup by reference:
jobs are polled, ``cancel`` answers False (Pika still makes the video) and a lost submission
cannot be recovered. Where the references are silent (failure statuses, progress, the most
keyframes) the dialect is configurable and reads answers tolerantly.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

import aiohttp

from bot.domain.status import JobStatus
from bot.pika.capabilities import CANNOT, Capabilities, CommandSet
from bot.pika.dialect import HttpDialect
from bot.pika.errors import RejectedError, UnavailableError, UnsupportedOperationError
from bot.pika.job import Job, Operation
from bot.pika.requests import (
    OFFICIAL_PIKAFFECTS,
    AdditionsRequest,
    AspectRatio,
    GenerateRequest,
    GenerationOptions,
    IngredientsRequest,
    KeyframesRequest,
    PikaffectRequest,
    PikaRequest,
    Resolution,
    SwapRequest,
)

log = logging.getLogger(__name__)

DEFAULT_BASE = "https://devapi.pika.art"
DEFAULT_FAILED_STATUSES = frozenset({"failed", "cancelled", "canceled", "error"})
"""Statuses that mean the video will not come (ComfyUI also treats ``cancelled`` so)."""
_SUCCEEDED = frozenset({"finished", "completed", "succeeded", "success", "done"})
_QUEUED = frozenset({"queued", "pending", "waiting", "submitted", "delayed"})
BASE_RESOLUTION = Resolution.SD.value
BASE_SECONDS = 5
"""Sent when the member chose nothing: the size the base price is for (the API's own
defaults are 1080p on most endpoints, which would cost more than was held)."""
_KEY_CHECK_ID = "pika-discord-bot-key-check"

OFFICIAL_OPERATIONS = frozenset(
    {
        Operation.GENERATE,
        Operation.PIKAFFECT,
        Operation.INGREDIENTS,
        Operation.KEYFRAMES,
        Operation.ADDITIONS,
        Operation.SWAP,
    }
)
OFFICIAL_MODELS: dict[Operation, tuple[str, ...]] = {
    Operation.GENERATE: ("2.2",),
    Operation.PIKAFFECT: ("1.5",),
    Operation.INGREDIENTS: ("2.2",),
    Operation.ADDITIONS: ("Turbo",),
    Operation.SWAP: ("Turbo",),
}

PIKADEV_CAPABILITIES = Capabilities(
    operations=OFFICIAL_OPERATIONS,
    models=OFFICIAL_MODELS,
    pikaffects=frozenset(OFFICIAL_PIKAFFECTS),
    video_input=False,
    # A float width/height from 0.4 to 2.5: every shape the bot knows fits.
    aspect_ratios=frozenset(AspectRatio),
    resolutions=tuple(r.value for r in Resolution),
    durations=(5, 10),
    keyframe_seconds=(5, 10),
    transition_prompts=False,
    prompt_required=frozenset({"generate"}),
    command_set=CommandSet.OFFICIAL,
)

Kind = Literal["image", "video"]


@dataclass(frozen=True)
class Upload:
    """A file part: the form field, the member's attachment URL and what it holds."""

    name: str
    url: str
    kind: Kind


@dataclass(frozen=True)
class Submission:
    """One request as the API takes it: the route, its text fields and its file parts."""

    path: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[Upload] = field(default_factory=list)

    @property
    def multipart(self) -> bool:
        return bool(self.files)

    def text(self) -> dict[str, str]:
        """The text fields by name (the last wins, as a form parser keeps it)."""
        return dict(self.fields)


class PikadevProvider(HttpDialect):
    """Submit to and poll Pika's developer API."""

    name = "pika"
    capabilities = PIKADEV_CAPABILITIES

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str | None,
        *,
        failed_statuses: Iterable[str] = DEFAULT_FAILED_STATUSES,
        max_keyframes: int = 5,
        **options: Any,
    ) -> None:
        headers = {"X-API-KEY": api_key} if api_key else {}
        super().__init__(
            session,
            base_url,
            None,
            auth_headers=headers,
            key_setting="PIKA_API_KEY",
            service="Pika's developer API",
            **options,
        )
        self._session = session
        self._failed = frozenset(word.strip().lower() for word in failed_statuses if word.strip())
        self.capabilities = replace(PIKADEV_CAPABILITIES, max_keyframes=max_keyframes)

    def __repr__(self) -> str:
        return f"PikadevProvider({self._http.base_url!r})"

    async def check_key(self) -> None:
        """Ask for a job that does not exist: a refused key answers 401/403 before 404."""
        await self._http.exchange("GET", f"/videos/{_KEY_CHECK_ID}")

    async def submit(
        self, request: PikaRequest, *, ref: str | None = None, webhook_url: str | None = None
    ) -> str:
        """Send the request once (no webhook, no reference: the API takes neither)."""
        self.check(request)
        submission = build_submission(request)

        @contextlib.asynccontextmanager
        async def form() -> AsyncIterator[aiohttp.FormData]:
            async with open_form(self._session, submission) as data:
                yield data

        answer = await self._http.submit(submission.path, form=form)
        video_id = parse_submission(answer)
        log.info("pika accepted %s as video %s (ref %s)", request.op, video_id, ref)
        return video_id

    async def fetch(self, provider_job_id: str) -> Job:
        """Return the video's state from ``GET /videos/{id}``."""
        payload = await self._http.read("GET", f"/videos/{quote(provider_job_id, safe='')}")
        return parse_video(provider_job_id, payload, self._failed)


def build_submission(request: PikaRequest) -> Submission:
    """Return the route, text fields and file parts the API takes for ``request``."""
    match request:
        case GenerateRequest():
            if request.video:
                raise UnsupportedOperationError(
                    "this Pika service cannot start from a video; attach an image instead"
                )
            sizes = _sizes(request.resolution, request.duration)
            if request.image:
                fields = _prompt(request.prompt) + sizes + _common(request.options)
                return Submission(
                    "/generate/2.2/i2v", fields, [Upload("image", request.image, "image")]
                )
            fields = [("promptText", request.prompt), *sizes]
            fields.append(("aspectRatio", _ratio(request.options)))
            return Submission("/generate/2.2/t2v", fields + _common(request.options))
        case IngredientsRequest():
            fields = [("ingredientsMode", request.ingredients_mode.value)]
            fields += _prompt(request.prompt)
            fields.append(("aspectRatio", _ratio(request.options)))
            fields += _sizes(request.resolution, request.duration) + _common(request.options)
            files = [Upload("images", url, "image") for url in request.ingredients]
            return Submission("/generate/2.2/pikascenes", fields, files)
        case KeyframesRequest():
            if any(request.transitions):
                raise UnsupportedOperationError(
                    "this Pika service takes one prompt for the whole keyframe video"
                )
            fields = [("promptText", request.prompt)]
            fields += _sizes(request.resolution, request.length) + _common(request.options)
            files = [Upload("keyFrames", url, "image") for url in request.images]
            return Submission("/generate/2.2/pikaframes", fields, files)
        case PikaffectRequest():
            fields = [("pikaffect", request.pikaffect.value)]
            fields += _prompt(request.prompt) + _common(request.options)
            return Submission(
                "/generate/pikaffects", fields, [Upload("image", request.image, "image")]
            )
        case AdditionsRequest():
            fields = [("promptText", request.prompt), *_common(request.options)]
            files = [
                Upload("video", request.video, "video"),
                Upload("image", request.image, "image"),
            ]
            return Submission("/generate/pikadditions", fields, files)
        case SwapRequest():
            fields = [("modifyRegionRoi", request.swap_prompt)]
            fields += _prompt(request.prompt) + _common(request.options)
            files = [
                Upload("video", request.video, "video"),
                Upload("image", request.image, "image"),
            ]
            return Submission("/generate/pikaswaps", fields, files)
    raise UnsupportedOperationError(CANNOT[request.operation])


def _prompt(prompt: str) -> list[tuple[str, str]]:
    # Optional here; an empty one is left out (unset fields are omitted).
    return [("promptText", prompt)] if prompt else []


def _sizes(resolution: Resolution | None, seconds: int | None) -> list[tuple[str, str]]:
    return [
        ("resolution", resolution.value if resolution else BASE_RESOLUTION),
        ("duration", str(seconds if seconds is not None else BASE_SECONDS)),
    ]


def _ratio(options: GenerationOptions) -> str:
    # width / height as a float, as decimal text ("1.7777777777777777").
    return repr(options.aspect_ratio.ratio)


def _common(options: GenerationOptions) -> list[tuple[str, str]]:
    fields = []
    if options.negative_prompt:
        fields.append(("negativePrompt", options.negative_prompt))
    if options.seed is not None:
        fields.append(("seed", str(options.seed)))
    return fields


@contextlib.asynccontextmanager
async def open_form(
    session: aiohttp.ClientSession, submission: Submission, *, timeout: float = 60.0
) -> AsyncIterator[aiohttp.FormData]:
    """Yield the form for ``submission``, each file streamed from its download as it is sent.

    Every download is opened (and its status checked) before the form is yielded, so a file
    Discord no longer has refuses the request before anything reaches Pika.
    """
    async with contextlib.AsyncExitStack() as stack:
        data = aiohttp.FormData(quote_fields=False)
        for name, value in submission.fields:
            data.add_field(name, value)
        for upload in submission.files:
            response = await stack.enter_async_context(_download(session, upload, timeout))
            data.add_field(
                upload.name,
                response.content,
                filename=_filename(upload),
                content_type=_content_type(upload, response.headers),
            )
        yield data


@contextlib.asynccontextmanager
async def _download(
    session: aiohttp.ClientSession, upload: Upload, timeout: float
) -> AsyncIterator[aiohttp.ClientResponse]:
    # No Pika key here: the attachment URL is Discord's (signed by Discord itself).
    limit = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
    try:
        async with session.get(upload.url, timeout=limit) as response:
            if response.status != 200:
                raise RejectedError(
                    f"the attached {upload.kind} could not be read from Discord "
                    f"(HTTP {response.status}); attach it again"
                )
            yield response
    except (aiohttp.ClientError, TimeoutError) as error:
        raise UnavailableError(
            f"the attached {upload.kind} could not be downloaded from Discord "
            f"({type(error).__name__})"
        ) from None


def _filename(upload: Upload) -> str:
    name = unquote(urlsplit(upload.url).path.rsplit("/", 1)[-1])
    if name:
        return name
    return "image.png" if upload.kind == "image" else "video.mp4"


def _content_type(upload: Upload, headers: Mapping[str, str]) -> str:
    given = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    if given.startswith(f"{upload.kind}/"):
        return given
    return "image/png" if upload.kind == "image" else "video/mp4"


def parse_submission(payload: object) -> str:
    """Return the id from ``{"video_id": ...}`` (``id`` accepted too)."""
    if isinstance(payload, dict):
        for key in ("video_id", "videoId", "id"):
            candidate = payload.get(key)
            if isinstance(candidate, str | int) and str(candidate).strip():
                return str(candidate).strip()
    raise UnavailableError(
        "Pika accepted the request but its answer had no video id", maybe_submitted=True
    )


def parse_video(
    video_id: str, payload: object, failed: frozenset[str] = DEFAULT_FAILED_STATUSES
) -> Job:
    """Normalise ``{"id", "status", "url", "progress"}``, reading spellings tolerantly."""
    if not isinstance(payload, dict):
        raise UnavailableError("Pika's video status answer was not understood")
    word = _text(payload.get("status")) or ""
    lowered = word.lower()
    url = _text(payload.get("url")) or _text(payload.get("resultUrl"))
    progress = _progress(payload.get("progress"))
    error = next(
        (
            text
            for key in ("error", "failure_reason", "failureReason", "message", "detail")
            if (text := _text(payload.get(key)))
        ),
        None,
    )
    if lowered in failed:
        status = JobStatus.FAILED
    elif lowered in _SUCCEEDED and url:
        status = JobStatus.SUCCEEDED
    elif lowered in _QUEUED and not (progress is not None and 0 < progress < 100):
        status = JobStatus.QUEUED
    else:
        # "started", a finished video whose URL is not there yet, and words we do not know.
        status = JobStatus.RUNNING
    return Job(
        provider_job_id=video_id,
        status=status,
        progress=progress,
        detail=lowered or None,
        result_url=url if status is JobStatus.SUCCEEDED else None,
        error=error if status is JobStatus.FAILED else None,
    )


def _text(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("message")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _progress(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return max(0, min(100, round(number)))
