"""Check what members attach before anything is spent, by what the files are, not their names.

Two steps: ``media_input`` checks what the interaction itself says (the size Discord declared)
and needs no network; ``check_probed`` judges what the file's own bytes turned out to be
(``bot.media.probe``). Each refusal names the file and says what to change.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.domain.blocked import MAX_WORD_LENGTH
from bot.errors import BadInput, Number, Text
from bot.media.probe import Probe
from bot.media.sniff import Family

MIB = 1024 * 1024


@dataclass(frozen=True)
class MediaKind:
    noun: str
    family: Family
    mimes: frozenset[str]
    """The signatures Pika takes for this kind; None-mime ISO movies count as videos."""
    max_bytes: int
    wording: str
    """The message id of what it must be ("a PNG, JPEG, WebP or GIF image")."""
    noun_msgid: str
    """The message id of its name ("image")."""


IMAGE = MediaKind(
    "image",
    Family.IMAGE,
    frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"}),
    10 * MIB,
    "input.wording.image",
    "input.kind.image",
)
VIDEO = MediaKind(
    "video",
    Family.VIDEO,
    frozenset({"video/mp4", "video/quicktime"}),
    50 * MIB,
    "input.wording.video",
    "input.kind.video",
)
AUDIO = MediaKind(
    "audio",
    Family.AUDIO,
    frozenset({"audio/x-wav", "audio/wav"}),
    20 * MIB,
    "input.wording.audio",
    "input.kind.audio",
)

# How a refusal describes what a file really is, by its signature.
_WHAT_IT_IS = {
    "image/png": "input.is.png",
    "image/jpeg": "input.is.jpeg",
    "image/webp": "input.is.webp",
    "image/gif": "input.is.gif",
    "video/mp4": "input.is.mp4",
    "video/quicktime": "input.is.quicktime",
    "audio/x-wav": "input.is.wav",
    "audio/mpeg": "input.is.mp3",
    "application/pdf": "input.is.pdf",
    "application/zip": "input.is.zip",
}
_OTHER_FORMAT = {
    Family.IMAGE: "input.is.other_image",
    Family.VIDEO: "input.is.other_video",
    Family.AUDIO: "input.is.other_audio",
}


@dataclass(frozen=True)
class MediaInput:
    """One attachment given to one option, before its bytes have been looked at."""

    option: str
    filename: str
    url: str
    size: int
    kind: MediaKind


def media_input(attachment: discord.Attachment, kind: MediaKind, option: str) -> MediaInput:
    """Check the size Discord declared for the attachment; its content is checked later."""
    if attachment.size <= 0:
        raise BadInput("input.empty", file=attachment.filename, kind=Text(kind.noun_msgid))
    if attachment.size > kind.max_bytes:
        raise BadInput(
            "input.too_big",
            option=option,
            size=Number(attachment.size / MIB, 1),
            kind=Text(kind.noun_msgid),
            limit=Number(kind.max_bytes // MIB),
        )
    return MediaInput(option, attachment.filename, attachment.url, attachment.size, kind)


def unreadable(item: MediaInput) -> BadInput:
    """The refusal when the file's first bytes could not be fetched."""
    return BadInput("input.unreadable", file=item.filename)


def check_probed(item: MediaInput, probe: Probe) -> None:
    """Refuse a file whose bytes are not what its option needs (or are cut short)."""
    identified = probe.identified
    kind = item.kind
    right_kind = identified.mime in kind.mimes or (
        kind.family is Family.VIDEO and identified.mime is None and identified.iso_media
    )
    if not right_kind:
        what = _WHAT_IT_IS.get(identified.mime or "")
        if what is None and identified.family is not None:
            what = _OTHER_FORMAT.get(identified.family)
        raise BadInput(
            "input.wrong_kind.is" if what else "input.wrong_kind",
            file=item.filename,
            wording=Text(kind.wording),
            option=item.option,
            what=Text(what or ""),
        )
    if not probe.complete:
        raise BadInput("input.cut_short", file=item.filename, kind=Text(kind.noun_msgid))


def speech_window(
    audio: MediaInput,
    audio_seconds: float | None,
    video_seconds: float | None,
    start: float,
    end: float | None,
) -> tuple[float, float]:
    """Pick the part of the speech to use, refusing one that cannot fit the video.

    ``end`` defaults to the end of the speech, shortened to the video's length; an ``end``
    past the clip's own end is taken as its end.
    """
    if audio_seconds is not None and start >= audio_seconds:
        raise BadInput(
            "input.speech.start",
            file=audio.filename,
            length=Number(audio_seconds, 1),
            start=f"{start:g}",
        )
    if end is None:
        if audio_seconds is None:
            raise BadInput("input.speech.end")
        end = audio_seconds
        if video_seconds:
            end = min(end, start + video_seconds)
    if audio_seconds is not None:
        # The speech cannot run past its own end: what is asked beyond it is silence.
        end = min(end, audio_seconds)
    if video_seconds and end - start > video_seconds + 0.05:
        raise BadInput("input.speech.fit", speech=f"{end - start:g}", video=f"{video_seconds:g}")
    return start, round(end, 3)


def split_words(text: str) -> list[str]:
    """``"gore, blood bath ,x"`` -> ``["gore", "blood bath", "x"]``; refuses an empty list."""
    words = [part.strip() for part in text.split(",") if part.strip()]
    if not words:
        raise BadInput("blocked.give_words")
    too_long = [w for w in words if len(w) > MAX_WORD_LENGTH]
    if too_long:
        raise BadInput("blocked.too_long", limit=Number(MAX_WORD_LENGTH))
    return words
