"""The gateway websocket: HELLO, IDENTIFY/READY, heartbeats, RESUME with replay, dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.emulator.config import EmulatorConfig
from bot.emulator.world import World

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11
GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 1, 1 << 9, 1 << 15
DIRECT_MESSAGES = 1 << 12
PRIVILEGED_INTENTS = GUILD_MEMBERS | (1 << 8) | MESSAGE_CONTENT
# The intent a session needs to receive an event at all (others are always sent).
EVENT_INTENTS = {
    "GUILD_CREATE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
}
_CONTENT_FIELDS = ("content", "embeds", "attachments", "components")
# Close codes after which Discord forgets the session.
_FINAL_CLOSES = {1000, 1001}
# Events whose payload is the guild itself, so its ``id`` says which shard gets it.
_GUILD_EVENTS = {"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"}
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011


def shard_for(guild_id: int | None, shard_count: int) -> int:
    """Return the shard that receives a guild's events: ``(guild_id >> 22) % shard_count``.

    Events without a guild (DMs) go to shard 0, as Discord documents under "Sharding"
    (developers/events/gateway.mdx: "DMs will only be sent to shard 0").
    """
    if guild_id is None or shard_count <= 1:
        return 0
    return (guild_id >> 22) % shard_count


def parse_shard(value: Any) -> tuple[int, int] | None:
    """Return IDENTIFY's ``shard: [shard_id, shard_count]`` if valid, else None."""
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return None
    shard_id, shard_count = value
    if shard_count < 1 or not 0 <= shard_id < shard_count:
        return None
    return shard_id, shard_count


def _event_guild(event: str, data: dict[str, Any]) -> int | None:
    raw = data.get("id") if event in _GUILD_EVENTS else data.get("guild_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


class Connection:
    """One websocket; frames go out in order through a queue, zlib-stream compressed if asked."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, compress: str | None):
        self.ws = ws
        self.request = request
        self.compress = compress if compress == "zlib-stream" else None
        self._zlib = zlib.compressobj() if self.compress else None
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write(), name="emulator-gateway-writer")
        self.record: dict[str, Any] = {}
        self.closed_by_server = False

    def send(self, payload: dict[str, Any]) -> None:
        """Queue one gateway payload; frames keep the order of the calls."""
        self._outbox.put_nowait(payload)

    async def _write(self) -> None:
        while True:
            payload = await self._outbox.get()
            if payload is None:
                return
            text = json.dumps(payload, separators=(",", ":"))
            try:
                if self._zlib is not None:
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError) as exc:
                log.debug("gateway send failed, connection gone: %s", exc)
                return

    async def close(self, code: int) -> None:
        """Close the websocket with ``code`` after the queued frames are sent."""
        self.closed_by_server = True
        self._outbox.put_nowait(None)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._writer), timeout=2)
        await self.ws.close(code=code)

    def abort(self) -> None:
        """Cut the TCP connection without a close frame, like a network drop."""
        self.closed_by_server = True
        self._outbox.put_nowait(None)
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def finish(self) -> None:
        """Stop the writer once the socket is done."""
        self._outbox.put_nowait(None)
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(self._writer, timeout=2)


@dataclass
class Session:
    """A gateway session: its sequence, its buffered events and its current connection."""

    id: str
    token: str
    buffer: deque[dict[str, Any]]
    seq: int = 0
    connection: Connection | None = None
    disconnected_at: float | None = None
    invalid: bool = False
    intents: int = 0
    resumes: int = 0
    events: int = 0
    shard_id: int = 0
    shard_count: int = 1
    # Raised on IDENTIFY and RESUME: the most recently active session of a shard gets
    # INTERACTION_CREATE.
    activated: int = 0
    created_at: float = field(default_factory=time.time)
    # Called with every dispatch (the traffic recorder), if set.
    tap: Callable[[str, dict[str, Any]], None] | None = None

    def handles(self, guild_id: int | None) -> bool:
        """Return whether this session's shard receives events of ``guild_id``."""
        return shard_for(guild_id, self.shard_count) == self.shard_id

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Number the event, keep it for replay and send it if connected."""
        self.seq += 1
        self.events += 1
        payload = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append(payload)
        if self.tap is not None:
            self.tap(event, data)
        if self.connection is not None:
            self.connection.send(payload)


class Gateway:
    """All gateway sessions of the bot, and the websocket handler that serves them."""

    def __init__(self, world: World, config: EmulatorConfig, resume_url: Callable[[], str]) -> None:
        self._world = world
        self._config = config
        self._resume_url = resume_url
        self.sessions: dict[str, Session] = {}
        self.primary: Session | None = None
        self.connections: list[dict[str, Any]] = []
        self._live: set[Connection] = set()
        self.ready = asyncio.Event()
        self.identifies = 0
        self._activations = 0
        self.tap: Callable[[str, dict[str, Any]], None] | None = None
        # Cleared by the control API to hold new connections at the door, so a test can
        # make events pile up for a disconnected session deterministically.
        self.accepting = asyncio.Event()
        self.accepting.set()

    # -- dispatch -----------------------------------------------------------------------

    def alive(self) -> list[Session]:
        """Return sessions that are connected or may still resume."""
        now = time.monotonic()
        found = []
        for session in self.sessions.values():
            if session.invalid:
                continue
            expired = (
                session.connection is None
                and session.disconnected_at is not None
                and now - session.disconnected_at > self._config.resume_window
            )
            if expired:
                session.invalid = True
                continue
            found.append(session)
        return found

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        content_of_others: bool = False,
        guild_id: int | str | None = "auto",
        intent: int | None = None,
    ) -> int:
        """Send an event to every live session of the event's shard that asks for it.

        The shard comes from ``guild_id`` (read from the payload unless given; None for
        DM events, which go to shard 0; ``intent`` overrides the intent the event needs,
        e.g. DIRECT_MESSAGES for DM messages). ``content_of_others`` marks a message written by
        somebody else: sessions without the MESSAGE_CONTENT intent get it with content,
        embeds, files and components empty. Returns how many sessions got it.
        """
        target = _event_guild(event, data) if guild_id == "auto" else guild_id
        assert target is None or isinstance(target, int)
        sent = 0
        needed = EVENT_INTENTS.get(event, 0) if intent is None else intent
        for session in self.alive():
            if not session.handles(target):
                continue
            if needed and not session.intents & needed:
                continue
            if content_of_others and not session.intents & MESSAGE_CONTENT:
                session.dispatch(
                    event, {**data, **{k: "" if k == "content" else [] for k in _CONTENT_FIELDS}}
                )
            else:
                session.dispatch(event, data)
            sent += 1
        return sent

    def dispatch_interaction(self, data: dict[str, Any]) -> bool:
        """Send INTERACTION_CREATE to the one session Discord would pick.

        That is the most recently identified (or resumed) live session of the guild's
        shard (shard 0 for DMs); it may be disconnected but resumable, then it gets the
        event on RESUME.
        """
        guild_id = _event_guild("INTERACTION_CREATE", data)
        sessions = [s for s in self.alive() if s.handles(guild_id)]
        if not sessions:
            return False
        max(sessions, key=lambda s: s.activated).dispatch("INTERACTION_CREATE", data)
        return True

    def _activate(self, session: Session) -> None:
        self._activations += 1
        session.activated = self._activations
        self.primary = session

    def session_start_limit(self) -> dict[str, int]:
        """Return ``session_start_limit`` of ``GET /gateway/bot``: 1000 IDENTIFYs a day."""
        total = 1000
        return {
            "total": total,
            "remaining": max(total - self.identifies, 0),
            "reset_after": 86_400_000,
            "max_concurrency": 1,
        }

    # -- control ------------------------------------------------------------------------

    async def drop(self, *, mode: str = "close", code: int = 4000) -> int:
        """Break every live connection (``close`` with a code, ``abort``, or ``reconnect``)."""
        dropped = 0
        for connection in list(self._live):
            dropped += 1
            if mode == "abort":
                connection.abort()
            elif mode == "reconnect":
                connection.send({"op": RECONNECT, "d": None})
            else:
                await connection.close(code)
        return dropped

    async def invalidate(self) -> int:
        """Send INVALID_SESSION (not resumable) to every live connection."""
        count = 0
        for session in self.alive():
            session.invalid = True
            if session.connection is not None:
                session.connection.send({"op": INVALID_SESSION, "d": False})
                count += 1
        return count

    def hold(self, held: bool) -> None:
        """Hold new connections (True) until released (False)."""
        if held:
            self.accepting.clear()
        else:
            self.accepting.set()

    async def close_all(self) -> None:
        """Close every connection, for shutdown."""
        self.accepting.set()
        for connection in list(self._live):
            with contextlib.suppress(Exception):
                await connection.close(1001)

    def summary(self) -> dict[str, Any]:
        """Return sessions and connection history for the control API."""
        return {
            "primary": self.primary.id if self.primary else None,
            "holding": not self.accepting.is_set(),
            "sessions": [
                {
                    "session_id": s.id,
                    "connected": s.connection is not None,
                    "seq": s.seq,
                    "events": s.events,
                    "resumes": s.resumes,
                    "invalid": s.invalid,
                    "intents": s.intents,
                    "shard": [s.shard_id, s.shard_count],
                }
                for s in self.sessions.values()
            ],
            "connections": list(self.connections),
        }

    # -- websocket ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one gateway websocket connection."""
        await self.accepting.wait()
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        connection = Connection(ws, request, request.query.get("compress"))
        connection.record = {
            "path": request.path,
            "query": dict(request.query),
            "opened_at": time.time(),
            "kind": None,
            "session_id": None,
            "closed_at": None,
            "close_code": None,
        }
        self.connections.append(connection.record)
        self._live.add(connection)
        connection.send(
            {"op": HELLO, "d": {"heartbeat_interval": self._config.heartbeat_interval_ms}}
        )
        session: Session | None = None
        try:
            while True:
                message = await ws.receive()
                if message.type == WSMsgType.CLOSE:
                    connection.record["client_close_code"] = message.data
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                try:
                    payload = json.loads(message.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                session = await self._on_payload(connection, session, payload)
        finally:
            self._live.discard(connection)
            connection.record["closed_at"] = time.time()
            connection.record["close_code"] = ws.close_code
            await connection.finish()
            if session is not None and session.connection is connection:
                session.connection = None
                session.disconnected_at = time.monotonic()
                if ws.close_code in _FINAL_CLOSES and not connection.closed_by_server:
                    session.invalid = True
        return ws

    async def _on_payload(
        self, connection: Connection, session: Session | None, payload: dict[str, Any]
    ) -> Session | None:
        op = payload.get("op")
        data = payload.get("d")
        if op == HEARTBEAT:
            connection.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            if session is not None:
                await connection.close(4005)
                return session
            return await self._identify(connection, data or {})
        elif op == RESUME:
            return await self._resume(connection, data or {})
        elif op == REQUEST_MEMBERS:
            if session is None:
                await connection.close(4003)
            else:
                self._members_chunk(session, data or {})
        elif op in (PRESENCE, VOICE_STATE):
            pass
        else:
            await connection.close(4001)
        return session

    def _token_ok(self, token: Any) -> bool:
        if not isinstance(token, str) or not token:
            return False
        token = token.removeprefix("Bot ")
        return self._config.token is None or token == self._config.token

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        if not self._token_ok(data.get("token")):
            await connection.close(4004)
            return None
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS and not self._config.privileged_intents:
            await connection.close(4014)
            return None
        shard = (0, 1)
        if data.get("shard") is not None:
            parsed = parse_shard(data["shard"])
            if parsed is None:
                await connection.close(INVALID_SHARD)
                return None
            shard = parsed
        world = self._world
        guilds = [
            g
            for g in world.guilds.values()
            if world.bot_user.id in g.members and shard_for(g.id, shard[1]) == shard[0]
        ]
        if len(guilds) > self._config.max_guilds_per_shard:
            # Discord: "The session would have handled too many guilds".
            await connection.close(SHARDING_REQUIRED)
            return None
        session = Session(
            id=secrets.token_hex(16),
            token=data["token"],
            buffer=deque(maxlen=self._config.replay_buffer),
            intents=intents,
            shard_id=shard[0],
            shard_count=shard[1],
            tap=self.tap,
        )
        session.connection = connection
        self.sessions[session.id] = session
        self.identifies += 1
        self._activate(session)
        connection.record.update(kind="identify", session_id=session.id, shard=list(shard))
        ready: dict[str, Any] = {
            "v": 10,
            "user": {
                **world.bot_user.to_json(),
                "verified": True,
                "mfa_enabled": False,
                "email": None,
                "flags": 0,
                "locale": "en-US",
            },
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._resume_url(),
            "application": {"id": str(world.application.id), "flags": world.application.flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["discord-emulator"],
        }
        if data.get("shard") is not None:
            ready["shard"] = list(shard)
        session.dispatch("READY", ready)
        for guild in guilds:
            data = world.guild_create_json(guild)
            if not intents & GUILD_MEMBERS:
                # Without the members intent Discord sends only the bot's own member.
                own = str(world.bot_user.id)
                data["members"] = [m for m in data["members"] if m["user"]["id"] == own]
            session.dispatch("GUILD_CREATE", data)
        self.ready.set()
        log.info("gateway session %s identified (shard %s of %s)", session.id, *shard)
        return session

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        alive = self.alive()
        replay = []
        if session is not None and session in alive and self._token_ok(data.get("token")):
            replay = [p for p in session.buffer if p["s"] > seq]
            # A hole between the client's seq and the oldest kept event cannot be replayed.
            oldest = session.buffer[0]["s"] if session.buffer else session.seq + 1
            if seq + 1 < oldest and session.seq > seq:
                session = None
        else:
            session = None
        if session is None:
            connection.record.update(kind="resume-failed", session_id=data.get("session_id"))
            connection.send({"op": INVALID_SESSION, "d": False})
            return None
        previous = session.connection
        if previous is not None and previous is not connection:
            previous.abort()
        session.connection = connection
        session.disconnected_at = None
        session.resumes += 1
        self._activate(session)
        connection.record.update(kind="resume", session_id=session.id, replayed=len(replay))
        for payload in replay:
            connection.send(payload)
        session.dispatch("RESUMED", {"_trace": ["discord-emulator"]})
        log.info("gateway session %s resumed, %d events replayed", session.id, len(replay))
        return session

    def _members_chunk(self, session: Session, data: dict[str, Any]) -> None:
        world = self._world
        guild = world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None or not session.handles(guild.id):
            return
        members = list(guild.members.values())
        user_ids = data.get("user_ids")
        if user_ids:
            wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m.user_id in wanted]
        query = data.get("query")
        if query:
            members = [m for m in members if world.users[m.user_id].username.startswith(str(query))]
        limit = data.get("limit") or 0
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [world.member_json(guild, m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)
