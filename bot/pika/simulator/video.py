"""Render small, real H.264 videos (plus poster and thumbnail JPEGs) and probe existing ones.

Everything here is synchronous and CPU-bound: callers run it in a worker thread.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

log = logging.getLogger(__name__)

BASE_PIXELS = 256 * 144
"""Pixels of a normal result frame; 16:9 gives exactly 256x144."""
LARGE_TARGET_BYTES = 15_500_000
"""Size a ``large`` result aims at, comfortably over Discord's 10 MiB upload limit."""
_LARGE_BYTES_PER_PIXEL = 0.88
"""Measured: x264 qp 10 spends about this much on a pixel with 6 bits of noise per channel."""
_LARGE_BYTES_PER_LUMA_PIXEL = 0.85
"""Measured: x264 qp 10 spends about this much on a luma pixel with 6 bits of noise."""
_LARGE_MAX_FRAME_PIXELS = 1920 * 1080 * 2
_MAX_SIDE = 4096


class RenderCancelledError(Exception):
    """The simulator stopped while this render was running."""


@dataclass(frozen=True)
class RenderSpec:
    """Everything a result video depends on; equal specs give byte-identical files."""

    width: int
    height: int
    fps: float
    seconds: float
    content: str
    """Text the picture is derived from (prompt, effect, source...)."""
    seed: int
    motion: float = 1.0
    overlay: str | None = None
    """A visible mark of the edit: inpaint, outpaint, lipsync, additions or swap."""
    area: tuple[float, float, float, float] | None = None
    """x, y, width, height in percent, for ``inpaint`` and ``outpaint``."""
    large: bool = False
    detail: int = 1
    """Above 1, the picture is drawn at 1/``detail`` of the frame size and scaled up, and the
    frame keeps its exact size even when ``large`` (which then only raises the quality, see
    ``_encode_scaled``): cheap 720p/1080p results."""

    @property
    def key(self) -> str:
        """Return a short stable digest of the spec, used as the cache key."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:24]

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))


@dataclass(frozen=True)
class VideoInfo:
    """What a probe learns about an MP4."""

    width: int
    height: int
    fps: float
    seconds: float


@dataclass(frozen=True)
class RenderResult:
    """The files one render wrote, and what they contain."""

    spec: RenderSpec
    video: Path
    poster: Path
    thumbnail: Path
    info: VideoInfo
    size: int


def dimensions_for(ratio: float, pixels: int = BASE_PIXELS) -> tuple[int, int]:
    """Return even width and height with about ``pixels`` pixels and the given aspect ratio."""
    height = math.sqrt(pixels / ratio)
    width = height * ratio
    return even(width), even(height)


def large_dimensions(ratio: float, frames: int) -> tuple[int, int]:
    """Return frame dimensions that make a noisy video of ``frames`` frames about 15 MB."""
    per_frame = LARGE_TARGET_BYTES / _LARGE_BYTES_PER_PIXEL / frames
    per_frame = min(max(per_frame, BASE_PIXELS), _LARGE_MAX_FRAME_PIXELS)
    return dimensions_for(ratio, int(per_frame))


def even(value: float) -> int:
    """Round to the nearest even size within 16..4096 (H.264 4:2:0 needs even sides)."""
    return max(16, min(_MAX_SIDE, 2 * round(value / 2)))


def render(
    spec: RenderSpec, directory: Path, cancel: threading.Event | None = None
) -> RenderResult:
    """Write ``video.mp4``, ``poster.jpg`` and ``thumbnail.jpg`` for ``spec`` into ``directory``.

    Files already there from an earlier render of the same spec are reused.
    """
    directory.mkdir(parents=True, exist_ok=True)
    video = directory / "video.mp4"
    poster = directory / "poster.jpg"
    thumbnail = directory / "thumbnail.jpg"
    width, height = spec.width, spec.height
    if spec.large and spec.detail <= 1:
        width, height = large_dimensions(spec.width / spec.height, spec.frame_count)
    if not (video.exists() and poster.exists() and thumbnail.exists()):
        still = _encode_video(spec, width, height, video, cancel)
        _write_jpeg(still, poster)
        thumb_width, thumb_height = even(width / 2), even(height / 2)
        _write_jpeg(still.reformat(width=thumb_width, height=thumb_height), thumbnail)
    info = VideoInfo(width, height, spec.fps, spec.frame_count / spec.fps)
    return RenderResult(spec, video, poster, thumbnail, info, video.stat().st_size)


def _encode_video(
    spec: RenderSpec, width: int, height: int, path: Path, cancel: threading.Event | None
) -> av.VideoFrame:
    """Encode the frames to ``path`` atomically and return the middle frame for the poster."""
    partial = path.with_suffix(".partial")
    rate = Fraction(spec.fps).limit_denominator(1001)
    middle = spec.frame_count // 2
    try:
        still = _encode_frames(spec, width, height, partial, rate, middle, cancel)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    return still


def _encode_frames(
    spec: RenderSpec,
    width: int,
    height: int,
    partial: Path,
    rate: Fraction,
    middle: int,
    cancel: threading.Event | None,
) -> av.VideoFrame:
    still: av.VideoFrame | None = None
    with av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        if spec.detail > 1:
            return _encode_scaled(spec, container, stream, middle, cancel)
        if spec.large:
            # Noise does not compress, so the size follows the pixel count predictably.
            stream.options = {"preset": "ultrafast", "qp": "10"}
        else:
            stream.options = {"preset": "veryfast", "crf": "26"}
            # One thread keeps small renders cheap on a shared machine; x264 is deterministic
            # either way, so identical specs still give identical bytes.
            stream.codec_context.thread_count = 1
        for index, pixels in enumerate(_frames(spec, width, height)):
            if cancel is not None and cancel.is_set():
                raise RenderCancelledError(spec.key)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            if index == middle:
                still = frame
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    assert still is not None
    return still


def _encode_scaled(
    spec: RenderSpec,
    container: av.container.OutputContainer,
    stream: av.VideoStream,
    middle: int,
    cancel: threading.Event | None,
) -> av.VideoFrame:
    """Encode frames drawn small and scaled up by swscale (the cheap path for HD sizes).

    Measured on one core: 1920x1080, 10 s at 8 fps in about a second, against about 14 s when
    every pixel is drawn with numpy and encoded with ``veryfast``.
    """
    width, height = stream.width, stream.height
    small_width = max(16, even(width / spec.detail))
    small_height = max(16, even(height / spec.detail))
    noise = _NoiseBand(spec, width, height) if spec.large else None
    if spec.large:
        # Noise in luma only, encoded near-lossless: the size follows the noisy pixel count.
        stream.options = {"preset": "ultrafast", "qp": "10"}
    else:
        # ultrafast: the picture is smooth and simple, quality is not worth the CPU.
        stream.options = {"preset": "ultrafast", "crf": "28"}
    # One thread: deterministic output, and fair to the other work on a shared machine.
    stream.codec_context.thread_count = 1
    still: av.VideoFrame | None = None
    # Noise drawn small would be smeared by the scaling: it is added at full size instead.
    picture = replace(spec, large=False)
    for index, pixels in enumerate(_frames(picture, small_width, small_height)):
        if cancel is not None and cancel.is_set():
            raise RenderCancelledError(spec.key)
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(
            width=width, height=height, format="yuv420p", interpolation="BILINEAR"
        )
        if noise is not None:
            frame = noise.apply(frame)
        if index == middle:
            still = frame
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    assert still is not None
    return still


class _NoiseBand:
    """Noise over the top rows of the luma plane, as many rows as make about 15 MB in all.

    A band rather than the whole frame, so the size can be aimed at while the frame keeps
    the exact size the dialect promised (720p, 1080p).
    """

    def __init__(self, spec: RenderSpec, width: int, height: int) -> None:
        per_frame = LARGE_TARGET_BYTES / _LARGE_BYTES_PER_LUMA_PIXEL / spec.frame_count
        self.rows = max(2, min(height, int(per_frame / width)))
        digest = hashlib.sha256(f"noise\x00{spec.content}\x00{spec.seed}".encode()).digest()
        self._rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))

    def apply(self, frame: av.VideoFrame) -> av.VideoFrame:
        planes: np.ndarray = np.asarray(frame.to_ndarray())  # yuv420p: the luma rows first
        band = planes[: self.rows]
        noise = self._rng.integers(0, 64, band.shape, dtype=np.uint8)
        planes[: self.rows] = (band & np.uint8(0xC0)) | noise
        return av.VideoFrame.from_ndarray(planes, format="yuv420p")


def _write_jpeg(frame: av.VideoFrame, path: Path) -> None:
    """Encode one frame as a baseline JPEG file."""
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width = frame.width
    codec.height = frame.height
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    packets = codec.encode(frame.reformat(format="yuvj420p"))
    packets += codec.encode(None)
    partial = path.with_suffix(".partial")
    partial.write_bytes(b"".join(bytes(packet) for packet in packets))
    os.replace(partial, path)


def _frames(spec: RenderSpec, width: int, height: int) -> Iterator[np.ndarray]:
    """Yield RGB frames: a drifting gradient with bouncing discs, all derived from the spec."""
    digest = hashlib.sha256(f"{spec.content}\x00{spec.seed}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ys /= height
    xs /= width
    start = np.array(list(digest[8:11]), dtype=np.float32)
    end = np.array(list(digest[11:14]), dtype=np.float32)
    angle = digest[14] / 255 * 2 * math.pi
    along = (xs * math.cos(angle) + ys * math.sin(angle)) % 1.0
    discs = [
        (
            rng.uniform(0.1, 0.9, 2),
            rng.uniform(-0.4, 0.4, 2),
            rng.uniform(0.08, 0.2),
            rng.integers(0, 256, 3).astype(np.uint8),
        )
        for _ in range(3)
    ]
    noise_rng = np.random.default_rng(int.from_bytes(digest[16:24], "big"))
    aspect = width / height
    speed = 0.5 + spec.motion / 2
    for index in range(spec.frame_count):
        t = index / spec.fps
        phase = (along + 0.08 * speed * t) % 1.0
        weight = np.abs(phase * 2 - 1)[..., None]
        frame = (start * weight + end * (1 - weight)).astype(np.uint8)
        for position, velocity, radius, colour in discs:
            centre = _bounce(position + velocity * speed * t)
            inside = ((xs - centre[0]) * aspect) ** 2 + (ys - centre[1]) ** 2 < radius**2
            frame[inside] = colour
        _overlay(spec, frame, xs, ys, t, digest)
        if spec.large:
            noise = noise_rng.integers(0, 64, frame.shape, dtype=np.uint8)
            frame = (frame & np.uint8(0xC0)) | noise
        yield frame


def _bounce(position: np.ndarray) -> np.ndarray:
    """Fold a position into 0..1 so discs bounce off the frame's edges."""
    folded = np.abs(position % 2.0)
    return np.where(folded > 1.0, 2.0 - folded, folded)


def _overlay(
    spec: RenderSpec, frame: np.ndarray, xs: np.ndarray, ys: np.ndarray, t: float, digest: bytes
) -> None:
    """Draw a mark that shows which edit produced the video."""
    if spec.overlay is None:
        return
    colour = np.array(list(digest[24:27]), dtype=np.uint8)
    if spec.overlay in ("inpaint", "outpaint") and spec.area is not None:
        x, y, w, h = (value / 100 for value in spec.area)
        inside = (xs >= x) & (xs < x + w) & (ys >= y) & (ys < y + h)
        checker = ((xs * 16).astype(int) + (ys * 16).astype(int) + int(t * 4)) % 2 == 0
        if spec.overlay == "inpaint":
            frame[inside & checker] = colour
        else:
            frame[~inside & checker] = colour
    elif spec.overlay == "lipsync":
        opening = 0.02 + 0.05 * abs(math.sin(t * 9))
        mouth = ((xs - 0.5) / 0.12) ** 2 + ((ys - 0.75) / opening) ** 2 < 1
        frame[mouth] = (200, 30, 60)
    elif spec.overlay == "additions":
        cx = 0.2 + 0.6 * ((t * 0.3) % 1.0)
        frame[(np.abs(xs - cx) < 0.08) & (np.abs(ys - 0.3) < 0.12)] = colour
    elif spec.overlay == "swap":
        frame[((xs - 0.5) ** 2 + (ys - 0.5) ** 2) < 0.04] = colour


def probe(source: Path | BinaryIO) -> VideoInfo:
    """Read an MP4's dimensions, frame rate and length, from a file or an open binary stream."""
    with av.open(str(source) if isinstance(source, Path) else source, "r") as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or 24
        fps = float(rate)
        if stream.frames and fps:
            seconds = stream.frames / fps
        elif container.duration:
            seconds = container.duration / av.time_base
        elif stream.duration and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
        else:
            seconds = 0.0
        return VideoInfo(stream.width, stream.height, fps, seconds)
