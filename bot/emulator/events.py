"""A push channel for the playground page: server-sent events when messages change.

Messages are created, edited and deleted by many handlers (REST, interaction webhooks, the
control API). Rather than hook each of them, the hub compares what it last announced with the
message store after every request that may have changed something, and announces the
difference. Requests run one at a time between awaits, so nothing is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.emulator.messages import Message
from bot.emulator.state import EmulatorState

log = logging.getLogger(__name__)

EVENTS_PATH = "/_emulator/events"
KEEPALIVE_SECONDS = 15.0
QUEUE_LIMIT = 2000
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Event:
    """One announcement: an SSE event name and its JSON data."""

    name: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        """Return the event in the text/event-stream wire format."""
        body = json.dumps(self.data, separators=(",", ":"))
        return f"event: {self.name}\ndata: {body}\n\n".encode()


@dataclass(eq=False)
class _Subscriber:
    queue: asyncio.Queue[Event | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT)
    )


def _message_mark(message: Message) -> tuple[Any, ...]:
    """Return what changes whenever a user could see a message change."""
    # A followup that fills a "thinking" message clears the edit history but drops the
    # loading flag, so the flags are part of the mark too.
    return (len(message.edits), message.edited_at, message.flags, message.deleted)


def _interaction_mark(interaction: Any) -> tuple[Any, ...]:
    return (interaction.acknowledged, interaction.response_type, len(interaction.errors))


class MessageEvents:
    """Announce message, interaction, command and world changes to page subscribers."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._subscribers: set[_Subscriber] = set()
        self._messages: dict[int, tuple[Any, ...]] = {}
        self._interactions: dict[int, tuple[Any, ...]] = {}
        self._closed = False

    @property
    def subscribers(self) -> int:
        """Return how many pages listen."""
        return len(self._subscribers)

    # -- detecting changes --------------------------------------------------------------

    def _baseline(self) -> None:
        """Remember the present state, so only later changes are announced."""
        state = self._state
        self._messages = {i: _message_mark(m) for i, m in state.messages.messages.items()}
        self._interactions = {i: _interaction_mark(x) for i, x in state.interactions.by_id.items()}

    def scan(self, method: str = "POST", path: str = "") -> None:
        """Announce whatever changed since the last scan (cheap when nobody listens)."""
        if not self._subscribers:
            return
        self._scan_messages()
        self._scan_interactions()
        if method in _MUTATING and "/commands" in path:
            self._publish(Event("commands", {}))
        if method in _MUTATING and path.startswith(("/_emulator/world", "/_emulator/reset")):
            self._publish(Event("world", {}))

    def _scan_messages(self) -> None:
        state = self._state
        store = state.messages.messages
        for message_id in [i for i in self._messages if i not in store]:
            # Forgotten by a reset: the page must drop it too.
            del self._messages[message_id]
            self._publish(Event("message_delete", {"id": str(message_id), "channel_id": None}))
        for message_id, message in store.items():
            mark = _message_mark(message)
            previous = self._messages.get(message_id)
            if previous == mark:
                continue
            self._messages[message_id] = mark
            if message.deleted:
                if previous is not None and not previous[3]:
                    self._publish(
                        Event(
                            "message_delete",
                            {"id": str(message.id), "channel_id": str(message.channel_id)},
                        )
                    )
                continue
            data = {**state.render_for_control(message), "deleted": False}
            # The page shows messages as they are now; every past version would make each
            # update of a progress message longer than the last.
            data.pop("edits", None)
            self._publish(Event("message_create" if previous is None else "message_update", data))

    def _scan_interactions(self) -> None:
        book = self._state.interactions.by_id
        for interaction_id in [i for i in self._interactions if i not in book]:
            del self._interactions[interaction_id]
        for interaction_id, interaction in book.items():
            mark = _interaction_mark(interaction)
            if self._interactions.get(interaction_id) == mark:
                continue
            self._interactions[interaction_id] = mark
            self._publish(
                Event(
                    "interaction",
                    {
                        "id": str(interaction.id),
                        "type": interaction.type,
                        "user_id": str(interaction.user_id),
                        "acknowledged": interaction.acknowledged,
                        "response_type": interaction.response_type,
                        "has_modal": interaction.modal is not None,
                        "errors": len(interaction.errors),
                    },
                )
            )

    # -- subscribers --------------------------------------------------------------------

    def _publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber.queue.put_nowait(event)
            except asyncio.QueueFull:
                # A page that stopped reading is cut off; on reconnect it reloads everything.
                log.warning("Dropping a playground subscriber that fell behind")
                self._subscribers.discard(subscriber)
                with contextlib.suppress(asyncio.QueueEmpty):
                    subscriber.queue.get_nowait()
                subscriber.queue.put_nowait(None)

    def _subscribe(self) -> _Subscriber:
        if not self._subscribers:
            self._baseline()
        subscriber = _Subscriber()
        self._subscribers.add(subscriber)
        return subscriber

    async def close(self, app: web.Application | None = None) -> None:
        """End every stream (on shutdown, so the server can stop at once)."""
        self._closed = True
        for subscriber in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                subscriber.queue.put_nowait(None)
        self._subscribers.clear()

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """Serve ``GET /_emulator/events`` as text/event-stream until the page goes away."""
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        if self._closed:
            return response
        subscriber = self._subscribe()
        try:
            # The page loads the full state after this, so nothing before it is lost.
            await response.write(Event("hello", {}).encode())
            while True:
                try:
                    event = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                if event is None:
                    break
                await response.write(event.encode())
        except ConnectionResetError:
            log.debug("A playground page went away")
        finally:
            self._subscribers.discard(subscriber)
        return response

    def middleware(self) -> Any:
        """Return an aiohttp middleware that scans after every request that can change state."""

        @web.middleware
        async def scan_after(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.method not in _MUTATING:
                return await handler(request)
            try:
                return await handler(request)
            finally:
                self.scan(request.method, request.path)

        return scan_after
