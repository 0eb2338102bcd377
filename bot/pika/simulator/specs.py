"""Decide what a job's result video looks like, from its request and its source video."""

from __future__ import annotations

from dataclasses import replace

from bot.pika.simulator.validation import RequestRejectedError, Submission
from bot.pika.simulator.video import RenderSpec, VideoInfo, dimensions_for

DEFAULT_FPS = 24.0
DEFAULT_RATIO = 16 / 9
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
