"""Check what members attach before anything is spent, by what the files are, not their names.

Two steps: ``media_input`` checks what the interaction itself says (the size Discord declared)
and needs no network; ``check_probed`` judges what the file's own bytes turned out to be
(``bot.media.probe``). Each refusal names the file and says what to change.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.domain.blocked import MAX_WORD_LENGTH
from bot.errors import BadInput
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


IMAGE = MediaKind(
    "image",
    Family.IMAGE,
    frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"}),
    10 * MIB,
    "a PNG, JPEG, WebP or GIF image",
)
VIDEO = MediaKind(
    "video", Family.VIDEO, frozenset({"video/mp4", "video/quicktime"}), 50 * MIB, "an MP4 video"
)
AUDIO = MediaKind(
    "audio", Family.AUDIO, frozenset({"audio/x-wav", "audio/wav"}), 20 * MIB, "a WAV audio file"
)

# How a refusal describes what a file really is, by its signature.
_WHAT_IT_IS = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/webp": "a WebP image",
    "image/gif": "a GIF image",
    "video/mp4": "an MP4 video",
    "video/quicktime": "a QuickTime video",
    "audio/x-wav": "WAV audio",
    "audio/mpeg": "MP3 audio",
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
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
        raise BadInput(f"`{attachment.filename}` is empty (0 bytes); attach the {kind.noun} again.")
    if attachment.size > kind.max_bytes:
        raise BadInput(
            f"`{option}` is {attachment.size / MIB:.1f} MB; {kind.noun} files can be at most "
            f"{kind.max_bytes // MIB} MB."
        )
    return MediaInput(option, attachment.filename, attachment.url, attachment.size, kind)


def unreadable(item: MediaInput) -> BadInput:
    """The refusal when the file's first bytes could not be fetched."""
    return BadInput(
        f"Couldn't read `{item.filename}` from Discord, so nothing was made; attach it again."
    )


def check_probed(item: MediaInput, probe: Probe) -> None:
    """Refuse a file whose bytes are not what its option needs (or are cut short)."""
    identified = probe.identified
    kind = item.kind
    right_kind = identified.mime in kind.mimes or (
        kind.family is Family.VIDEO and identified.mime is None and identified.iso_media
    )
    if not right_kind:
        what = _WHAT_IT_IS.get(identified.mime or "")
        if what is None and identified.family in (Family.IMAGE, Family.VIDEO, Family.AUDIO):
            what = f"{identified.family.value} of another format"
        aside = f" (it is {what})" if what else ""
        raise BadInput(
            f"`{item.filename}` is not {kind.wording}{aside}; `{item.option}` must be "
            f"{kind.wording}."
        )
    if not probe.complete:
        raise BadInput(
            f"`{item.filename}` is cut short or damaged (its {kind.noun} header can't be read); "
            "export it again and attach the new file."
        )


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
            f"`{audio.filename}` is {audio_seconds:.1f}s long; `start` ({start:g}s) must be "
            "before its end."
        )
    if end is None:
        if audio_seconds is None:
            raise BadInput("Give `end`: where the speech ends, in seconds.")
        end = audio_seconds
        if video_seconds:
            end = min(end, start + video_seconds)
    if audio_seconds is not None:
        # The speech cannot run past its own end: what is asked beyond it is silence.
        end = min(end, audio_seconds)
    if video_seconds and end - start > video_seconds + 0.05:
        raise BadInput(
            f"The speech ({end - start:g}s) must fit in the video ({video_seconds:g}s): "
            "make `end` - `start` shorter."
        )
    return start, round(end, 3)


def split_words(text: str) -> list[str]:
    """``"gore, blood bath ,x"`` -> ``["gore", "blood bath", "x"]``; refuses an empty list."""
    words = [part.strip() for part in text.split(",") if part.strip()]
    if not words:
        raise BadInput("Give at least one word or phrase (separate several with commas).")
    too_long = [w for w in words if len(w) > MAX_WORD_LENGTH]
    if too_long:
        raise BadInput(f"A blocked word or phrase can be at most {MAX_WORD_LENGTH} characters.")
    return words
