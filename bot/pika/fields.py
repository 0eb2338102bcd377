"""Field rules of the request models, each failing with a sentence a user can read.

The checks raise plain ``ValueError`` sentences (pydantic wraps them) instead of pydantic's own
``Field(ge=..., le=...)`` wording; ``friendly_messages`` turns pydantic's report back into them.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import ValidationError

from bot.domain.text import clean_text, has_visible_text

E = TypeVar("E", bound=Enum)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
VIDEO_SUFFIXES = (".mp4",)
AUDIO_SUFFIXES = (".wav",)

IMAGE_KIND_SENTENCE = "must be a .png, .jpeg, .webp or .gif file"


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
