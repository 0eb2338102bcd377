"""Recognise uploaded media by their bytes: image kind and size, MP4 or not, a video's shape.

Uploads are judged by their content, never by their file name or declared content type: a
client that labels a JPEG ``image/png`` still sent an image, and one that sends a text file
named ``cat.png`` did not.
"""

from __future__ import annotations

import io
import struct

import av

from bot.pika.simulator.video import VideoInfo, probe

IMAGE_KINDS = ("png", "jpeg", "webp", "gif")
_JPEG_SIZE_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
"""SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) do not."""


def image_kind(data: bytes) -> str | None:
    """Return ``png``, ``jpeg``, ``webp`` or ``gif`` when the magic bytes say so."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def is_mp4(data: bytes) -> bool:
    """Return whether ``data`` starts like an ISO media file (MP4/MOV: a leading ``ftyp`` box)."""
    return len(data) >= 12 and data[4:8] == b"ftyp"


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) read from the image's header, or None when it cannot be read.

    Header parsing only, no decoding: cheap enough to run in a request handler, and it works
    on the minimal hand-made images tests like to send.
    """
    try:
        kind = image_kind(data)
        if kind == "png" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
        elif kind == "gif":
            width, height = struct.unpack("<HH", data[6:10])
        elif kind == "webp":
            return _webp_size(data)
        elif kind == "jpeg":
            return _jpeg_size(data)
        else:
            return None
    except struct.error:
        return None
    return (width, height) if width > 0 and height > 0 else None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _JPEG_SIZE_MARKERS:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return (width, height) if width and height else None
        position += 2 + length
    return None


def probe_video(data: bytes) -> VideoInfo | None:
    """Return an uploaded MP4's shape and length, or None when it is not a readable video.

    CPU-bound (the container is parsed): run it in a worker thread.
    """
    try:
        info = probe(io.BytesIO(data))
    except (av.FFmpegError, IndexError, OSError, ZeroDivisionError, ValueError):
        return None
    if info.width <= 0 or info.height <= 0:
        return None
    return info
