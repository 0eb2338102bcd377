"""What a file is, from its first bytes: its kind by signature, and its length from its header.

Pure functions on bytes, no I/O, so they can be tested on any buffer, truncated ones included.
Signatures come from the ``filetype`` library. The two length readers are written here because
they must work on a few kilobytes fetched with ranged reads, not on a whole seekable file (what
``wave`` and ``mutagen`` need), and ``wave`` refuses WAVE_FORMAT_EXTENSIBLE files on Python 3.11.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

import filetype


class Family(StrEnum):
    """The broad kind of a file, which decides which option it may be given to."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    OTHER = "other"


@dataclass(frozen=True)
class Identified:
    """What the first bytes say a file is."""

    family: Family | None
    """None when no signature matched (text, a cut-short file, an unknown format)."""
    mime: str | None
    iso_media: bool = False
    """The file starts with an ISO base media ``ftyp`` box (MP4, MOV, 3GP, HEIF...)."""


def identify(head: bytes) -> Identified:
    """Identify a file from its first bytes (a few KB are plenty)."""
    iso_media = len(head) >= 12 and head[4:8] == b"ftyp"
    guess = filetype.guess(head) if head else None
    if guess is None:
        # An ISO media file with a brand the library does not list is still a movie container;
        # whether it really holds a movie is decided by finding its ``mvhd`` box.
        return Identified(Family.VIDEO if iso_media else None, None, iso_media)
    mime = str(guess.mime)
    top = mime.split("/")[0]
    family = Family(top) if top in Family._value2member_map_ else Family.OTHER
    return Identified(family, mime, iso_media)


# -- WAV -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WavHeader:
    byte_rate: int
    data_offset: int
    """Where the samples start in the file."""
    data_size: int
    """The size the header declares for the samples (may exceed what the file holds)."""

    def seconds(self, file_size: int | None = None) -> float:
        """The clip's length; a cut-short file counts only the samples it has."""
        size = self.data_size
        if file_size is not None:
            size = min(size, max(0, file_size - self.data_offset))
        return size / self.byte_rate


def wav_header(head: bytes) -> WavHeader | None:
    """Read a RIFF/WAVE header's byte rate and data chunk; None when it is not a sound WAV."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    offset = 12
    byte_rate = 0
    while offset + 8 <= len(head):
        chunk, size = head[offset : offset + 4], struct.unpack_from("<I", head, offset + 4)[0]
        body = offset + 8
        if chunk == b"fmt " and body + 12 <= len(head):
            byte_rate = struct.unpack_from("<I", head, body + 8)[0]
        elif chunk == b"data":
            return WavHeader(byte_rate, body, size) if byte_rate > 0 else None
        offset = body + size + (size & 1)  # chunks are padded to an even size
    return None


# -- MP4 / MOV -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """One ISO media box: its four-letter type, where it starts, and its whole size."""

    kind: bytes
    start: int
    header: int
    size: int

    @property
    def end(self) -> int:
        return self.start + self.size


def box_at(data: bytes, position: int, absolute: int, file_size: int) -> Box | None:
    """Read the box header at ``data[position:]`` (which is at ``absolute`` in the file).

    None when the header is not all in ``data`` or is not a valid box.
    """
    if position + 8 > len(data):
        return None
    size, kind = struct.unpack_from(">I4s", data, position)
    header = 8
    if size == 1:  # a 64-bit size follows the type
        if position + 16 > len(data):
            return None
        size = struct.unpack_from(">Q", data, position + 8)[0]
        header = 16
    elif size == 0:  # the box runs to the end of the file
        size = file_size - absolute
    if size < header or not kind.isascii():
        return None
    return Box(kind, absolute, header, size)


def mvhd_seconds(moov: bytes) -> float | None:
    """The duration in a ``moov`` box's ``mvhd`` child, given the moov's payload bytes."""
    position = 0
    while True:
        box = box_at(moov, position, position, len(moov))
        if box is None:
            return None
        if box.kind == b"mvhd":
            payload = moov[position + box.header : position + box.size]
            if len(payload) < 20:
                return None
            if payload[0] == 1:  # version 1: 64-bit times
                if len(payload) < 32:
                    return None
                timescale, duration = struct.unpack_from(">IQ", payload, 20)
            else:
                timescale, duration = struct.unpack_from(">II", payload, 12)
            if timescale == 0:
                return None
            return float(duration) / float(timescale)
        position = box.end
