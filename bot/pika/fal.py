"""fal's queue in front of Pika (``queue.fal.run``): JSON in snake_case, media as URLs.

Fields follow ``/work/shared/PIKA_OFFICIAL.md`` section 2. A submission goes to the model's
whole path (``fal-ai/pika/v2.2/text-to-video``); status, result and cancel use the app's short
path (``fal-ai/pika/requests/{id}...``), preferably the URLs the submit answer returned (only
when they point under ``FAL_API_BASE``, since they are sent the key). The key travels as
``Authorization: Key <FAL_KEY>``. Members' attachments are passed as their Discord URLs.

``COMPLETED`` covers failures too: a status with ``error``/``error_type``, or a result that
answers 4xx, is a failed job (which costs nothing). With a webhook URL the submission carries
``?fal_webhook=``; fal signs each push with Ed25519 and ``verify_push`` checks it against the
keys published at ``FAL_JWKS_URL`` (cached). A push only wakes the job: one GET decides.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.domain.failures import FailureReason
from bot.domain.status import JobStatus
from bot.pika.capabilities import CANNOT, Capabilities, CommandSet
from bot.pika.dialect import HttpDialect
from bot.pika.errors import PikaError, RejectedError, UnavailableError, UnsupportedOperationError
from bot.pika.http import Answer, reason_of
from bot.pika.job import Job
from bot.pika.pikadev import OFFICIAL_MODELS, OFFICIAL_OPERATIONS
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

DEFAULT_BASE = "https://queue.fal.run"
DEFAULT_JWKS_URL = "https://rest.alpha.fal.ai/.well-known/jwks.json"
APP = "fal-ai/pika"
"""owner/app: the short path of status, result and cancel."""
MODEL_PATHS = {
    "text": "v2.2/text-to-video",
    "image": "v2.2/image-to-video",
    "scenes": "v2.2/pikascenes",
    "frames": "v2.2/pikaframes",
    "pikaffects": "v1.5/pikaffects",
    "additions": "v2/pikadditions",
    "swaps": "v2/pikaswaps",
}
BASE_RESOLUTION = Resolution.SD.value
BASE_SECONDS = 5
"""Sent when the member chose nothing: the size the base price is for."""
LEEWAY_SECONDS = 300
"""A push's timestamp may be this far from our clock (fal's documented window)."""
JWKS_MAX_AGE = 3600.0
JWKS_MIN_REFRESH = 60.0
"""An unknown signature refetches the keys (fal rotated them), at most this often."""
CANCEL_WAIT_SECONDS = 5.0
CANCEL_LOOK_SECONDS = 0.5
REQUEST_ID = "x-fal-webhook-request-id"
USER_ID = "x-fal-webhook-user-id"
TIMESTAMP = "x-fal-webhook-timestamp"
SIGNATURE = "x-fal-webhook-signature"

FAL_RATIOS = frozenset(
    {
        AspectRatio.WIDE,
        AspectRatio.TALL,
        AspectRatio.SQUARE,
        AspectRatio.PORTRAIT,
        AspectRatio.LANDSCAPE,
        AspectRatio.PHOTO,
        AspectRatio.PHOTO_TALL,
    }
)
"""fal's seven shapes: no 5:2 and no 4:3."""

FAL_CAPABILITIES = Capabilities(
    operations=OFFICIAL_OPERATIONS,
    models=OFFICIAL_MODELS,
    pikaffects=frozenset(OFFICIAL_PIKAFFECTS),
    video_input=False,
    aspect_ratios=frozenset(ratio.value for ratio in FAL_RATIOS),
    resolutions=tuple(r.value for r in Resolution),
    durations=(5, 10),
    keyframe_seconds=(2, 25),
    transition_prompts=True,
    prompt_required=frozenset({"generate", "generate_image", "ingredients"}),
    command_set=CommandSet.OFFICIAL,
    webhooks=True,
)

_INFRASTRUCTURE = frozenset(
    {
        "request_timeout",
        "startup_timeout",
        "runner_scheduling_failure",
        "runner_connection_timeout",
        "runner_disconnected",
    }
)
_REFUSALS = frozenset({"content_policy_violation"})
_CANCELLED = "request_cancelled"


@dataclass(frozen=True)
class _Urls:
    status: str
    result: str
    cancel: str


class FalProvider(HttpDialect):
    """Submit to fal's queue, follow its status, fetch results, cancel, verify pushes."""

    name = "fal"
    capabilities = FAL_CAPABILITIES

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str | None,
        *,
        jwks_url: str = DEFAULT_JWKS_URL,
        cancel_wait: float = CANCEL_WAIT_SECONDS,
        clock: Callable[[], float] = time.time,
        look_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Any,
    ) -> None:
        headers = {"Authorization": f"Key {api_key}"} if api_key else {}
        super().__init__(
            session,
            base_url,
            None,
            auth_headers=headers,
            key_setting="FAL_KEY",
            service="fal",
            **options,
        )
        self._session = session
        self._base = base_url.rstrip("/")
        self._jwks_url = jwks_url
        self._cancel_wait = cancel_wait
        self._clock = clock
        self._look_sleep = look_sleep
        self._urls: dict[str, _Urls] = {}
        self._keys: list[Ed25519PublicKey] = []
        self._keys_at = float("-inf")
        self._keys_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"FalProvider({self._base!r})"

    async def check_key(self) -> None:
        """Ask the status of a request that does not exist: a refused key answers 401/403."""
        await self._http.exchange(
            "GET", f"/{APP}/requests/00000000-0000-0000-0000-000000000000/status"
        )

    # -- submit ------------------------------------------------------------------------

    async def submit(
        self, request: PikaRequest, *, ref: str | None = None, webhook_url: str | None = None
    ) -> str:
        """Put the request in fal's queue once; with ``webhook_url`` fal pushes when it ends."""
        self.check(request)
        model, body = build_submission(request)
        path = f"/{APP}/{model}"
        if webhook_url is not None:
            path += f"?fal_webhook={quote(webhook_url, safe='')}"
        answer = await self._http.submit(path, body)
        request_id = parse_submission(answer)
        self._remember(request_id, answer)
        log.info("fal accepted %s as request %s (ref %s)", request.op, request_id, ref)
        return request_id

    def _remember(self, request_id: str, answer: object) -> None:
        """Keep the URLs the submit answer gave, when they are under our base."""
        if not isinstance(answer, dict):
            return
        urls = [answer.get(key) for key in ("status_url", "response_url", "cancel_url")]
        if all(isinstance(url, str) and self._own(url) for url in urls):
            status, result, cancel = (str(url) for url in urls)
            self._urls[request_id] = _Urls(status, result, cancel)

    def _own(self, url: str) -> bool:
        return url.startswith(self._base + "/") and urlsplit(url).scheme in ("http", "https")

    def urls_of(self, request_id: str) -> _Urls:
        """The request's status, result and cancel URLs (the app's short path)."""
        known = self._urls.get(request_id)
        if known is not None:
            return known
        root = f"{self._base}/{APP}/requests/{quote(request_id, safe='')}"
        return _Urls(f"{root}/status", root, f"{root}/cancel")

    # -- status and result -------------------------------------------------------------

    async def fetch(self, provider_job_id: str) -> Job:
        """Read the status; once ``COMPLETED`` without an error, fetch the result."""
        urls = self.urls_of(provider_job_id)
        answer = await self._http.exchange("GET", urls.status)
        if answer.status == 404:
            return _failed(provider_job_id, "fal no longer knows this request", None)
        if not 200 <= answer.status < 300:
            raise _refused(answer)
        job = parse_status(provider_job_id, answer.json())
        if job is not None:
            if job.status.finished:
                self._urls.pop(provider_job_id, None)
            return job
        result = await self._http.exchange("GET", urls.result)
        job = parse_result(provider_job_id, result)
        if job.status.finished:
            self._urls.pop(provider_job_id, None)
        return job

    # -- cancel ------------------------------------------------------------------------

    async def cancel(self, provider_job_id: str) -> bool:
        """``PUT`` the cancel URL; True only once fal confirms the request will not be made."""
        urls = self.urls_of(provider_job_id)
        answer = await self._http.exchange("PUT", urls.cancel)
        word = _word(answer.json(), "status")
        log.info("fal cancel of %s answered HTTP %d %s", provider_job_id, answer.status, word)
        if word == "OK":
            return True  # still queued: removed, never run
        if word != "CANCELLATION_REQUESTED":
            return False  # ALREADY_COMPLETED, NOT_FOUND or a word we do not know: charged
        # Running: the model app was told and decides; the status says what came of it.
        deadline = time.monotonic() + self._cancel_wait
        while True:
            try:
                status = await self._http.exchange("GET", urls.status)
            except PikaError as error:
                log.warning("fal request %s: no status after cancel (%s)", provider_job_id, error)
                return False
            body = status.json()
            if _word(body, "status") == "COMPLETED":
                return _error_type(body) == _CANCELLED or (
                    "cancel" in (_text(_get(body, "error")) or "").lower()
                )
            if time.monotonic() >= deadline:
                return False
            await self._look_sleep(CANCEL_LOOK_SECONDS)

    # -- pushes ------------------------------------------------------------------------

    def pushed_job_id(self, payload: object) -> str | None:
        """fal's push names the queue's ``request_id`` (not ``gateway_request_id``)."""
        return _text(_get(payload, "request_id"))

    async def claim(self, provider_job_id: str, request: PikaRequest) -> Job | None:
        """The push was signed by fal and came to this job's own URL: the request is ours.

        fal's status carries no input to compare, but only this job's submission was given
        its URL (an HMAC of the job id), and ``verify_push`` proved fal sent the push.
        """
        return await self.fetch(provider_job_id)

    async def verify_push(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Check fal's Ed25519 signature over the raw body, against the keys at the JWKS URL."""
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            request_id, user_id, stamp = (lowered[k] for k in (REQUEST_ID, USER_ID, TIMESTAMP))
            signature = bytes.fromhex(lowered[SIGNATURE])
            sent = int(stamp)
        except (KeyError, ValueError):
            log.warning("fal push refused: signature headers missing or malformed")
            return False
        if abs(self._clock() - sent) > LEEWAY_SECONDS:
            log.warning("fal push refused: its timestamp is %.0f s off", self._clock() - sent)
            return False
        digest = hashlib.sha256(body).hexdigest()
        message = "\n".join((request_id, user_id, stamp, digest)).encode()
        for refresh in (False, True):
            keys = await self._public_keys(refresh=refresh)
            if any(_verifies(key, signature, message) for key in keys):
                return True
        log.warning("fal push refused: no key at FAL_JWKS_URL verifies its signature")
        return False

    async def _public_keys(self, *, refresh: bool) -> list[Ed25519PublicKey]:
        async with self._keys_lock:
            age = time.monotonic() - self._keys_at
            stale = age > JWKS_MAX_AGE or not self._keys
            if stale or (refresh and age > JWKS_MIN_REFRESH):
                await self._load_keys()
            return list(self._keys)

    async def _load_keys(self) -> None:
        try:
            async with self._session.get(
                self._jwks_url, timeout=aiohttp.ClientTimeout(total=10)
            ) as response:
                response.raise_for_status()
                document = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("Could not fetch fal's webhook keys from FAL_JWKS_URL (%s)", error)
            return
        self._keys = public_keys(document)
        self._keys_at = time.monotonic()
        log.info("Loaded %d fal webhook key(s) from FAL_JWKS_URL", len(self._keys))


def build_submission(request: PikaRequest) -> tuple[str, dict[str, Any]]:
    """Return the model path (under ``fal-ai/pika/``) and the JSON input for ``request``."""
    match request:
        case GenerateRequest():
            if request.video:
                raise UnsupportedOperationError(
                    "this Pika service cannot start from a video; attach an image instead"
                )
            body: dict[str, Any] = {"prompt": request.prompt}
            if request.image:
                body["image_url"] = request.image
                model = MODEL_PATHS["image"]
            else:
                body["aspect_ratio"] = _ratio(request.options)
                model = MODEL_PATHS["text"]
            body |= _sizes(request.resolution, request.duration)
            return model, body | _common(request.options)
        case IngredientsRequest():
            body = {
                "image_urls": list(request.ingredients),
                "prompt": request.prompt,
                "ingredients_mode": request.ingredients_mode.value,
                "aspect_ratio": _ratio(request.options),
            }
            body |= _sizes(request.resolution, request.duration)
            return MODEL_PATHS["scenes"], body | _common(request.options)
        case KeyframesRequest():
            transitions: list[dict[str, Any]] = []
            own = list(request.transitions)
            for index, seconds in enumerate(request.transition_seconds()):
                transition: dict[str, Any] = {"duration": seconds}
                if index < len(own) and own[index]:
                    transition["prompt"] = own[index]
                transitions.append(transition)
            body = {"image_urls": list(request.images)}
            if request.prompt:
                body["prompt"] = request.prompt
            body["transitions"] = transitions
            body["resolution"] = request.resolution.value if request.resolution else BASE_RESOLUTION
            return MODEL_PATHS["frames"], body | _common(request.options)
        case PikaffectRequest():
            body = {"image_url": request.image, "pikaffect": request.pikaffect.value}
            if request.prompt:
                body["prompt"] = request.prompt
            return MODEL_PATHS["pikaffects"], body | _common(request.options)
        case AdditionsRequest():
            body = {"video_url": request.video, "image_url": request.image}
            body["prompt"] = request.prompt
            return MODEL_PATHS["additions"], body | _common(request.options)
        case SwapRequest():
            # The schema is undocumented: the dev API's fields in fal's spelling (as assumed
            # by the simulator); see PIKA_OFFICIAL.md section 5, question 7.
            body = {
                "video_url": request.video,
                "image_url": request.image,
                "modify_region": request.swap_prompt,
            }
            if request.prompt:
                body["prompt"] = request.prompt
            return MODEL_PATHS["swaps"], body | _common(request.options)
    raise UnsupportedOperationError(CANNOT[request.operation])


def _sizes(resolution: Resolution | None, seconds: int | None) -> dict[str, Any]:
    return {
        "resolution": resolution.value if resolution else BASE_RESOLUTION,
        "duration": seconds if seconds is not None else BASE_SECONDS,
    }


def _ratio(options: GenerationOptions) -> str:
    return options.aspect_ratio.value


def _common(options: GenerationOptions) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if options.negative_prompt:
        body["negative_prompt"] = options.negative_prompt
    if options.seed is not None:
        body["seed"] = options.seed
    return body


def parse_submission(payload: object) -> str:
    """Return the queue's ``request_id`` from the submit answer."""
    request_id = _text(_get(payload, "request_id"))
    if request_id is None:
        raise UnavailableError(
            "fal accepted the request but its answer had no request id", maybe_submitted=True
        )
    return request_id


def parse_status(request_id: str, payload: object) -> Job | None:
    """The job a status answer describes; None when it is ``COMPLETED`` without an error
    (the result decides)."""
    if not isinstance(payload, dict):
        raise UnavailableError("fal's status answer was not understood")
    word = (_word(payload, "status") or "").upper()
    error_type = _error_type(payload)
    error = _text(payload.get("error"))
    if word == "COMPLETED" or error or error_type:
        if error or error_type:
            return _failed(request_id, error, error_type)
        return None
    if word in ("IN_QUEUE", "QUEUED", "PENDING"):
        return Job(provider_job_id=request_id, status=JobStatus.QUEUED, detail="queued")
    # IN_PROGRESS, and any word we do not know: running until the deadline.
    return Job(provider_job_id=request_id, status=JobStatus.RUNNING, detail="started")


def parse_result(request_id: str, answer: Answer) -> Job:
    """The job a result answer describes: the video, or why there is none."""
    body = answer.json()
    if 200 <= answer.status < 300:
        video = _get(body, "video")
        url = _text(_get(video, "url")) or _text(_get(body, "url"))
        if url:
            return Job(
                provider_job_id=request_id,
                status=JobStatus.SUCCEEDED,
                result_url=url,
                detail="finished",
            )
        return _failed(request_id, "fal's result has no video", None)
    reason = reason_of(answer)
    if "in progress" in reason.lower():
        return Job(provider_job_id=request_id, status=JobStatus.RUNNING, detail="started")
    return _failed(request_id, reason, _error_type(body) or _detail_type(body))


def _failed(request_id: str, error: str | None, error_type: str | None) -> Job:
    if error_type in _REFUSALS:
        failure = FailureReason.PIKA_REFUSED
    elif error_type in _INFRASTRUCTURE:
        failure = FailureReason.PIKA_UNAVAILABLE
    else:
        failure = FailureReason.PIKA_FAILED
    if error_type == _CANCELLED and not error:
        error = "the request was cancelled at fal"
    return Job(
        provider_job_id=request_id,
        status=JobStatus.FAILED,
        detail="failed",
        error=error or "fal could not make this video",
        failure=failure,
    )


def _refused(answer: Answer) -> PikaError:
    return RejectedError(reason_of(answer), answer.status)


def public_keys(document: object) -> list[Ed25519PublicKey]:
    """The Ed25519 keys of a JWKS document (``kty`` OKP, ``x`` base64url), others skipped."""
    keys = []
    entries = _get(document, "keys")
    for entry in entries if isinstance(entries, list) else []:
        if _get(entry, "kty") != "OKP" or _get(entry, "crv") != "Ed25519":
            continue
        x = _text(_get(entry, "x"))
        if x is None:
            continue
        try:
            raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
        except (ValueError, binascii.Error):
            continue
    return keys


def _verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _get(value: object, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _word(payload: object, key: str) -> str | None:
    word = _text(_get(payload, key))
    return word.upper() if word else None


def _error_type(payload: object) -> str | None:
    found = _text(_get(payload, "error_type"))
    return found.lower() if found else None


def _detail_type(payload: object) -> str | None:
    detail = _get(payload, "detail")
    if isinstance(detail, list) and detail:
        return _text(_get(detail[0], "type"))
    return None
