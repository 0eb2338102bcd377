"""Read request bodies: JSON, or multipart with ``payload_json`` and ``files[n]``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from bot.emulator.errors import DiscordError, too_large

_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")
_CHUNK = 64 * 1024


@dataclass
class Upload:
    """One file part of a multipart request."""

    index: int
    field: str
    filename: str
    declared_type: str | None
    data: bytes


PAYLOAD_KEY: web.RequestKey[Any] = web.RequestKey("emulator.payload", object)


async def read_body(request: web.Request, max_size: int) -> tuple[Any, list[Upload]]:
    """Return (JSON payload or None, uploaded files); 413 over ``max_size`` bytes in all.

    The payload is also left on the request (``request[PAYLOAD_KEY]``) for the recorder.
    """
    if request.content_length is not None and request.content_length > max_size:
        raise too_large()
    if request.content_type == "multipart/form-data":
        payload, uploads = await _read_multipart(request, max_size)
        request[PAYLOAD_KEY] = payload
        return payload, uploads
    raw = await _read_limited(request, max_size)
    if not raw.strip():
        return None, []
    try:
        payload = json.loads(raw)
    except ValueError:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
    request[PAYLOAD_KEY] = payload
    return payload, []


async def _read_limited(request: web.Request, max_size: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await request.content.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_size:
            raise too_large()
        chunks.append(chunk)


async def _read_multipart(request: web.Request, max_size: int) -> tuple[Any, list[Upload]]:
    reader = await request.multipart()
    payload: Any = None
    uploads: list[Upload] = []
    total = 0
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            raise DiscordError(400, 50035, "Invalid Form Body")
        data = bytearray()
        while True:
            chunk = await part.read_chunk(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > max_size:
                raise too_large()
            data.extend(chunk)
        name = part.name or ""
        if name == "payload_json":
            try:
                payload = json.loads(bytes(data))
            except ValueError:
                raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None
            continue
        match = _FILE_FIELD.match(name)
        if match or part.filename is not None:
            index = int(match.group(1)) if match else len(uploads)
            uploads.append(
                Upload(
                    index=index,
                    field=name,
                    filename=part.filename or f"file{index}",
                    declared_type=part.headers.get("Content-Type"),
                    data=bytes(data),
                )
            )
    return payload, uploads
