"""Decide what a job's result video looks like, from its request and its source video.

webbot and feed results are small frames of a fixed pixel count (``spec_for``). pikadev and fal
results have the asked size and length (``hd_spec_for``): the short side is 720 or 1080
pixels and the long side follows the aspect ratio (16:9 gives 1280x720 or 1920x1080, 9:16
gives 720x1280, 1:1 gives 1080x1080), at a low frame rate so that they stay cheap to make.
"""

from __future__ import annotations

from dataclasses import replace

from bot.pika.simulator.validation import RequestRejectedError, Submission
from bot.pika.simulator.video import RenderSpec, VideoInfo, dimensions_for, even

DEFAULT_FPS = 24.0
DEFAULT_RATIO = 16 / 9
HD_DEFAULT_SECONDS = 5.0
"""Length of a pikadev/fal result when the request sets none (Pika's 2.2 default)."""
HD_SHORT_SIDE = 720
"""Short side of a pikadev/fal result when the endpoint has no resolution field."""
HD_MAX_EDIT_SECONDS = 10.0
"""Additions and Swaps keep the source's length up to this (Pika's clips are 5 or 10 s)."""
HD_DETAIL = 8
"""HD pictures are drawn at 1/8 of their size and scaled up: a 1080p x 10 s render is ~1 s."""
_OVERLAYS = {
    "inpaint": "inpaint",
    "outpaint": "outpaint",
    "lipsync": "lipsync",
    "additions": "additions",
    "swap": "swap",
}


def spec_for(
    submission: Submission,
    seed: int,
    *,
    video_seconds: float,
    extend_seconds: float,
    large: bool,
    source: VideoInfo | None = None,
    source_spec: RenderSpec | None = None,
) -> RenderSpec:
    """Return the render spec of a job.

    ``source`` describes the input video (None when there is none or it could not be read);
    ``source_spec`` is its own spec when this simulator rendered it.
    """
    operation = submission.operation
    if operation == "upscale":
        if source is None or source_spec is None:
            raise RequestRejectedError("video must be a result URL produced by this service")
        # The same picture, twice the size: an upscale, as far as anyone can tell.
        return replace(source_spec, width=source.width * 2, height=source.height * 2, large=large)

    has_source = submission.source_video is not None
    info = source or VideoInfo(*dimensions_for(DEFAULT_RATIO), DEFAULT_FPS, video_seconds)
    if submission.aspect_ratio is not None:
        ratio = submission.aspect_ratio
    elif has_source:
        ratio = info.width / info.height
    else:
        ratio = DEFAULT_RATIO
    width, height = dimensions_for(ratio)
    fps = submission.frame_rate or (info.fps if has_source else DEFAULT_FPS)
    seconds = info.seconds if has_source else video_seconds
    if operation == "extend":
        seconds += extend_seconds
    if operation == "lipsync" and source is not None:
        check_speech_window(submission, source)

    if source_spec is not None:
        # Edits of our own results keep the look of the original, so they read as edits.
        base = source_spec.content
    elif has_source:
        base = submission.source_video or ""
    else:
        base = ""
    content = "|".join(part for part in (base, submission.prompt, submission.extra) if part)
    if operation == "lipsync" and source_spec is not None:
        content = source_spec.content
    return RenderSpec(
        width=width,
        height=height,
        fps=fps,
        seconds=seconds,
        content=content or "empty",
        seed=source_spec.seed if operation == "lipsync" and source_spec else seed,
        motion=submission.motion,
        overlay=_OVERLAYS.get(operation),
        area=submission.area,
        large=large,
    )


def check_speech_window(submission: Submission, source: VideoInfo) -> None:
    """Refuse lip sync whose speech is longer than the video."""
    start, end = submission.speech_window or (0.0, 0.0)
    if end - start > source.seconds + 1e-6:
        raise RequestRejectedError(
            f"speechEnd - speechStart ({end - start:g} s) is longer than the video"
            f" ({source.seconds:g} s)"
        )


def hd_dimensions(ratio: float, short_side: int) -> tuple[int, int]:
    """Return even (width, height) with the given short side and aspect ratio (width/height)."""
    if ratio >= 1:
        return even(short_side * ratio), short_side
    return short_side, even(short_side / ratio)


def hd_spec_for(
    submission: Submission,
    seed: int,
    *,
    fps: float,
    large: bool,
    source: VideoInfo | None = None,
    source_spec: RenderSpec | None = None,
) -> RenderSpec:
    """Return the render spec of a pikadev or fal job: the asked resolution and length.

    Additions and Swaps edit a video: they keep its aspect ratio and length (up to
    ``HD_MAX_EDIT_SECONDS``) at 720p, or make a 16:9, 5 s clip when the video could not be read.
    Everything else takes the request's aspect ratio (16:9 without one) and length.
    """
    short_side = submission.resolution or HD_SHORT_SIDE
    if submission.operation in ("additions", "swap"):
        if source is not None:
            ratio = source.width / source.height
            seconds = min(max(source.seconds, 1 / fps), HD_MAX_EDIT_SECONDS)
        else:
            ratio, seconds = DEFAULT_RATIO, HD_DEFAULT_SECONDS
    else:
        ratio = submission.aspect_ratio or DEFAULT_RATIO
        seconds = submission.seconds or HD_DEFAULT_SECONDS
    width, height = hd_dimensions(ratio, short_side)
    # Edits of our own results keep the look of the original, so they read as edits.
    base = source_spec.content if source_spec is not None else submission.source_video or ""
    content = "|".join(part for part in (base, submission.prompt, submission.extra) if part)
    return RenderSpec(
        width=width,
        height=height,
        fps=fps,
        seconds=seconds,
        content=content or "empty",
        seed=seed,
        overlay=_OVERLAYS.get(submission.operation),
        large=large,
        detail=HD_DETAIL,
    )
