"""Rules both dialects share, each failing with a sentence a user can read.

Field checks raise plain ``ValueError`` sentences (pydantic wraps them); ``friendly_messages``
turns pydantic's report back into those sentences; ``check_supported`` refuses a request the
provider cannot serve before anything is sent or charged; ``job_from_video`` reads a status answer
tolerantly into the normalised ``Job`` (both dialects describe a video with the same fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.domain.text import clean_text, has_visible_text
from bot.pika.errors import UnsupportedOperationError
from bot.pika.job import Job, JobStatus, Operation
from bot.pika.provider import Capabilities

if TYPE_CHECKING:
    from bot.pika.requests import PikaRequest

E = TypeVar("E", bound=Enum)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
VIDEO_SUFFIXES = (".mp4",)
AUDIO_SUFFIXES = (".wav",)

IMAGE_KIND_SENTENCE = "must be a .png, .jpeg, .webp or .gif file"

# What a user reads when the provider lacks a whole operation.
CANNOT = {
    Operation.GENERATE: "this Pika service cannot generate videos",
    Operation.PIKAFFECT: "this Pika service cannot apply Pikaffects",
    Operation.INGREDIENTS: "this Pika service cannot make videos from ingredients",
    Operation.ADDITIONS: "this Pika service cannot do Pika Additions",
    Operation.SWAP: "this Pika service cannot do Pika Swap",
    Operation.REPROMPT: "this Pika service cannot reprompt videos",
    Operation.EDIT: "this Pika service cannot edit videos",
    Operation.INPAINT: "this Pika service cannot inpaint (modify a region of) videos",
    Operation.OUTPAINT: "this Pika service cannot outpaint (extend the canvas of) videos",
    Operation.EXTEND: "this Pika service cannot extend videos",
    Operation.UPSCALE: "this Pika service cannot upscale videos",
    Operation.LIPSYNC: "this Pika service cannot lip sync videos",
}


def whole_number(value: object, low: int, high: int, name: str) -> int:
    """Return ``value`` as an int in ``low..high`` or fail with "<name> must be between ..."."""
    number = _number(value, f"{name} must be a whole number")
    if number != int(number):
        raise ValueError(f"{name} must be a whole number")
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return int(number)


def decimal_number(value: object, low: float, high: float, name: str) -> float:
    """Return ``value`` as a float in ``low..high`` or fail with "<name> must be between ..."."""
    number = _number(value, f"{name} must be a number")
    if not low <= number <= high:
        raise ValueError(f"{name} must be between {_plain(low)} and {_plain(high)}")
    return float(number)


def _number(value: object, sentence: str) -> float:
    # bool is an int to Python but never a sensible motion or frame rate.
    if isinstance(value, bool):
        raise ValueError(sentence)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise ValueError(sentence) from None
    raise ValueError(sentence)


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def choice(value: object, enum: type[E], sentence: str) -> E:
    """Return the member of ``enum`` named by ``value`` (any case), else fail with ``sentence``."""
    if isinstance(value, enum):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a model given as the number 1.5
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for member in enum:
            if str(member.value).casefold() == wanted:
                return member
    raise ValueError(sentence)


def one_of(values: Iterable[object]) -> str:
    """Return "a, b or c" for a sentence listing choices."""
    names = [str(getattr(value, "value", value)) for value in values]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def text(value: object, name: str, *, limit: int) -> str:
    """Return ``value`` cleaned (NFC, no control or zero-width characters), within ``limit``.

    Text that held only invisible characters is refused rather than sent as an empty prompt.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"the {name} must be text")
    cleaned = clean_text(value)
    if not has_visible_text(cleaned):
        if value.strip():
            raise ValueError(
                f"the {name} is empty once its invisible characters are removed; "
                "write it in plain words"
            )
        return ""
    value = cleaned
    if len(value) > limit:
        raise ValueError(f"the {name} must be at most {limit} characters")
    return value


def media_url(value: object, what: str, suffixes: tuple[str, ...], kind_sentence: str) -> str:
    """Return a web link whose path ends in one of ``suffixes``; the query string is ignored."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} is required")
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be a web link (http:// or https://)")
    if not parts.path.lower().endswith(suffixes):
        raise ValueError(kind_sentence)
    return url


def image_url(value: object, what: str = "the image") -> str:
    """Return ``value`` if it links to a .png, .jpg/.jpeg, .webp or .gif file."""
    return media_url(value, what, IMAGE_SUFFIXES, f"{what} {IMAGE_KIND_SENTENCE}")


def video_url(value: object) -> str:
    """Return ``value`` if it links to an .mp4 file."""
    return media_url(value, "the video", VIDEO_SUFFIXES, "the video must be an .mp4 file")


def audio_url(value: object) -> str:
    """Return ``value`` if it links to a .wav file."""
    return media_url(value, "the audio", AUDIO_SUFFIXES, "the audio must be a .wav file")


# Labels for pydantic's own complaints (missing fields, wrong types), which carry no sentence.
_LABELS = {
    "video": "the video",
    "image": "the image",
    "speech": "the audio",
    "speech_start": "the speech start",
    "speech_end": "the speech end",
    "pikaffect": "a Pikaffect",
    "area": "the area",
    "ingredients": "the ingredient images",
    "options": "the video options",
    "camera": "the camera settings",
}


def friendly_messages(error: ValidationError) -> list[str]:
    """Return one plain sentence per problem in ``error``, without pydantic's wording."""
    messages: list[str] = []
    for problem in error.errors(include_url=False):
        message = _sentence(problem)
        if message not in messages:
            messages.append(message)
    return messages


def _sentence(problem: Any) -> str:
    kind = problem.get("type", "")
    names = [part for part in problem.get("loc", ()) if isinstance(part, str)]
    field = names[-1] if names else ""
    label = _LABELS.get(field, field.replace("_", " ") or "the request")
    if kind == "value_error":
        return str(problem.get("msg", "")).removeprefix("Value error, ")
    if kind == "missing":
        return f"{label} is required"
    if kind == "extra_forbidden":
        return f"unknown field: {field}"
    if kind == "union_tag_invalid":
        tag = (problem.get("ctx") or {}).get("tag", "")
        return f"unknown operation: {tag}"
    if kind == "union_tag_not_found":
        return "the request does not say which operation it is"
    if kind in ("json_invalid", "json_type"):
        return "the stored request is not valid JSON"
    if kind in ("bool_type", "bool_parsing"):
        return f"{label} must be true or false"
    if kind in ("list_type", "tuple_type"):
        return f"{label} must be a list"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{label} are not valid" if label.endswith("s") else f"{label} is not valid"
    return f"{label} is not valid"


@dataclass(frozen=True)
class DialectCapabilities(Capabilities):
    """Capabilities plus the limits a dialect has inside an operation it does offer."""

    pikaffects: frozenset[str] | None = None
    """The Pikaffects offered; None means all of them."""
    video_input: bool = True
    """Whether generate may start from a video."""


def check_supported(capabilities: Capabilities, request: PikaRequest) -> None:
    """Refuse, with a user sentence, a request the provider cannot serve (before any spending)."""
    operation = request.operation
    if not capabilities.supports(operation):
        raise UnsupportedOperationError(CANNOT[operation])
    models = capabilities.models.get(operation)
    model = getattr(request, "model", None)
    if models is not None and model is not None and str(model) not in models:
        raise UnsupportedOperationError(
            f"this Pika service has no model {model} for {_OPERATION_NAMES[operation]};"
            f" choose {one_of(models)}"
        )
    if not isinstance(capabilities, DialectCapabilities):
        return
    video = getattr(request, "video", None)
    if operation is Operation.GENERATE and video and not capabilities.video_input:
        raise UnsupportedOperationError(
            "this Pika service cannot start from a video; attach an image instead"
        )
    pikaffect = getattr(request, "pikaffect", None)
    offered = capabilities.pikaffects
    if operation is Operation.PIKAFFECT and offered is not None and pikaffect not in offered:
        raise UnsupportedOperationError(
            f"this Pika service does not offer the {pikaffect} Pikaffect;"
            f" choose {one_of(sorted(offered))}"
        )


_OPERATION_NAMES = {
    Operation.GENERATE: "generating",
    Operation.PIKAFFECT: "Pikaffects",
    Operation.INGREDIENTS: "ingredients",
    Operation.ADDITIONS: "Pika Additions",
    Operation.SWAP: "Pika Swap",
}


_QUEUED_WORDS = frozenset({"queued", "pending", "delayed"})
_FAILED_WORDS = frozenset({"failed", "error", "cancelled", "canceled"})


def normalise_status(
    word: str | None, progress: int | None, result_url: str | None, error: str | None
) -> JobStatus:
    """Map a provider's status word, progress, result and error onto ``JobStatus``."""
    word = (word or "").strip().lower()
    if error or word in _FAILED_WORDS:
        return JobStatus.FAILED
    if word == "finished" and result_url:
        return JobStatus.SUCCEEDED
    if word in _QUEUED_WORDS and not (progress is not None and 0 < progress < 100):
        return JobStatus.QUEUED
    # "started", a finished job whose URL is not there yet, and any word we do not know.
    return JobStatus.RUNNING


def job_from_video(
    provider_job_id: str, video: Mapping[str, Any], fallback_status: str | None = None
) -> Job:
    """Build the normalised ``Job`` from one video object of a status answer."""
    word = _string(video.get("status")) or fallback_status
    progress = _progress(video.get("progress"))
    result_url = _string(video.get("resultUrl"))
    error = _error(video.get("error"))
    return Job(
        provider_job_id=provider_job_id,
        status=normalise_status(word, progress, result_url, error),
        progress=progress,
        detail=word,
        result_url=result_url,
        poster_url=_string(video.get("videoPoster")),
        thumbnail_url=_string(video.get("imageThumb")),
        duration=_float(video.get("duration")),
        seed=_int(video.get("seed")),
        error=error,
    )


def _string(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _error(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("message")
    return _string(value)


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _int(value: object) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number == int(number) else None


def _progress(value: object) -> int | None:
    number = _float(value)
    if number is None:
        return None
    return max(0, min(100, round(number)))
