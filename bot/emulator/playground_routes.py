"""Serve the playground page (``/``, ``/playground/...``) and its push channel from the emulator."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aiohttp import web

from bot.emulator.events import EVENTS_PATH, MessageEvents
from bot.emulator.state import EmulatorState

PAGE_PREFIX = "/playground"
EVENTS_KEY = web.AppKey("playground_events", MessageEvents)


def static_dir() -> Path:
    """Return the folder holding the page's HTML, CSS and JavaScript."""
    return Path(str(resources.files("bot.playground.static")))


def is_page_path(path: str) -> bool:
    """Return whether a request is for the page itself (no bot token, not Discord's API)."""
    return path == "/" or path == PAGE_PREFIX or path.startswith(PAGE_PREFIX + "/")


async def _index(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(static_dir() / "index.html")
    # The page is tiny and changes with the code; never let a browser keep an old copy.
    response.headers["Cache-Control"] = "no-cache"
    return response


def install_playground(app: web.Application, state: EmulatorState) -> MessageEvents:
    """Add the page, ``GET /_emulator/events`` and the change-scanning middleware to ``app``."""
    events = MessageEvents(state)
    app[EVENTS_KEY] = events
    app.middlewares.append(events.middleware())
    app.on_shutdown.append(events.close)
    app.add_routes(
        [
            web.get("/", _index),
            web.get(PAGE_PREFIX, _index),
            web.get(PAGE_PREFIX + "/", _index),
            web.static(PAGE_PREFIX, static_dir(), append_version=False),
            web.get(EVENTS_PATH, events.stream),
        ]
    )
    return events
