"""Field rules of the request models, each failing with a sentence a user can read.

The checks raise ``RequestInvalid`` (a ``ValueError`` pydantic wraps) whose text is the English
sentence and whose code and values let ``bot.ui`` word it in the member's language, instead of
pydantic's own ``Field(ge=..., le=...)`` wording; ``friendly_problems`` turns pydantic's report
back into them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.domain.text import clean_text, has_visible_text
from bot.pika.errors import RequestInvalid

E = TypeVar("E", bound=Enum)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
VIDEO_SUFFIXES = (".mp4",)
AUDIO_SUFFIXES = (".wav",)

IMAGE_KIND_SENTENCE = "must be a .png, .jpeg, .webp or .gif file"


def whole_number(value: object, low: int, high: int, name: str) -> int:
    """Return ``value`` as an int in ``low..high`` or fail with "<name> must be between ..."."""

    def not_whole() -> RequestInvalid:
        return RequestInvalid(f"{name} must be a whole number", "pika.whole_number", name=name)

    number = _number(value, not_whole)
    if number != int(number):
        raise not_whole()
    if not low <= number <= high:
        raise _outside(name, low, high)
    return int(number)


def decimal_number(value: object, low: float, high: float, name: str) -> float:
    """Return ``value`` as a float in ``low..high`` or fail with "<name> must be between ..."."""
    number = _number(
        value, lambda: RequestInvalid(f"{name} must be a number", "pika.number", name=name)
    )
    if not low <= number <= high:
        raise _outside(name, low, high)
    return float(number)


def _outside(name: str, low: float, high: float) -> RequestInvalid:
    low, high = _plain(low), _plain(high)
    return RequestInvalid(
        f"{name} must be between {low} and {high}", "pika.between", name=name, low=low, high=high
    )


def _number(value: object, problem: Callable[[], RequestInvalid]) -> float:
    # bool is an int to Python but never a sensible motion or frame rate.
    if isinstance(value, bool):
        raise problem()
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise problem() from None
    raise problem()


def _plain(number: float) -> int | float:
    return int(number) if number == int(number) else number


def choice(value: object, enum: type[E], sentence: str, *, name: str) -> E:
    """Return the member of ``enum`` named by ``value`` (any case), else fail with ``sentence``
    (English, naming the field ``name`` and the choices)."""
    if isinstance(value, enum):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # a model given as the number 1.5
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for member in enum:
            if str(member.value).casefold() == wanted:
                return member
    choices = tuple(str(member.value) for member in enum)
    raise RequestInvalid(sentence, "pika.one_of", name=name, choices=choices)


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
        raise RequestInvalid(f"the {name} must be text", "pika.not_text", name=name)
    cleaned = clean_text(value)
    if not has_visible_text(cleaned):
        if value.strip():
            raise RequestInvalid(
                f"the {name} is empty once its invisible characters are removed; "
                "write it in plain words",
                "pika.invisible",
                name=name,
            )
        return ""
    value = cleaned
    if len(value) > limit:
        raise RequestInvalid(
            f"the {name} must be at most {limit} characters",
            "pika.too_long",
            name=name,
            limit=limit,
        )
    return value


def media_url(
    value: object, what: str, suffixes: tuple[str, ...], kind_sentence: str, kind_code: str
) -> str:
    """Return a web link whose path ends in one of ``suffixes``; the query string is ignored."""
    if not isinstance(value, str) or not value.strip():
        raise RequestInvalid(f"{what} is required", "pika.required", name=what)
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RequestInvalid(
            f"{what} must be a web link (http:// or https://)", "pika.web_link", name=what
        )
    if not parts.path.lower().endswith(suffixes):
        raise RequestInvalid(kind_sentence, kind_code, name=what)
    return url


def image_url(value: object, what: str = "the image") -> str:
    """Return ``value`` if it links to a .png, .jpg/.jpeg, .webp or .gif file."""
    return media_url(
        value, what, IMAGE_SUFFIXES, f"{what} {IMAGE_KIND_SENTENCE}", "pika.image_kind"
    )


def video_url(value: object) -> str:
    """Return ``value`` if it links to an .mp4 file."""
    return media_url(
        value, "the video", VIDEO_SUFFIXES, "the video must be an .mp4 file", "pika.video_kind"
    )


def audio_url(value: object) -> str:
    """Return ``value`` if it links to a .wav file."""
    return media_url(
        value, "the audio", AUDIO_SUFFIXES, "the audio must be a .wav file", "pika.audio_kind"
    )


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


def friendly_problems(error: ValidationError) -> list[RequestInvalid]:
    """Return one refusal per problem in ``error`` (each once), without pydantic's wording."""
    problems: list[RequestInvalid] = []
    for found in error.errors(include_url=False):
        problem = _problem(found)
        if str(problem) not in map(str, problems):
            problems.append(problem)
    return problems


def friendly_messages(error: ValidationError) -> list[str]:
    """Return one plain English sentence per problem in ``error``."""
    return [str(problem) for problem in friendly_problems(error)]


def _problem(found: Any) -> RequestInvalid:
    names = [part for part in found.get("loc", ()) if isinstance(part, str)]
    field = names[-1] if names else ""
    problem = _refusal(found, field)
    problem.values.setdefault("field", field)
    return problem


def _refusal(found: Any, field: str) -> RequestInvalid:
    kind = found.get("type", "")
    label = _LABELS.get(field, field.replace("_", " ") or "the request")
    if kind == "value_error":
        raised = (found.get("ctx") or {}).get("error")
        if isinstance(raised, RequestInvalid):
            return RequestInvalid(str(raised), raised.code, **raised.values)
        # A rule that raised a bare ValueError: its English text, for bot.ui to match.
        return RequestInvalid(str(found.get("msg", "")).removeprefix("Value error, "), "")
    if kind == "missing":
        return RequestInvalid(f"{label} is required", "pika.required", name=label)
    if kind == "extra_forbidden":
        return RequestInvalid(f"unknown field: {field}", "pika.unknown_field", key=field)
    if kind == "union_tag_invalid":
        tag = str((found.get("ctx") or {}).get("tag", ""))
        return RequestInvalid(f"unknown operation: {tag}", "pika.unknown_operation", tag=tag)
    if kind == "union_tag_not_found":
        return RequestInvalid("the request does not say which operation it is", "pika.no_op")
    if kind in ("json_invalid", "json_type"):
        return RequestInvalid("the stored request is not valid JSON", "pika.not_json")
    if kind in ("bool_type", "bool_parsing"):
        return true_or_false(label)
    if kind in ("list_type", "tuple_type"):
        return RequestInvalid(f"{label} must be a list", "pika.not_list", name=label)
    if kind in ("model_type", "model_attributes_type", "dict_type") and label.endswith("s"):
        return RequestInvalid(f"{label} are not valid", "pika.not_valid", name=label)
    return RequestInvalid(f"{label} is not valid", "pika.not_valid", name=label)


def true_or_false(name: str) -> RequestInvalid:
    return RequestInvalid(f"{name} must be true or false", "pika.true_or_false", name=name)
