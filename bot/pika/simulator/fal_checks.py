"""Check fal's Pika inputs as fal's pydantic models would, and reduce them to a ``Submission``.

Fields, defaults and limits are those of PIKA_OFFICIAL.md §2.5. pydantic's lax mode is
followed where it matters to a client: an integral float is an integer, ``duration`` may
also be ``"5"`` or ``"10"`` (fal's 2025-12 types spell it so), unknown fields are ignored,
``null`` counts as absent for optional fields, and every problem is reported at once.

Media are URLs (``http``, ``https`` or ``data:``) and are not fetched, except a
``video_url`` of Additions/Swaps (whose shape the result keeps; see ``results.py``). fal
also accepts Pikascenes' older form ``images: [{"image_url": ...}]``.

Pikaswaps' input is not documented anywhere the reference found; the simulator assumes the
dev API's fields in fal's spelling: ``video_url`` (required), ``image_url`` (what replaces
the region), ``modify_region`` (a text description of the region), ``mask_url`` (white =
region to modify), ``prompt``, ``negative_prompt`` and ``seed``, all but ``video_url``
optional (fal's example sends only ``video_url``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from bot.pika.simulator.problems import Loc, Problems, body_error
from bot.pika.simulator.validation import Submission

ASPECT_RATIOS = {
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "1:1": 1.0,
    "4:5": 4 / 5,
    "5:4": 5 / 4,
    "3:2": 3 / 2,
    "2:3": 2 / 3,
}
RESOLUTIONS = {"720p": 720, "1080p": 1080}
DURATIONS = (5, 10)
INGREDIENT_MODES = ("precise", "creative")
PIKAFFECTS = (
    "Cake-ify", "Crumble", "Crush", "Decapitate", "Deflate", "Dissolve", "Explode", "Eye-pop",
    "Inflate", "Levitate", "Melt", "Peel", "Poke", "Squish", "Ta-da", "Tear",
)  # fmt: skip
KEYFRAME_COUNT = (2, 5)
SCENE_IMAGE_COUNT: tuple[int, int | None] = (1, None)
"""At least one image; fal states no upper limit."""
TRANSITION_SECONDS = 5
MAX_KEYFRAME_SECONDS = 25
EDIT_SHORT_SIDE = 720
"""Pikaffects, Pikadditions and Pikaswaps have no resolution field; assumed 720p."""
_URL_PREFIXES = ("http://", "https://", "data:")


def read_body(raw: bytes) -> dict[str, Any]:
    """Parse the JSON body (whatever the Content-Type) or refuse it as FastAPI does."""
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        raise body_error(("body", 0), "JSON decode error", "json_invalid") from None
    if body is None:
        raise body_error(("body",), "Field required", "missing")
    if not isinstance(body, dict):
        raise body_error(
            ("body",),
            "Input should be a valid dictionary or object to extract fields from",
            "model_attributes_type",
        )
    return body


@dataclass
class _Reader:
    """Reads fields of one JSON body, collecting every problem on the way."""

    body: dict[str, Any]
    endpoint: str
    problems: Problems = field(default_factory=Problems)
    extra: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.extra.append(f"fal/{self.endpoint}")

    def _value(self, key: str, required: bool) -> Any:
        value = self.body.get(key)
        if value is None and required:
            self.problems.missing(("body", key))
        return value

    def string(self, key: str, *, required: bool = False, loc: Loc | None = None) -> str | None:
        value = self._value(key, required) if loc is None else self.body.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problems.add(loc or ("body", key), "Input should be a valid string", "string_type")
            return None
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.string(key)
        if value is None:
            return default
        if value not in choices:
            self.problems.literal(("body", key), choices)
            return default
        return value

    def integer(self, value: Any, loc: Loc) -> int | None:
        """Return ``value`` as an integer the way pydantic's lax mode reads one."""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.problems.add(loc, "Input should be a valid integer", "int_type")
            return None
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                self.problems.add(
                    loc,
                    "Input should be a valid integer, unable to parse string as an integer",
                    "int_parsing",
                )
                return None
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            self.problems.add(
                loc,
                "Input should be a valid integer, got a number with a fractional part",
                "int_from_float",
            )
            return None
        return int(value)

    def seed(self) -> int | None:
        value = self.body.get("seed")
        return None if value is None else self.integer(value, ("body", "seed"))

    def duration(self) -> int:
        value = self.body.get("duration")
        if value is None:
            return DURATIONS[0]
        number = self.integer(value, ("body", "duration"))
        if number is None:
            return DURATIONS[0]
        if number not in DURATIONS:
            self.problems.literal(("body", "duration"), DURATIONS)
            return DURATIONS[0]
        return number

    def resolution(self, default: str) -> int:
        return RESOLUTIONS[self.choice("resolution", tuple(RESOLUTIONS), default)]

    def aspect_ratio(self) -> float:
        return ASPECT_RATIOS[self.choice("aspect_ratio", tuple(ASPECT_RATIOS), "16:9")]

    def url(self, key: str, *, required: bool) -> str | None:
        value = self.string(key, required=required)
        if value is None:
            return None
        if not self.is_url(value, ("body", key)):
            return None
        self.depends_on(key, value)
        return value

    def urls(self, key: str, count: tuple[int, int | None]) -> list[str]:
        value = self._value(key, required=True)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.add(("body", key), "Input should be a valid list", "list_type")
            return []
        self.count(("body", key), value, count)
        found = []
        for index, item in enumerate(value):
            loc = ("body", key, index)
            if not isinstance(item, str):
                self.problems.add(loc, "Input should be a valid string", "string_type")
            elif self.is_url(item, loc):
                self.depends_on(f"{key}[{index}]", item)
                found.append(item)
        return found

    def count(self, loc: Loc, items: list[Any], count: tuple[int, int | None]) -> None:
        self.problems.length(loc, len(items), *count)

    def is_url(self, value: str, loc: Loc) -> bool:
        if value.startswith(_URL_PREFIXES) and len(value) > len("https://"):
            return True
        self.problems.value_error(loc, "must be an http(s) URL or a data: URI")
        return False

    def depends_on(self, name: str, value: str) -> None:
        """Make the picture depend on an input (by digest: data URIs can be long)."""
        self.extra.append(f"{name}={hashlib.sha256(value.encode()).hexdigest()[:16]}")

    def common(self, *, prompt_required: bool) -> tuple[str, int | None]:
        """Read ``prompt``, ``negative_prompt`` and ``seed``; return (prompt, seed)."""
        prompt = self.string("prompt", required=prompt_required) or ""
        negative = self.string("negative_prompt")
        if negative:
            self.extra.append(f"negative={negative}")
        return prompt, self.seed()

    def submission(
        self,
        operation: str,
        prompt: str,
        seed: int | None,
        *,
        resolution: int,
        seconds: float | None = None,
        aspect_ratio: float | None = None,
        source_video: str | None = None,
    ) -> Submission:
        """Refuse the request if anything was wrong, else return what it asks for."""
        self.problems.raise_if_any()
        return Submission(
            dialect="fal",
            request_type=self.endpoint,
            operation=operation,
            prompt=prompt,
            seed=seed,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            seconds=seconds,
            source_video=source_video,
            extra="|".join(self.extra),
        )


def text_to_video(body: dict[str, Any]) -> Submission:
    """``fal-ai/pika/v2.2/text-to-video``."""
    read = _Reader(body, "v2.2/text-to-video")
    prompt, seed = read.common(prompt_required=True)
    ratio = read.aspect_ratio()
    resolution, seconds = read.resolution("720p"), read.duration()
    return read.submission(
        "generate", prompt, seed, aspect_ratio=ratio, resolution=resolution, seconds=seconds
    )


def image_to_video(body: dict[str, Any]) -> Submission:
    """``fal-ai/pika/v2.2/image-to-video``: 16:9, since the image is not fetched."""
    read = _Reader(body, "v2.2/image-to-video")
    read.url("image_url", required=True)
    prompt, seed = read.common(prompt_required=True)
    resolution, seconds = read.resolution("720p"), read.duration()
    return read.submission("generate", prompt, seed, resolution=resolution, seconds=seconds)


def pikascenes(body: dict[str, Any]) -> Submission:
    """``fal-ai/pika/v2.2/pikascenes``: ``image_urls`` (or the older ``images`` objects)."""
    read = _Reader(body, "v2.2/pikascenes")
    if body.get("image_urls") is None and body.get("images") is not None:
        _older_images(read, body["images"])
    else:
        read.urls("image_urls", SCENE_IMAGE_COUNT)
    prompt, seed = read.common(prompt_required=True)
    mode = read.choice("ingredients_mode", INGREDIENT_MODES, "precise")
    read.extra.append(f"mode={mode}")
    ratio = read.aspect_ratio()
    resolution, seconds = read.resolution("1080p"), read.duration()
    return read.submission(
        "ingredients", prompt, seed, aspect_ratio=ratio, resolution=resolution, seconds=seconds
    )


def _older_images(read: _Reader, images: Any) -> None:
    if not isinstance(images, list):
        read.problems.add(("body", "images"), "Input should be a valid list", "list_type")
        return
    read.count(("body", "images"), images, SCENE_IMAGE_COUNT)
    for index, item in enumerate(images):
        loc = ("body", "images", index)
        if not isinstance(item, dict):
            read.problems.add(loc, "Input should be a valid dictionary", "dict_type")
            continue
        url = item.get("image_url")
        if url is None:
            read.problems.missing((*loc, "image_url"))
        elif not isinstance(url, str):
            read.problems.add((*loc, "image_url"), "Input should be a valid string", "string_type")
        elif read.is_url(url, (*loc, "image_url")):
            read.depends_on(f"images[{index}]", url)


def pikaframes(body: dict[str, Any]) -> Submission:
    """``fal-ai/pika/v2.2/pikaframes``: 2..5 keyframes, as long as the transitions (<= 25 s)."""
    read = _Reader(body, "v2.2/pikaframes")
    images = read.urls("image_urls", KEYFRAME_COUNT)
    prompt, seed = read.common(prompt_required=False)
    resolution = read.resolution("720p")
    seconds = _transitions(read, body.get("transitions"), images)
    return read.submission("keyframes", prompt, seed, resolution=resolution, seconds=seconds)


def _transitions(read: _Reader, value: Any, images: list[str]) -> int:
    """Check ``transitions`` and return the video's length: the sum of their durations."""
    pairs = max(1, len(images) - 1)
    if value is None:
        return TRANSITION_SECONDS * pairs
    loc: Loc = ("body", "transitions")
    if not isinstance(value, list):
        read.problems.add(loc, "Input should be a valid list", "list_type")
        return TRANSITION_SECONDS * pairs
    total = 0
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            read.problems.add((*loc, index), "Input should be a valid dictionary", "dict_type")
            continue
        duration = item.get("duration")
        seconds = TRANSITION_SECONDS
        if duration is not None:
            number = read.integer(duration, (*loc, index, "duration"))
            if number is not None and read.problems.bounds(
                (*loc, index, "duration"), number, 1, None
            ):
                seconds = number
        total += seconds
        text = item.get("prompt")
        if text is not None and not isinstance(text, str):
            read.problems.add(
                (*loc, index, "prompt"), "Input should be a valid string", "string_type"
            )
        read.extra.append(f"transition{index}={seconds}:{text or ''}")
    if len(images) >= 2 and len(value) != len(images) - 1:
        read.problems.value_error(
            loc,
            f"expected {len(images) - 1} transitions for {len(images)} images, got {len(value)}",
        )
    if total > MAX_KEYFRAME_SECONDS:
        read.problems.value_error(
            loc, f"the transitions last {total} s in all, more than {MAX_KEYFRAME_SECONDS} s"
        )
    return total or TRANSITION_SECONDS * pairs


def pikaffects(body: dict[str, Any]) -> Submission:
    """``fal-ai/pika/v1.5/pikaffects``: 16:9, 720p x 5 s (the image is not fetched)."""
    read = _Reader(body, "v1.5/pikaffects")
    read.url("image_url", required=True)
    effect = read.string("pikaffect", required=True)
    if effect is not None and effect not in PIKAFFECTS:
        read.problems.literal(("body", "pikaffect"), PIKAFFECTS)
    read.extra.append(f"pikaffect={effect}")
    prompt, seed = read.common(prompt_required=False)
    return read.submission("pikaffect", prompt, seed, resolution=EDIT_SHORT_SIDE, seconds=5.0)


def pikadditions(body: dict[str, Any]) -> Submission:
    """``fal-ai/pika/v2/pikadditions``: the video's shape and length (see ``specs``)."""
    read = _Reader(body, "v2/pikadditions")
    video = read.url("video_url", required=True)
    read.url("image_url", required=True)
    prompt, seed = read.common(prompt_required=False)
    return read.submission(
        "additions", prompt, seed, resolution=EDIT_SHORT_SIDE, source_video=video
    )


def pikaswaps(body: dict[str, Any]) -> Submission:
    """``fal-ai/pika/v2/pikaswaps`` (assumed schema, see the module docstring)."""
    read = _Reader(body, "v2/pikaswaps")
    video = read.url("video_url", required=True)
    read.url("image_url", required=False)
    read.url("mask_url", required=False)
    region = read.string("modify_region")
    if region:
        read.extra.append(f"region={region}")
    prompt, seed = read.common(prompt_required=False)
    return read.submission("swap", prompt, seed, resolution=EDIT_SHORT_SIDE, source_video=video)
