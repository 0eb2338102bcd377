"""Look inside a file at a URL without downloading it: a few ranged reads, a few KB each.

An attachment on Discord's CDN can be tens of MB; the checks need its first bytes (its
signature and a WAV header) and, for a video, the ``mvhd`` box, which sits either near the start
or after the media data at the end. Top-level boxes are walked by their headers, so even a
large MP4 whose ``moov`` comes last costs three or four small reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from bot.media.sniff import Family, Identified, box_at, identify, mvhd_seconds, wav_header

HEAD_BYTES = 16 * 1024
MOOV_BYTES = 64 * 1024
MAX_READS = 6


class ProbeError(Exception):
    """The file's bytes could not be read (network error, or the server refused)."""


@dataclass(frozen=True)
class Probe:
    """What a file turned out to be."""

    identified: Identified
    seconds: float | None = None
    """The length of a WAV clip or an MP4/MOV movie; None when it could not be read."""
    complete: bool = True
    """False when the header shows the file is cut short or damaged (a video with no movie)."""

    @property
    def family(self) -> Family | None:
        return self.identified.family


class RangeReader:
    """Ranged GETs of one URL; a server that ignores ``Range`` is read only as far as needed."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str, size: int, timeout: float = 10.0
    ) -> None:
        self._session = session
        self._url = url
        self.size = size
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.reads = 0

    async def read(self, start: int, length: int) -> bytes:
        """Return up to ``length`` bytes from ``start`` (fewer at the end of the file)."""
        end = min(self.size, start + length) - 1
        if end < start:
            return b""
        self.reads += 1
        headers = {"Range": f"bytes={start}-{end}"}
        try:
            async with self._session.get(
                self._url, headers=headers, timeout=self._timeout
            ) as response:
                if response.status == 206:
                    return await _read_up_to(response.content, end - start + 1)
                if response.status != 200:
                    raise ProbeError(f"the file server answered HTTP {response.status}")
                # No range support: skip to ``start`` and stop reading once we have enough.
                await _read_up_to(response.content, start)
                return await _read_up_to(response.content, end - start + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ProbeError(f"could not read the file ({type(error).__name__})") from error


async def _read_up_to(content: aiohttp.StreamReader, length: int) -> bytes:
    """Read ``length`` bytes, or what there is before the end of the body."""
    parts: list[bytes] = []
    wanted = length
    while wanted > 0:
        part = await content.read(min(wanted, 64 * 1024))
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


async def probe_url(
    session: aiohttp.ClientSession, url: str, size: int, *, timeout: float = 10.0
) -> Probe:
    """Identify the file at ``url`` (``size`` bytes, as Discord declared it)."""
    reader = RangeReader(session, url, size, timeout)
    head = await reader.read(0, HEAD_BYTES)
    identified = identify(head)
    if identified.mime in ("audio/x-wav", "audio/wav"):
        header = wav_header(head)
        if header is None:
            return Probe(identified, None, complete=False)
        return Probe(identified, header.seconds(size))
    if identified.iso_media and identified.family is Family.VIDEO:
        seconds = await _movie_seconds(reader, head)
        return Probe(identified, seconds, complete=seconds is not None)
    return Probe(identified)


async def _movie_seconds(reader: RangeReader, head: bytes) -> float | None:
    """Find the top-level ``moov`` box by walking box headers and read its ``mvhd`` duration."""
    chunk, chunk_start = head, 0
    offset = 0
    while offset < reader.size and reader.reads <= MAX_READS:
        box = box_at(chunk, offset - chunk_start, offset, reader.size)
        if box is None:
            if chunk_start == offset:
                return None  # a box header that cannot be read where one must be: damaged
            chunk, chunk_start = await reader.read(offset, 16), offset
            continue
        if box.kind == b"moov":
            if box.end > reader.size:
                return None  # cut short: the movie's header is not all there
            wanted = min(box.size, MOOV_BYTES)
            inside = offset - chunk_start
            if chunk_start <= offset and inside + wanted <= len(chunk):
                moov = chunk[inside : inside + wanted]
            else:
                moov = await reader.read(offset, wanted)
            return mvhd_seconds(moov[box.header :])
        offset = box.end
    return None
