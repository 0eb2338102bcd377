"""Learn the size and length of a source video the simulator did not produce."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from pathlib import Path

import aiohttp
import av

from bot.pika.simulator.video import VideoInfo, probe

log = logging.getLogger(__name__)


async def fetch_video_info(
    session: aiohttp.ClientSession,
    url: str,
    directory: Path,
    *,
    limit_seconds: float,
    max_bytes: int,
) -> VideoInfo | None:
    """Download ``url`` and probe it; None when that fails (the caller uses defaults)."""
    path = directory / (hashlib.sha256(url.encode()).hexdigest()[:24] + ".mp4")
    if not await asyncio.to_thread(_prepare, path):
        try:
            async with asyncio.timeout(limit_seconds):
                await _download(session, url, path, max_bytes=max_bytes)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as error:
            log.info("could not fetch source video %s: %s; using defaults", url, error)
            return None
    try:
        return await asyncio.to_thread(probe, path)
    except (av.FFmpegError, IndexError, OSError, ZeroDivisionError) as error:
        log.info("source video %s is not a readable video: %s; using defaults", url, error)
        return None


def _prepare(path: Path) -> bool:
    """Create the download directory; return whether the file was fetched before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.exists()


async def _download(
    session: aiohttp.ClientSession, url: str, path: Path, *, max_bytes: int
) -> None:
    partial = path.with_suffix(".partial")
    received = 0
    try:
        async with session.get(url) as response:
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            # Small chunks written straight away: a blocked loop for a few ms per chunk is
            # cheaper than a thread hop each time.
            with partial.open("wb") as file:
                async for chunk in response.content.iter_chunked(256 * 1024):
                    received += len(chunk)
                    if received > max_bytes:
                        raise ValueError(f"larger than {max_bytes} bytes")
                    file.write(chunk)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
