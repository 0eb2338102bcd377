"""The pieces under the new dialects: media sniffing, form parsing, signing, lanes, HD renders."""

from __future__ import annotations

import asyncio
import signal
import socket
import struct
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.pika.simulator import media
from bot.pika.simulator.jobs import JobTable, SimJob
from bot.pika.simulator.multipart import FormError, parse_form
from bot.pika.simulator.signing import WebhookSigner, signed_message, verify
from bot.pika.simulator.specs import hd_dimensions
from bot.pika.simulator.validation import Submission
from bot.pika.simulator.video import RenderSpec, render
from tests.pika.test_simulator_hd_support import DEV_AUTH, FAL_AUTH, FakeClock, image, mp4
from tests.pika.test_simulator_support import KEY, decode

REPO = Path(__file__).resolve().parents[2]


def test_image_kinds_and_sizes_come_from_the_bytes() -> None:
    assert media.image_size(image(320, 200)) == (320, 200)
    assert media.image_kind(image(64, 48, "mjpeg")) == "jpeg"
    assert media.image_size(image(64, 48, "mjpeg")) == (64, 48)
    gif = b"GIF89a" + struct.pack("<HH", 90, 160) + b"\x00" * 8
    assert (media.image_kind(gif), media.image_size(gif)) == ("gif", (90, 160))
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (299).to_bytes(3, "little")
    vp8x += (199).to_bytes(3, "little")
    assert (media.image_kind(vp8x), media.image_size(vp8x)) == ("webp", (300, 200))
    header_only = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 9, 16)
    assert media.image_size(header_only) == (9, 16)
    for junk in (b"", b"hello", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\x00"):
        assert media.image_size(junk) is None


def test_mp4s_are_recognised_and_probed(tmp_path: Path) -> None:
    data = mp4(tmp_path, 160, 96, 1.5)
    assert media.is_mp4(data) and not media.is_mp4(image(8, 8))
    info = media.probe_video(data)
    assert info is not None
    assert (info.width, info.height, info.fps, info.seconds) == (160, 96, 8.0, 1.5)
    assert media.probe_video(data[:32]) is None


def test_multipart_bodies_are_parsed_from_bytes() -> None:
    body = (
        b"preamble\r\n--B\r\n"
        b'Content-Disposition: form-data; name="promptText"\r\n\r\n'
        b"two\r\nlines\r\n--B\r\n"
        b'Content-Disposition: form-data; name="images"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
        b"\x89PNG\r\n--Bnot-a-boundary\r\n--B\r\n"
        b"Content-Disposition: form-data; name=\"images\"; filename*=UTF-8''%C3%A9.png\r\n\r\n"
        b"\r\n--B--\r\nepilogue"
    )
    form = parse_form('multipart/form-data; boundary="B"', body)
    assert form.fields == [("promptText", "two\r\nlines")]
    assert [(part.filename, part.content_type, part.data) for part in form.files] == [
        ("a.png", "image/png", b"\x89PNG\r\n--Bnot-a-boundary"),
        ("é.png", None, b""),
    ]
    assert form.form_record() == {"promptText": "two\r\nlines"}
    assert parse_form("application/x-www-form-urlencoded", b"a=1&b=&a=2").form_record() == {
        "a": ["1", "2"],
        "b": "",
    }
    assert parse_form("application/json", b'{"a": 1}').fields == []
    for broken in (b"no boundary here", b"--B\r\nno blank line\r\n--B--", b"--B\r\n\r\nno end"):
        with pytest.raises(FormError):
            parse_form("multipart/form-data; boundary=B", broken)
    with pytest.raises(FormError):
        parse_form("multipart/form-data", body)


def test_signatures_verify_only_for_the_signed_bytes_key_and_time() -> None:
    signer = WebhookSigner()
    body = b'{"request_id": "r1", "status": "OK"}'
    headers = signer.headers("r1", "user-1", body, timestamp=1_700_000_000)
    assert headers["X-Fal-Webhook-Timestamp"] == "1700000000"
    jwks = signer.jwks()
    assert verify(jwks, headers, body, now=1_700_000_100)
    lowered = {key.lower(): value for key, value in headers.items()}
    assert verify(jwks, lowered, body, now=1_700_000_100)
    assert not verify(jwks, headers, body + b" ", now=1_700_000_100)
    assert not verify(jwks, {**headers, "X-Fal-Webhook-User-Id": "user-2"}, body, now=1.7e9)
    assert not verify(jwks, headers, body, now=1_700_000_301)
    assert not verify(WebhookSigner().jwks(), headers, body, now=1_700_000_000)
    assert not verify(jwks, {**headers, "X-Fal-Webhook-Signature": "zz"}, body, now=1.7e9)
    # The signed message is the reference's four lines.
    digest = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"  # sha256(b"x")
    assert signed_message("r1", "u", "5", b"x") == f"r1\nu\n5\n{digest}".encode()


def lane_job(job_id: str, created: float, run: float = 4.0) -> SimJob:
    submission = Submission(dialect="fal", request_type="t", operation="generate")
    return SimJob(
        id=job_id,
        submission=submission,
        params={},
        created_at=created,
        created_wall=datetime.now(UTC),
        run_seconds=run,
        seed=1,
        lane="fal",
        fail_message="no render needed",  # lets the schedule ignore renders
    )


def test_a_lane_serves_first_come_first_served_within_its_slots() -> None:
    clock = FakeClock()
    table = JobTable(clock, lanes={"fal": 1})
    jobs = [lane_job(f"j{index}", 1000.0 + index) for index in range(3)]
    for job in jobs:
        table.add(job)
    # Picked up after 1 s, then 3 s of work each, one at a time.
    assert [(table.slot(job).start, table.slot(job).end) for job in jobs] == [
        (1001.0, 1004.0),
        (1004.0, 1007.0),
        (1007.0, 1010.0),
    ]
    clock.now = 1005.0
    assert [table.state(job).phase for job in jobs] == ["failed", "started", "queued"]
    assert table.queue_position(jobs[2]) == 0
    jobs[1].cancelled_at = 1005.5  # a running job stops where it is; the next moves up
    assert table.slot(jobs[2]).start == 1005.5
    assert table.finish_time(jobs[2]) == 1008.5
    unlimited = JobTable(clock, lanes={"fal": 0})
    for job in jobs:
        unlimited.add(job)
    assert unlimited.slot(jobs[2]).start == 1003.0


@pytest.mark.parametrize(
    ("ratio", "short", "size"),
    [
        (16 / 9, 720, (1280, 720)),
        (16 / 9, 1080, (1920, 1080)),
        (9 / 16, 1080, (1080, 1920)),
        (1.0, 720, (720, 720)),
        (2.5, 1080, (2700, 1080)),
        (0.4, 720, (720, 1800)),
        (4 / 5, 1080, (1080, 1350)),
    ],
)
def test_hd_sizes_keep_the_short_side(ratio: float, short: int, size: tuple[int, int]) -> None:
    assert hd_dimensions(ratio, short) == size


def test_a_1080p_ten_second_render_is_cheap_and_exact(tmp_path: Path) -> None:
    started = time.monotonic()
    result = render(RenderSpec(1920, 1080, 8.0, 10.0, "a fox", 1, detail=8), tmp_path)
    elapsed = time.monotonic() - started
    decoded = decode(result.video.read_bytes())
    assert (decoded.width, decoded.height, decoded.frames) == (1920, 1080, 80)
    assert decoded.seconds == pytest.approx(10.0, abs=1e-3)
    assert result.size < 2_000_000
    # About a second on one free core; generous, as the machine is shared.
    assert elapsed < 15, f"1080p x 10 s took {elapsed:.1f} s"


def test_large_hd_results_keep_their_size_and_pass_ten_mebibytes(tmp_path: Path) -> None:
    result = render(RenderSpec(1280, 720, 8.0, 5.0, "big", 1, large=True, detail=8), tmp_path)
    assert result.size > 10 * 1024 * 1024
    decoded = decode(result.video.read_bytes())
    assert (decoded.width, decoded.height, decoded.frames) == (1280, 720, 40)


async def test_cli_prints_the_new_bases_and_serves_them() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.pika.simulator",
        "--port",
        str(port),
        "--api-key",
        KEY,
        "--job-seconds",
        "0.1",
        "--fal-concurrency",
        "1",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = [
            (await asyncio.wait_for(process.stdout.readline(), timeout=30)).decode()
            for _ in range(7)
        ]
        base = f"http://127.0.0.1:{port}"
        assert f"pikadev base: {base}/pikadev " in banner[3]
        assert f"fal base:     {base}/fal " in banner[4]
        assert f"fal JWKS:     {base}/fal/.well-known/jwks.json" in banner[5]
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{base}/pikadev/generate/turbo/t2v", data={"promptText": "cli"}, headers=DEV_AUTH
            ) as response:
                assert response.status == 200
            async with session.post(
                f"{base}/fal/fal-ai/pika/v2.2/text-to-video",
                json={"prompt": "cli"},
                headers=FAL_AUTH,
            ) as response:
                assert (await response.json())["status"] == "IN_QUEUE"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
