"""A tiny real HTTP server on 127.0.0.1 that records requests and answers from a script.

Shared by the Pika HTTP, webbot and feed tests (it holds no tests itself).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    """Return the parsed JSON fixture ``name``."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    """Close the connection without answering, after reading the request."""
    hang: bool = False
    """Never answer (until the server stops), so the client times out."""


class StubServer:
    """Answer each ``(method, path)`` from a queue of replies, then from its standing reply."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._queued: dict[tuple[str, str], deque[Reply]] = {}
        self._standing: dict[tuple[str, str], Reply] = {}
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def queue(self, method: str, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``method path`` with ``replies``, in order."""
        self._queued.setdefault((method, path), deque()).extend(replies)

    def always(self, method: str, path: str, reply: Reply) -> None:
        """Answer ``method path`` with ``reply`` once its queue is empty."""
        self._standing[(method, path)] = reply

    def requests_to(self, method: str, path: str) -> list[Seen]:
        return [seen for seen in self.seen if (seen.method, seen.path) == (method, path)]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        key = (request.method, request.path)
        self.seen.append(Seen(request.method, request.path, dict(request.headers), raw))
        queued = self._queued.get(key)
        if queued:
            reply = queued.popleft()
        elif key in self._standing:
            reply = self._standing[key]
        else:
            return web.json_response({"message": f"no route {key}"}, status=404)
        if reply.hang:
            await self._released.wait()
        if reply.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if reply.text is not None:
            return web.Response(status=reply.status, text=reply.text, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)


class Sleeps:
    """An async sleep that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
