"""What each route is: whose dialect, which fault scope, how its key is sent, its error shape."""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.pika.simulator import fal, pikadev, shapes

ROUTE_SCOPES = {
    "webbot.generate": "submit",
    "webbot.lipsync": "submit",
    "webbot.adjust": "submit",
    "webbot.extend": "submit",
    "webbot.upscale": "submit",
    "webbot.job": "poll",
    "webbot.upscaled": "poll",
    "feed.generate": "submit",
    "feed.job": "poll",
    "files": "files",
}
PUBLIC_ROUTES = frozenset({"files", *fal.PUBLIC_ROUTES})
"""Routes that need no key (result files are public, like a CDN's; so are fal's keys)."""
_AUTH_HINTS = {
    pikadev.DIALECT: "Missing or invalid API key (X-API-KEY: <key>)",
    fal.DIALECT: "Missing or invalid credentials (Authorization: Key <key>)",
}
_BEARER_HINT = "Missing or invalid API key (Authorization: Bearer <key>)"


def dialect_of(route_name: str, path: str) -> str:
    """Return whose route this is: webbot, feed, pikadev, fal, or ``files``/``other``."""
    prefix = route_name.split(".", 1)[0]
    if prefix in ("webbot", "feed", pikadev.DIALECT, fal.DIALECT, "files"):
        return prefix
    # Unknown paths under a dialect's mount answer in that dialect's shape.
    if path.startswith(pikadev.PREFIX + "/"):
        return pikadev.DIALECT
    if path.startswith(fal.PREFIX + "/"):
        return fal.DIALECT
    return "other"


def scope_of(route_name: str) -> str:
    """Return the fault scope of a route: submit, poll, files or other."""
    if route_name in ROUTE_SCOPES:
        return ROUTE_SCOPES[route_name]
    if route_name.startswith("pikadev."):
        return pikadev.scope(route_name)
    if route_name.startswith("fal."):
        return fal.scope(route_name)
    return "other"


def authorized(request: web.Request, dialect: str, key: str) -> bool:
    """Check the dialect's way of sending the key: X-API-KEY, ``Key <key>`` or Bearer."""
    if dialect == pikadev.DIALECT:
        token = request.headers.get("X-API-KEY", "")
    else:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != ("key" if dialect == fal.DIALECT else "bearer"):
            return False
    return hmac.compare_digest(token.strip().encode(), key.encode())


def unauthorized(dialect: str) -> web.Response:
    """Answer 401, saying how this dialect expects its key (never what was sent)."""
    return error(dialect, 401, _AUTH_HINTS.get(dialect, _BEARER_HINT), "unauthorized")


def error(
    dialect: str,
    status: int,
    message: str,
    code: str,
    *,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """Answer an error in the dialect's shape: FastAPI's ``detail`` or ``{message, error}``."""
    if dialect == pikadev.DIALECT:
        return web.json_response({"detail": message}, status=status, headers=headers)
    if dialect == fal.DIALECT:
        # fal's infrastructure errors: a detail, a category, and the category as a header.
        headers = {**(headers or {}), "X-Fal-Error-Type": code}
        body = {"detail": message, "error_type": code}
        return web.json_response(body, status=status, headers=headers)
    return web.json_response(shapes.error_body(message, code), status=status, headers=headers)
