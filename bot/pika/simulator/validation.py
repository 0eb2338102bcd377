"""Check request bodies the way the real services do, and reduce them to a ``Submission``.

Checks are strict on purpose: the simulator exists to catch what a client really sends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

WEBBOT_MODELS = ("1.0", "1.5", "2.0", "2.1", "Turbo")
FEED_MODELS = ("1.5", "2.0", "2.2")
ASPECT_RATIOS = {
    "16:9": 16 / 9,
    "9:16": 9 / 16,
    "1:1": 1.0,
    "5:2": 5 / 2,
    "4:5": 4 / 5,
    "4:3": 4 / 3,
}
WEBBOT_PIKAFFECTS = (
    "Peel", "Poke", "Tear", "Levitate", "Decapitate", "Eye-pop", "Inflate", "Melt", "Explode",
    "Squish", "Crush", "Cake-ify", "Ta-da", "Deflate", "Crumble", "Dissolve", "Hearts Bouquet",
    "Proposal", "Love Bomb", "Cupid Strike", "Rose", "Crazy in Love",
)  # fmt: skip
FEED_PIKAFFECTS = (
    "Levitate", "Decapitate", "Eye-pop", "Ta-da", "Deflate", "Crumble", "Dissolve", "Squish",
    "Inflate", "Melt", "Crush", "Cake-ify", "Explode",
)  # fmt: skip
STYLES = ("Anime", "Moody", "3D", "Watercolor", "Natural", "Claymation", "Black & white")
CAMERA = {
    "zoom": ("in", "out"),
    "pan": ("left", "right"),
    "tilt": ("up", "down"),
    "rotate": ("cw", "ccw"),
}
INGREDIENT_MODES = ("precise", "creative")
IMAGE_EXTENSIONS = (".png", ".jpeg", ".jpg", ".webp", ".gif")
FEED_RATIO_RANGE = (0.2, 5.0)
MAX_PROMPT = 2000


class RequestRejectedError(ValueError):
    """The body breaks a rule; the message says which, for the 400 answer."""


@dataclass(frozen=True)
class Submission:
    """What a valid request asks for, whatever dialect it came in."""

    dialect: str
    """``webbot``, ``feed``, ``pikadev`` or ``fal``."""
    request_type: str
    """The route used: ``generate``, ``lipSync``, ``adjust``, ``extend`` or ``upscale``
    (webbot, feed), or the endpoint's path (``2.2/t2v``, ``v2.2/text-to-video``, ...)."""
    operation: str
    """generate, pikaffect, ingredients, keyframes, additions, swap, video (reprompt/edit),
    inpaint, outpaint, extend, lipsync or upscale."""
    prompt: str = ""
    seed: int | None = None
    aspect_ratio: float | None = None
    """None: keep the source video's shape, or 16:9 without one."""
    frame_rate: float | None = None
    motion: float = 1.0
    source_video: str | None = None
    area: tuple[float, float, float, float] | None = None
    speech_window: tuple[float, float] | None = None
    webhook_url: str | None = None
    ref: str | None = None
    extra: str = ""
    """Further inputs the picture depends on (effect, style, images, swap prompt)."""
    resolution: int | None = None
    """Short side of the result in pixels (720 or 1080) for the pikadev and fal dialects;
    None for webbot and feed, whose results are small frames of a fixed pixel count."""
    seconds: float | None = None
    """Asked length of the result (pikadev, fal); None: the configured default."""


# ---------------------------------------------------------------- shared pieces


def _number(value: Any, name: str, low: float, high: float, *, required: bool = True) -> float:
    if value is None:
        if required:
            raise RequestRejectedError(f"{name} is required")
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RequestRejectedError(f"{name} must be a number (got {value!r})")
    if not low <= value <= high:
        raise RequestRejectedError(f"{name} must be between {low:g} and {high:g} (got {value!r})")
    return float(value)


def _string(body: dict[str, Any], key: str, name: str | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestRejectedError(f"{name or key} must be a string (got {value!r})")
    return value


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RequestRejectedError(f"{name} is required and must be an object")
    return value


def _url(value: Any, name: str, extensions: tuple[str, ...]) -> str:
    """Accept an http(s) URL whose path, when it has an extension, has one of ``extensions``."""
    if not isinstance(value, str) or not value:
        raise RequestRejectedError(f"{name} must be a URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RequestRejectedError(f"{name} must be an http(s) URL (got {value[:80]!r})")
    last = parts.path.rsplit("/", 1)[-1]
    if "." in last and not last.lower().endswith(extensions):
        raise RequestRejectedError(f"{name} must point at a {'/'.join(extensions)} file")
    return value


def _prompt(body: dict[str, Any], key: str = "promptText", *, required: bool = False) -> str:
    text = _string(body, key)
    if required and not (text and text.strip()):
        raise RequestRejectedError(f"{key} is required")
    if text is not None and len(text) > MAX_PROMPT:
        raise RequestRejectedError(f"{key} is longer than {MAX_PROMPT} characters")
    return text or ""


def _common(body: dict[str, Any]) -> dict[str, Any]:
    ref = _string(body, "ref")
    webhook = body.get("webhookOverride")
    webhook = None if webhook in (None, "") else _url(webhook, "webhookOverride", ())
    return {"ref": ref, "webhook_url": webhook}


def _camera(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise RequestRejectedError("options.camera must be an object")
    for key, setting in value.items():
        allowed = CAMERA.get(key)
        if allowed is None:
            raise RequestRejectedError(f"options.camera.{key} is not a camera setting")
        if setting is not None and setting not in allowed:
            raise RequestRejectedError(
                f"options.camera.{key} must be one of {', '.join(allowed)} or null"
                f" (got {setting!r})"
            )


def _parameters(options: dict[str, Any]) -> tuple[float, int | None]:
    """Check ``options.parameters`` and return (motion, seed)."""
    parameters = _object(options.get("parameters"), "options.parameters")
    motion = _number(parameters.get("motion"), "options.parameters.motion", 1, 4)
    _number(parameters.get("guidanceScale"), "options.parameters.guidanceScale", 5, 25)
    negative = parameters.get("negativePrompt")
    if negative is not None and not isinstance(negative, str):
        raise RequestRejectedError("options.parameters.negativePrompt must be a string")
    seed = parameters.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise RequestRejectedError("options.parameters.seed must be a non-negative integer or null")
    return motion, seed


@dataclass(frozen=True)
class _Options:
    frame_rate: float
    aspect_ratio: float | None
    motion: float
    seed: int | None


def _webbot_options(body: dict[str, Any], *, ratio_required: bool = False) -> _Options:
    options = _object(body.get("options"), "options")
    frame_rate = _number(options.get("frameRate"), "options.frameRate", 1, 24)
    ratio_name = options.get("aspectRatio")
    if ratio_name is None:
        if ratio_required:
            raise RequestRejectedError("options.aspectRatio is required for outpainting")
        ratio = None
    elif ratio_name not in ASPECT_RATIOS:
        raise RequestRejectedError(
            f"options.aspectRatio must be one of {', '.join(ASPECT_RATIOS)} (got {ratio_name!r})"
        )
    else:
        ratio = ASPECT_RATIOS[ratio_name]
    _camera(options.get("camera"))
    extend = options.get("extend")
    if extend is not None and not isinstance(extend, bool):
        raise RequestRejectedError("options.extend must be true or false")
    motion, seed = _parameters(options)
    return _Options(frame_rate, ratio, motion, seed)


# ---------------------------------------------------------------- webbot


def webbot_generate(body: dict[str, Any]) -> Submission:
    """Check a ``POST /generate`` body (generate, effects, ingredients, Additions, Swap, edits)."""
    model = body.get("model", "1.0")
    if model is None:
        model = "1.0"
    if model not in WEBBOT_MODELS:
        raise RequestRejectedError(
            f"model must be one of {', '.join(WEBBOT_MODELS)} (got {model!r})"
        )
    options = _webbot_options(body)
    prompt = _prompt(body)
    extra: list[str] = [f"model={model}"]

    pikaffect = body.get("pikaffect") or None
    if pikaffect is not None:
        if model != "1.5":
            raise RequestRejectedError(f"pikaffect needs model 1.5 (got model {model})")
        if pikaffect not in WEBBOT_PIKAFFECTS:
            raise RequestRejectedError(f"pikaffect {pikaffect!r} is not a known Pikaffect")
        extra.append(f"pikaffect={pikaffect}")

    ingredients = body.get("ingredients")
    if ingredients is not None and ingredients != []:
        if model not in ("2.0", "2.1"):
            raise RequestRejectedError(f"ingredients need model 2.0 or later (got model {model})")
        if not isinstance(ingredients, list):
            raise RequestRejectedError("ingredients must be a list of image URLs")
        for index, item in enumerate(ingredients):
            _url(item, f"ingredients[{index}]", IMAGE_EXTENSIONS)
        extra.append("ingredients=" + ",".join(ingredients))
    mode = body.get("ingredientsMode")
    if mode is not None and mode not in INGREDIENT_MODES:
        raise RequestRejectedError(f"ingredientsMode must be precise or creative (got {mode!r})")

    style = body.get("style") or None
    if style is not None:
        if model != "1.0":
            raise RequestRejectedError(f"style needs model 1.0 (got model {model})")
        if style not in STYLES:
            raise RequestRejectedError(f"style must be one of {', '.join(STYLES)} (got {style!r})")
        extra.append(f"style={style}")
    sfx = body.get("sfx")
    if sfx is not None and not isinstance(sfx, bool):
        raise RequestRejectedError("sfx must be true or false")
    if sfx and model != "1.0":
        raise RequestRejectedError(f"sfx needs model 1.0 (got model {model})")

    image = body.get("image") or None
    if image is not None:
        image = _url(image, "image", IMAGE_EXTENSIONS)
        extra.append(f"image={image}")
    video = body.get("video") or None
    if video is not None:
        video = _url(video, "video", (".mp4",))
        if model not in ("1.0", "1.5", "Turbo"):
            raise RequestRejectedError(
                f"video is accepted by models 1.0, 1.5 and Turbo, not {model}"
            )

    swap_prompt = _prompt(body, "swapPrompt")
    if model == "Turbo":
        if video is None or image is None:
            raise RequestRejectedError("model Turbo (Additions, Swap) needs both video and image")
        if not prompt.strip():
            raise RequestRejectedError("promptText is required for model Turbo")
        operation = "swap" if swap_prompt.strip() else "additions"
        if operation == "swap":
            extra.append(f"swap={swap_prompt}")
    elif swap_prompt:
        raise RequestRejectedError("swapPrompt needs model Turbo (Pika Swap)")
    elif pikaffect is not None:
        operation = "pikaffect"
    elif ingredients:
        operation = "ingredients"
    elif video is not None:
        operation = "video"
    else:
        operation = "generate"
    if operation == "generate" and not prompt.strip() and image is None:
        raise RequestRejectedError("nothing to generate from: send promptText, image or video")

    return Submission(
        dialect="webbot",
        request_type="generate",
        operation=operation,
        prompt=prompt,
        seed=options.seed,
        aspect_ratio=options.aspect_ratio,
        frame_rate=options.frame_rate,
        motion=options.motion,
        source_video=video,
        extra="|".join(extra),
        **_common(body),
    )


def webbot_lipsync(body: dict[str, Any]) -> Submission:
    """Check a ``POST /lipSync`` body."""
    video = _url(body.get("video"), "video", (".mp4",))
    speech = _url(body.get("speech"), "speech", (".wav",))
    start = _number(body.get("speechStart"), "speechStart", 0, 24 * 3600)
    end = _number(body.get("speechEnd"), "speechEnd", 0, 24 * 3600)
    if end <= start:
        raise RequestRejectedError(
            f"speechEnd ({end:g}) must be greater than speechStart ({start:g})"
        )
    return Submission(
        dialect="webbot",
        request_type="lipSync",
        operation="lipsync",
        prompt=_prompt(body),
        source_video=video,
        speech_window=(start, end),
        extra=f"speech={speech}|{start:g}-{end:g}",
        **_common(body),
    )


def _area(value: Any) -> tuple[float, float, float, float]:
    area = _object(value, "area")
    x = _number(area.get("x"), "area.x", 0, 100)
    y = _number(area.get("y"), "area.y", 0, 100)
    width = _number(area.get("width"), "area.width", 0, 100)
    height = _number(area.get("height"), "area.height", 0, 100)
    if x + width > 100:
        raise RequestRejectedError(f"area.x + area.width must be at most 100 (got {x + width:g})")
    if y + height > 100:
        raise RequestRejectedError(f"area.y + area.height must be at most 100 (got {y + height:g})")
    return (x, y, width, height)


def webbot_adjust(body: dict[str, Any]) -> Submission:
    """Check a ``POST /adjust`` body (inpainting or outpainting)."""
    mode = body.get("mode")
    if mode not in ("inpainting", "outpainting"):
        raise RequestRejectedError(f"mode must be inpainting or outpainting (got {mode!r})")
    outpaint = mode == "outpainting"
    options = _webbot_options(body, ratio_required=outpaint)
    area = _area(body.get("area"))
    video = _url(body.get("video"), "video", (".mp4",))
    prompt = _prompt(body, required=outpaint)
    extra = [mode]
    style = body.get("style") or None
    if style is not None:
        if outpaint:
            raise RequestRejectedError("style is not accepted for outpainting")
        if style not in STYLES:
            raise RequestRejectedError(f"style must be one of {', '.join(STYLES)} (got {style!r})")
        extra.append(f"style={style}")
    return Submission(
        dialect="webbot",
        request_type="adjust",
        operation="outpaint" if outpaint else "inpaint",
        prompt=prompt,
        seed=options.seed,
        # Inpainting keeps the source's frame; only outpainting changes the canvas.
        aspect_ratio=options.aspect_ratio if outpaint else None,
        frame_rate=options.frame_rate,
        motion=options.motion,
        source_video=video,
        area=area,
        extra="|".join(extra),
        **_common(body),
    )


def webbot_extend(body: dict[str, Any]) -> Submission:
    """Check a ``POST /extend`` body."""
    options = _webbot_options(body)
    video = _url(body.get("video"), "video", (".mp4",))
    return Submission(
        dialect="webbot",
        request_type="extend",
        operation="extend",
        prompt=_prompt(body),
        seed=options.seed,
        frame_rate=options.frame_rate,
        motion=options.motion,
        source_video=video,
        **_common(body),
    )


def webbot_upscale(body: dict[str, Any]) -> Submission:
    """Check a ``POST /upscale`` body (the URL's origin is checked by the caller)."""
    video = _url(body.get("video"), "video", (".mp4",))
    return Submission(
        dialect="webbot",
        request_type="upscale",
        operation="upscale",
        source_video=video,
        **_common(body),
    )


def video_url(body: dict[str, Any]) -> str:
    """Return the ``video`` URL of a ``POST /jobs/upscaled`` body."""
    return _url(body.get("video"), "video", (".mp4",))


# ---------------------------------------------------------------- feed


def _image_or_base64(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise RequestRejectedError(f"{name} must be an image URL or base64 data")
    if value.startswith(("http://", "https://")):
        return _url(value, name, IMAGE_EXTENSIONS)
    return value


def feed_generate(body: dict[str, Any]) -> Submission:
    """Check a feed ``POST /pika/generate`` body."""
    model = body.get("model", "1.5")
    if model not in FEED_MODELS:
        raise RequestRejectedError(f"model must be one of {', '.join(FEED_MODELS)} (got {model!r})")
    options = _object(body.get("options"), "options")
    frame_rate = _number(options.get("frameRate"), "options.frameRate", 1, 24)
    image = body.get("image") or None
    ratio = options.get("aspectRatio")
    if ratio is not None:
        if image is not None:
            raise RequestRejectedError("options.aspectRatio must be left out when an image is sent")
        low, high = FEED_RATIO_RANGE
        ratio = _number(
            ratio, "options.aspectRatio (a number such as 1.7777777777777777)", low, high
        )
    _camera(options.get("camera") or None)
    extend = options.get("extend")
    if extend is not None and not isinstance(extend, bool):
        raise RequestRejectedError("options.extend must be true or false")
    mode = options.get("ingredients-mode")
    if mode is not None and mode not in INGREDIENT_MODES:
        raise RequestRejectedError(
            f"options.ingredients-mode must be precise or creative (got {mode!r})"
        )
    motion, seed = _parameters(options)
    prompt = _prompt(body)
    extra = [f"model={model}"]

    pikaffect = body.get("pikaffect") or None
    if pikaffect is not None:
        if pikaffect not in FEED_PIKAFFECTS:
            raise RequestRejectedError(
                f"pikaffect must be one of {', '.join(FEED_PIKAFFECTS)} (got {pikaffect!r})"
            )
        extra.append(f"pikaffect={pikaffect}")
    if image is not None:
        extra.append(f"image={_image_or_base64(image, 'image')[:200]}")
    ingredient = body.get("ingredient")
    if ingredient is not None and ingredient != []:
        if model not in ("2.0", "2.2"):
            raise RequestRejectedError(f"ingredient needs model 2.0 or 2.2 (got model {model})")
        if not isinstance(ingredient, list):
            raise RequestRejectedError("ingredient must be a list of image URLs or base64 data")
        for index, item in enumerate(ingredient):
            extra.append(_image_or_base64(item, f"ingredient[{index}]")[:200])
    if pikaffect is not None:
        operation = "pikaffect"
    elif ingredient:
        operation = "ingredients"
    else:
        operation = "generate"
    if not prompt.strip() and image is None and not ingredient:
        raise RequestRejectedError("nothing to generate from: send promptText, image or ingredient")
    return Submission(
        dialect="feed",
        request_type="generate",
        operation=operation,
        prompt=prompt,
        seed=seed,
        aspect_ratio=ratio,
        frame_rate=frame_rate,
        motion=motion,
        extra="|".join(extra),
    )
