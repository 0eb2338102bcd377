"""Check what users attach before anything is spent: kind and size, with a sentence to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import discord

from bot.errors import BadInput

MIB = 1024 * 1024


@dataclass(frozen=True)
class MediaKind:
    noun: str
    extensions: frozenset[str]
    content_types: frozenset[str]
    max_bytes: int
    wording: str


IMAGE = MediaKind(
    "image",
    frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif"}),
    frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"}),
    10 * MIB,
    "a PNG, JPEG, WebP or GIF image",
)
VIDEO = MediaKind("video", frozenset({".mp4"}), frozenset({"video/mp4"}), 50 * MIB, "an MP4 video")
AUDIO = MediaKind(
    "audio",
    frozenset({".wav"}),
    frozenset({"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}),
    20 * MIB,
    "a WAV audio file",
)


def _extension(filename: str) -> str:
    return PurePosixPath(filename.lower()).suffix


def attachment_url(attachment: discord.Attachment, kind: MediaKind, option: str) -> str:
    """Return the attachment's URL for Pika, or refuse it with what to change."""
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    if _extension(attachment.filename) not in kind.extensions or (
        content_type and content_type not in kind.content_types
    ):
        raise BadInput(f"`{option}` must be {kind.wording}; `{attachment.filename}` is not.")
    if attachment.size > kind.max_bytes:
        raise BadInput(
            f"`{option}` is {attachment.size / MIB:.1f} MB; {kind.noun} files can be at most "
            f"{kind.max_bytes // MIB} MB."
        )
    return attachment.url
