"""Check Pika developer API forms as its FastAPI server would, and reduce them to a ``Submission``.

Fields and limits are those of PIKA_OFFICIAL.md §1.2. FastAPI's form handling is followed:
text fields arrive as strings and are parsed (``"10"`` is a valid duration), an empty value
counts as absent, the last of repeated text fields wins, unknown fields are ignored, and
every problem of a request is reported at once.

Where the schema marks an input optional but the endpoint cannot work without it, the
simulator requires it (an assumption; strictness is the simulator's job): the ``image`` of
i2v and Pikaffects, ``keyFrames`` (2..5) and ``images`` (1..5), the ``video`` and ``image``
of Pikadditions, the ``pikaffect`` name, and for Pikaswaps one of ``modifyRegionMask`` and
``modifyRegionRoi`` (both may be sent).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from bot.pika.simulator import media
from bot.pika.simulator.multipart import FilePart, FormBody
from bot.pika.simulator.problems import Loc, Problems
from bot.pika.simulator.validation import Submission

RESOLUTIONS = {"1080p": 1080, "720p": 720}
DURATIONS = (5, 10)
KEYFRAME_SECONDS = (5, 10)
RATIO_RANGE = (0.4, 2.5)
SEED_RANGE = (0, 4294967295)
INGREDIENT_MODES = ("creative", "precise")
PIKAFFECTS = (
    "Cake-ify", "Crumble", "Crush", "Decapitate", "Deflate", "Dissolve", "Explode", "Eye-pop",
    "Inflate", "Levitate", "Melt", "Peel", "Poke", "Squish", "Ta-da", "Tear",
)  # fmt: skip
KEYFRAME_COUNT = (2, 5)
SCENE_IMAGE_COUNT = (1, 5)
TURBO_SHORT_SIDE = 720
"""Turbo has no resolution field; assumed to render at 720p."""
EDIT_SHORT_SIDE = 720
"""Pikaffects, Pikadditions and Pikaswaps have no resolution field; assumed 720p."""
_INTEGER = re.compile(r"[+-]?\d+")
_KIND_TEXT = {"image": "a PNG, JPEG, WebP or GIF image", "video": "an MP4 video"}


@dataclass(frozen=True)
class Checked:
    """A valid request: what it asks for, plus the uploaded video to probe, if any."""

    submission: Submission
    video: bytes | None = None


@dataclass
class _Reader:
    """Reads fields of one form, collecting every problem on the way."""

    form: FormBody
    endpoint: str
    problems: Problems = field(default_factory=Problems)
    extra: list[str] = field(default_factory=list)
    """What the picture depends on besides the prompt: the endpoint, options, upload digests."""

    def __post_init__(self) -> None:
        self.extra.append(f"pikadev/{self.endpoint}")

    def text(self, name: str, *, required: bool = False) -> str | None:
        values = self.form.texts(name)
        if not values and self.form.uploads(name):
            self.problems.add(("body", name), "Input should be a valid string", "string_type")
            return None
        value = values[-1] if values else None
        if value == "":
            value = None  # FastAPI treats an empty form value as a missing one
        if value is None and required:
            self.problems.missing(("body", name))
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
        value = self.text(name, required=default is None)
        if value is None:
            return default
        if value not in choices:
            self.problems.literal(("body", name), choices)
            return default
        return value

    def integer(
        self, name: str, *, low: int, high: int, default: int | None, choices: tuple[int, ...] = ()
    ) -> int | None:
        text = self.text(name)
        if text is None:
            return default
        if not _INTEGER.fullmatch(text.strip()):
            self.problems.add(
                ("body", name),
                "Input should be a valid integer, unable to parse string as an integer",
                "int_parsing",
            )
            return default
        value = int(text)
        if choices and value not in choices:
            self.problems.literal(("body", name), choices)
            return default
        return value if self.problems.bounds(("body", name), value, low, high) else default

    def number(self, name: str, low: float, high: float, default: float | None) -> float | None:
        text = self.text(name)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            self.problems.add(
                ("body", name),
                "Input should be a valid number, unable to parse string as a number",
                "float_parsing",
            )
            return default
        return value if self.problems.bounds(("body", name), value, low, high) else default

    def file(self, name: str, kind: str, *, required: bool) -> FilePart | None:
        """Return the one upload of ``name``; FastAPI keeps the last when several are sent."""
        uploads = self.form.uploads(name)
        if not uploads:
            self._absent_file(("body", name), name, required=required)
            return None
        return self._checked(("body", name), uploads[-1], name, kind)

    def files(self, name: str, kind: str, count: tuple[int, int]) -> list[FilePart]:
        uploads = self.form.uploads(name)
        if not uploads:
            self._absent_file(("body", name), name, required=True)
            return []
        self.problems.length(("body", name), len(uploads), *count)
        checked = [
            self._checked(("body", name, index), upload, name, kind)
            for index, upload in enumerate(uploads)
        ]
        return [part for part in checked if part is not None]

    def _absent_file(self, loc: Loc, name: str, *, required: bool) -> None:
        if self.form.texts(name):
            # A text value where a file belongs: the client forgot the filename parameter.
            self.problems.value_error(loc, "Expected UploadFile, received: <class 'str'>")
        elif required:
            self.problems.missing(loc)

    def _checked(self, loc: Loc, upload: FilePart, name: str, kind: str) -> FilePart | None:
        if not upload.data:
            self.problems.value_error(loc, f"{name} is an empty file")
            return None
        fits = (
            media.image_kind(upload.data) is not None
            if kind == "image"
            else media.is_mp4(upload.data)
        )
        if not fits:
            self.problems.value_error(loc, f"{name} must be {_KIND_TEXT[kind]}")
            return None
        self.extra.append(f"{name}={hashlib.sha256(upload.data).hexdigest()[:16]}")
        return upload

    def common(self, *, prompt_required: bool = False) -> tuple[str, int | None]:
        """Read the fields every endpoint takes: return (promptText, seed)."""
        prompt = self.text("promptText", required=prompt_required) or ""
        negative = self.text("negativePrompt")
        if negative:
            self.extra.append(f"negative={negative}")
        low, high = SEED_RANGE
        return prompt, self.integer("seed", low=low, high=high, default=None)

    def resolution(self) -> int:
        name = self.choice("resolution", tuple(RESOLUTIONS), "1080p")
        return RESOLUTIONS[name or "1080p"]

    def duration(self) -> int:
        low, high = DURATIONS[0], DURATIONS[-1]
        value = self.integer("duration", low=low, high=high, default=5, choices=DURATIONS)
        return value or 5

    def ratio(self, default: float | None) -> float | None:
        low, high = RATIO_RANGE
        return self.number("aspectRatio", low, high, default)

    def submission(
        self,
        operation: str,
        prompt: str,
        seed: int | None,
        *,
        resolution: int,
        seconds: float | None = None,
        aspect_ratio: float | None = None,
        video: FilePart | None = None,
    ) -> Checked:
        """Refuse the request if anything was wrong, else return what it asks for."""
        self.problems.raise_if_any()
        submission = Submission(
            dialect="pikadev",
            request_type=self.endpoint,
            operation=operation,
            prompt=prompt,
            seed=seed,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            seconds=seconds,
            extra="|".join(self.extra),
        )
        return Checked(submission, video.data if video is not None else None)


def _image_ratio(part: FilePart | None) -> float | None:
    """Return the aspect ratio of an uploaded image, None when its header gives no size.

    Kept within the ratios the API accepts (0.4..2.5), as a result can be no wider or taller
    than those; a panorama would otherwise make a needlessly huge frame.
    """
    size = media.image_size(part.data) if part is not None else None
    if not size:
        return None
    low, high = RATIO_RANGE
    return min(high, max(low, size[0] / size[1]))


def t2v(form: FormBody) -> Checked:
    """``POST /generate/2.2/t2v``: text to video."""
    read = _Reader(form, "2.2/t2v")
    prompt, seed = read.common(prompt_required=True)
    resolution, seconds = read.resolution(), read.duration()
    ratio = read.ratio(16 / 9)
    return read.submission(
        "generate", prompt, seed, aspect_ratio=ratio, resolution=resolution, seconds=seconds
    )


def turbo_t2v(form: FormBody) -> Checked:
    """``POST /generate/turbo/t2v``: Turbo text to video (no resolution or duration field)."""
    read = _Reader(form, "turbo/t2v")
    prompt, seed = read.common(prompt_required=True)
    ratio = read.ratio(16 / 9)
    return read.submission(
        "generate", prompt, seed, aspect_ratio=ratio, resolution=TURBO_SHORT_SIDE, seconds=5.0
    )


def i2v(form: FormBody) -> Checked:
    """``POST /generate/2.2/i2v``: image (the first frame) to video, shaped like the image."""
    read = _Reader(form, "2.2/i2v")
    image = read.file("image", "image", required=True)
    prompt, seed = read.common()
    resolution, seconds = read.resolution(), read.duration()
    return read.submission(
        "generate",
        prompt,
        seed,
        aspect_ratio=_image_ratio(image),
        resolution=resolution,
        seconds=seconds,
    )


def pikaframes(form: FormBody) -> Checked:
    """``POST /generate/2.2/pikaframes``: 2..5 keyframes, 5..10 s, shaped like the first."""
    read = _Reader(form, "2.2/pikaframes")
    frames = read.files("keyFrames", "image", KEYFRAME_COUNT)
    prompt, seed = read.common(prompt_required=True)
    resolution = read.resolution()
    low, high = KEYFRAME_SECONDS
    seconds = read.integer("duration", low=low, high=high, default=5) or 5
    return read.submission(
        "keyframes",
        prompt,
        seed,
        aspect_ratio=_image_ratio(frames[0] if frames else None),
        resolution=resolution,
        seconds=seconds,
    )


def pikascenes(form: FormBody) -> Checked:
    """``POST /generate/2.2/pikascenes``: 1..5 ingredient images composed into one scene."""
    read = _Reader(form, "2.2/pikascenes")
    read.files("images", "image", SCENE_IMAGE_COUNT)
    mode = read.choice("ingredientsMode", INGREDIENT_MODES, None)
    read.extra.append(f"mode={mode}")
    prompt, seed = read.common()
    # No default in the schema; without one the scene is assumed to be 16:9.
    ratio = read.ratio(None)
    resolution, seconds = read.resolution(), read.duration()
    return read.submission(
        "ingredients", prompt, seed, aspect_ratio=ratio, resolution=resolution, seconds=seconds
    )


def pikaffects(form: FormBody) -> Checked:
    """``POST /generate/pikaffects``: one of 16 effects applied to an image."""
    read = _Reader(form, "pikaffects")
    image = read.file("image", "image", required=True)
    effect = read.choice("pikaffect", PIKAFFECTS, None)
    read.extra.append(f"pikaffect={effect}")
    prompt, seed = read.common()
    return read.submission(
        "pikaffect",
        prompt,
        seed,
        aspect_ratio=_image_ratio(image),
        resolution=EDIT_SHORT_SIDE,
        seconds=5.0,
    )


def pikadditions(form: FormBody) -> Checked:
    """``POST /generate/pikadditions``: add the image's subject into the video."""
    read = _Reader(form, "pikadditions")
    video = read.file("video", "video", required=True)
    read.file("image", "image", required=True)
    prompt, seed = read.common()
    return read.submission("additions", prompt, seed, resolution=EDIT_SHORT_SIDE, video=video)


def pikaswaps(form: FormBody) -> Checked:
    """``POST /generate/pikaswaps``: replace a region (mask or described) of the video."""
    read = _Reader(form, "pikaswaps")
    video = read.file("video", "video", required=True)
    read.file("image", "image", required=False)
    mask = read.file("modifyRegionMask", "image", required=False)
    region = read.text("modifyRegionRoi")
    if region:
        read.extra.append(f"region={region}")
    if mask is None and region is None and not read.form.uploads("modifyRegionMask"):
        read.problems.value_error(
            ("body",), "send modifyRegionMask or modifyRegionRoi (or both) to say what to swap"
        )
    prompt, seed = read.common()
    return read.submission("swap", prompt, seed, resolution=EDIT_SHORT_SIDE, video=video)
