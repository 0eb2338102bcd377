"""Responses in Discord's exact shape (``Content-Type: application/json``, no charset)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Return a JSON response whose Content-Type is exactly ``application/json``.

    discord.py parses a body as JSON only when the header is exactly that string, so
    aiohttp's ``json_response`` (which may append a charset) is not used.
    """
    response = web.Response(
        body=json.dumps(data, separators=(",", ":")).encode(),
        status=status,
        headers=headers,
    )
    response.headers["Content-Type"] = "application/json"
    return response


def no_content(headers: dict[str, str] | None = None) -> web.Response:
    """Return Discord's empty 204."""
    return web.Response(status=204, headers=headers)


def truthy(value: str | None) -> bool:
    """Read a query flag the way Discord does (``1``, ``true``, ``True``)."""
    return value is not None and value.lower() in ("1", "true", "yes")
