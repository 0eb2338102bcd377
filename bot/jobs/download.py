"""Fetch a finished video to disk in chunks, so memory never grows with the video's size."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

log = logging.getLogger(__name__)
CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class Downloaded:
    path: Path | None
    """The file, or None when the video is larger than allowed (nothing was kept)."""
    size: int


class DownloadError(Exception):
    """The result could not be fetched (network error or a non-200 answer)."""


async def download_to_file(
    session: aiohttp.ClientSession,
    url: str,
    *,
    max_bytes: int,
    timeout: float = 120.0,
    directory: Path | None = None,
) -> Downloaded:
    """Stream ``url`` into a temporary file; stop early once it exceeds ``max_bytes``."""
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            if response.status != 200:
                raise DownloadError(f"the video server answered {response.status}")
            declared = response.content_length
            if declared is not None and declared > max_bytes:
                return Downloaded(None, declared)
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below or on error
                prefix="pika-", suffix=".mp4", dir=directory, delete=False
            )
            path = Path(handle.name)
            size = 0
            try:
                with handle:
                    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                        size += len(chunk)
                        if size > max_bytes:
                            break
                        handle.write(chunk)
            except BaseException:
                path.unlink(missing_ok=True)  # noqa: ASYNC240 - a metadata call, not I/O-bound
                raise
            if size > max_bytes:
                path.unlink(missing_ok=True)  # noqa: ASYNC240 - a metadata call, not I/O-bound
                return Downloaded(None, max(size, declared or 0))
            return Downloaded(path, size)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DownloadError(f"could not download the video ({error.__class__.__name__})") from error


def discard(downloaded: Downloaded) -> None:
    if downloaded.path is not None:
        with contextlib.suppress(OSError):
            downloaded.path.unlink()
