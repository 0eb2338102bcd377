"""Files are judged by their own bytes, read with a few ranged requests from a real server."""

from __future__ import annotations

import io
import struct
import tempfile
import wave
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import av
import numpy as np
import pytest
from aiohttp import web

from bot.media.probe import ProbeError, probe_url
from bot.media.sniff import Family, identify, mvhd_seconds, wav_header


def png_bytes() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\xff\x00" * 2)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def mp4_bytes(seconds: float = 2.0, *, faststart: bool = False, fps: int = 10) -> bytes:
    """A real H.264 MP4; without faststart its moov box comes after the media data."""
    options = {"movflags": "+faststart"} if faststart else {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        _encode(path, seconds, fps, options)
        return path.read_bytes()


def _encode(path: Path, seconds: float, fps: int, options: dict[str, str]) -> None:
    with av.open(str(path), "w", format="mp4", options=options) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(int(seconds * fps)):
            image = np.full((48, 64, 3), index * 7 % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def wav_bytes(seconds: float = 1.5, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x01\x00" * int(seconds * rate))
    return buffer.getvalue()


def extensible_wav(seconds: float = 2.0) -> bytes:
    """A WAVE_FORMAT_EXTENSIBLE file with a LIST chunk before the samples."""
    rate, channels, width = 16000, 2, 3
    byte_rate = rate * channels * width
    fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, byte_rate, channels * width, 24)
    fmt += struct.pack("<HHI16s", 22, 24, 3, b"\x01\x00\x00\x00\x00\x00\x10\x00" + b"\x80" * 8)
    info = b"INFOISFT" + struct.pack("<I", 5) + b"test\x00\x00"
    data = b"\x00" * int(byte_rate * seconds)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"LIST" + struct.pack("<I", len(info)) + info + b"data" + struct.pack("<I", len(data))
    return b"RIFF" + struct.pack("<I", len(body) + len(data)) + body + data


class FileServer:
    """Serves named byte strings; optionally ignores Range like a plain static server."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.ranges: list[str | None] = []
        self.honour_ranges = True

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        data = self.files[name]
        self.ranges.append(request.headers.get("Range"))
        if not self.honour_ranges or "Range" not in request.headers:
            return web.Response(body=data)
        start, stop, _ = request.http_range.indices(len(data))
        return web.Response(
            status=206,
            body=data[start:stop],
            headers={"Content-Range": f"bytes {start}-{stop - 1}/{len(data)}"},
        )


@pytest.fixture
async def served() -> AsyncIterator[tuple[FileServer, str, aiohttp.ClientSession]]:
    server = FileServer({})
    app = web.Application()
    app.router.add_get("/f/{name}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        yield server, f"http://127.0.0.1:{port}/f", session
    await runner.cleanup()


async def _probe(served, name: str, data: bytes):
    server, base, session = served
    server.files[name] = data
    return await probe_url(session, f"{base}/{name}", len(data))


def test_signatures_identify_the_kinds_pika_takes():
    assert identify(png_bytes()).mime == "image/png"
    assert identify(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 20).mime == "image/jpeg"
    assert identify(b"GIF89a" + b"\0" * 20).mime == "image/gif"
    assert identify(b"RIFF\x24\0\0\0WEBPVP8 " + b"\0" * 20).mime == "image/webp"
    assert identify(mp4_bytes()[:4096]).family is Family.VIDEO
    assert identify(wav_bytes()[:64]).mime == "audio/x-wav"
    text = identify(b"this is only text, not a video\n" * 10)
    assert text.family is None and not text.iso_media
    # An ISO media brand the library does not list still counts as a movie container.
    unknown_brand = identify(b"\0\0\0\x18ftypiso5\0\0\x02\0iso5iso6" + b"\0" * 20)
    assert unknown_brand.family is Family.VIDEO and unknown_brand.iso_media


def test_truncated_signatures_identify_nothing():
    assert identify(png_bytes()[:2]).family is None
    assert identify(b"\xff\xd8").family is None
    assert identify(b"").family is None
    assert wav_header(wav_bytes()[:20]) is None  # cut inside the header


def test_wav_lengths_come_from_the_header():
    assert wav_header(wav_bytes(1.5)).seconds() == pytest.approx(1.5)
    assert wav_header(extensible_wav(2.0)).seconds() == pytest.approx(2.0)
    # A file cut short counts only the samples it has.
    cut = wav_bytes(2.0)[:8044]
    assert wav_header(cut).seconds(len(cut)) == pytest.approx(0.5)


def test_mvhd_versions_are_read():
    version0 = struct.pack(">I4sB3xIIII", 108, b"mvhd", 0, 0, 0, 600, 1500) + b"\0" * 80
    assert mvhd_seconds(version0) == pytest.approx(2.5)
    version1 = struct.pack(">I4sB3xQQIQ", 120, b"mvhd", 1, 0, 0, 1000, 4000) + b"\0" * 80
    assert mvhd_seconds(version1) == pytest.approx(4.0)
    assert mvhd_seconds(b"\0\0\0\x10free" + b"\0" * 8) is None


@pytest.mark.parametrize("faststart", [True, False])
async def test_a_video_length_is_found_wherever_the_moov_is(served, faststart):
    data = mp4_bytes(3.0, faststart=faststart)
    # Pad the media so a moov at the end is well past the first read.
    probe = await _probe(served, "clip.mp4", data)
    assert probe.family is Family.VIDEO and probe.complete
    assert probe.seconds == pytest.approx(3.0, abs=0.15)
    server = served[0]
    assert all(r and r.startswith("bytes=") for r in server.ranges)
    assert len(server.ranges) <= 4


async def test_a_large_video_is_read_in_a_few_small_ranges(served):
    data = mp4_bytes(2.0)
    # Grow the mdat in front of the moov (as a long video would) without touching its header:
    # a free box after ftyp moves the moov 2 MB further.
    ftyp_size = struct.unpack(">I", data[:4])[0]
    padded = data[:ftyp_size] + struct.pack(">I4s", 2_000_008, b"free") + b"\0" * 2_000_000
    padded += data[ftyp_size:]
    # The mp4 chunk offsets now point elsewhere, but the header walk does not need them.
    probe = await _probe(served, "long.mp4", padded)
    assert probe.seconds == pytest.approx(2.0, abs=0.15)
    assert len(served[0].ranges) <= 4


async def test_a_truncated_video_is_incomplete(served):
    data = mp4_bytes(2.0)  # moov at the end
    probe = await _probe(served, "cut.mp4", data[: len(data) // 2])
    assert probe.family is Family.VIDEO and not probe.complete and probe.seconds is None


async def test_text_renamed_mp4_is_not_a_video(served):
    probe = await _probe(served, "fake.mp4", b"hello, this is a text file\n" * 40)
    assert probe.family is None


async def test_wav_probe_gives_its_length(served):
    probe = await _probe(served, "speech.wav", extensible_wav(1.25))
    assert probe.identified.mime == "audio/x-wav" and probe.seconds == pytest.approx(1.25)


async def test_a_server_that_ignores_ranges_is_read_only_as_far_as_needed(served):
    served[0].honour_ranges = False
    probe = await _probe(served, "clip.mp4", mp4_bytes(2.0, faststart=True))
    assert probe.seconds == pytest.approx(2.0, abs=0.15)


async def test_unreadable_files_raise_probe_error(served):
    _server, base, session = served
    with pytest.raises(ProbeError):
        await probe_url(session, f"{base}/missing.png", 100)
    with pytest.raises(ProbeError):
        await probe_url(session, "http://127.0.0.1:9/nothing-listens-here.png", 100, timeout=2)
