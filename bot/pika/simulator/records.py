"""The request log: what each request to an API route looked like, without its secrets."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from bot.pika.simulator.multipart import FormError, is_form, parse_form

SECRET_HEADERS = frozenset({"authorization", "x-api-key"})
"""Headers kept out of the log: they carry keys."""


@dataclass
class RecordedRequest:
    """One request the simulator received (control routes are not recorded)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """All headers except ``Authorization`` and ``X-API-KEY``."""
    json: Any
    """The body parsed as JSON, or None when it was empty or not JSON."""
    text: str
    """The body as text; empty for multipart bodies (see ``form`` and ``files``)."""
    time: float
    """Wall-clock time (``time.time()``) of arrival."""
    scope: str
    """``submit``, ``poll``, ``files`` or ``other``."""
    authorized: bool | None = None
    """Whether a configured key matched; None when no key is configured."""
    form: dict[str, str | list[str]] | None = None
    """Text fields of a form body (a list when a name repeats); None for other bodies."""
    files: list[dict[str, Any]] | None = None
    """File parts of a multipart body: name, filename, content_type and size, no bytes."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def record_of(request: web.Request, scope: str) -> RecordedRequest:
    """Read the request's body (aiohttp keeps it for the handler) and describe the request."""
    raw = await request.read() if request.can_read_body else b""
    content_type = request.headers.get("Content-Type", "")
    multipart = content_type.lower().startswith("multipart/")
    # Multipart bodies carry uploads: the log keeps their description, not their bytes.
    text = "" if multipart else raw.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    form = files = None
    if is_form(content_type):
        try:
            body = parse_form(content_type, raw)
        except FormError:
            pass  # the handler answers it; the log shows no form
        else:
            form = body.form_record()
            files = [part.describe() for part in body.files] if multipart else None
    return RecordedRequest(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers={k: v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS},
        json=parsed,
        text=text,
        time=time.time(),
        scope=scope,
        form=form,
        files=files,
    )
