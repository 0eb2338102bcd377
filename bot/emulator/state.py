"""The emulator's whole in-memory state, shared by the REST, gateway and control handlers."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from bot.emulator.clock import Clock, Snowflakes
from bot.emulator.commands import CommandStore
from bot.emulator.compose import Composer
from bot.emulator.config import EmulatorConfig
from bot.emulator.gateway import DIRECT_MESSAGES, Gateway
from bot.emulator.interactions import InteractionBook
from bot.emulator.messages import Message, MessageStore, render_message
from bot.emulator.ratelimit import Faults, RateLimiter
from bot.emulator.world import World, seed_extra_guilds, seed_world

API_PREFIX = "/api/v10"


class ControlError(Exception):
    """A control-API request that cannot be done; answered as ``{"error": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class EmulatorState:
    """Everything that exists on the emulated Discord."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = Clock()
        self.ids = Snowflakes(self.clock)
        self.world = World(self.ids, bot_name=config.bot_name)
        if config.seed_world:
            seed_world(self.world, guild_name=config.guild_name)
            if config.extra_guilds:
                seed_extra_guilds(self.world)
        self.messages = MessageStore()
        self.commands = CommandStore(self.world.application.id, self.ids.next)
        self.interactions = InteractionBook()
        self.ratelimits = RateLimiter(config.rate_limits, config.default_limit, config.default_per)
        self.faults = Faults()
        self.requests: list[dict[str, Any]] = []
        self._request_seq = 0
        self.base_url = "http://127.0.0.1:0"
        self.composer = Composer(self.messages, self.ids, self.clock, lambda: self.base_url)
        self.gateway = Gateway(self.world, config, lambda: self.ws_url("/gateway/resume"))
        self.traffic: list[dict[str, Any]] = []
        self.recording = config.record_traffic
        self.gateway.tap = self._record_dispatch

    # -- addresses ----------------------------------------------------------------------

    @property
    def public_url(self) -> str:
        """Return the base that absolute URLs (attachments) use."""
        return (self.config.public_url or self.base_url).rstrip("/")

    def ws_url(self, path: str = "/gateway") -> str:
        """Return the websocket address for ``path`` on this emulator."""
        base = self.public_url
        if base.startswith("https://"):
            return "wss://" + base.removeprefix("https://") + path
        return "ws://" + base.removeprefix("http://") + path

    # -- helpers ------------------------------------------------------------------------

    def new_token(self) -> str:
        """Return a fresh interaction token."""
        return "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)

    def guild_limit(self, guild_id: int | None) -> int:
        """Return the per-attachment upload limit of a guild (or the default)."""
        guild = self.world.guilds.get(guild_id) if guild_id is not None else None
        if guild is not None and guild.attachment_size_limit is not None:
            return guild.attachment_size_limit
        return self.config.attachment_size_limit

    def render(self, message: Message) -> dict[str, Any]:
        """Return Discord's JSON for a message."""
        return render_message(
            message, base_url=self.public_url, users=self.world.users, store=self.messages
        )

    def render_for_control(self, message: Message) -> dict[str, Any]:
        """Return a message with what only the control API shows: edits, audience, interaction."""
        data = self.render(message)
        data["edit_count"] = len(message.edits)
        data["edits"] = message.edits
        data["visible_to"] = str(message.visible_to) if message.visible_to else None
        data["interaction_id"] = str(message.interaction_id) if message.interaction_id else None
        data["loading"] = bool(message.flags & (1 << 7))
        return data

    def dispatch_message(self, event: str, message: Message) -> None:
        """Send MESSAGE_CREATE / MESSAGE_UPDATE for a message the bot can see.

        Nothing goes out for ephemeral messages, nor for channels the bot is not in (a
        server without the bot, a DM between users). DM messages need the DIRECT_MESSAGES
        intent and keep their content without MESSAGE_CONTENT, as Discord documents for
        DMs with the app (events/gateway.mdx, "Message Content Intent").
        """
        if message.ephemeral:
            return
        channel = self.world.channel_by_id(message.channel_id)
        if channel is None or not self.world.bot_can_see(channel):
            return
        data = self.render(message)
        if channel.private:
            self.gateway.dispatch(event, data, guild_id=None, intent=DIRECT_MESSAGES)
            return
        guild = self.world.guilds.get(message.guild_id) if message.guild_id else None
        if guild is not None and message.author_id in guild.members:
            data["member"] = self.world.member_json(
                guild, guild.members[message.author_id], with_user=False
            )
        foreign = message.author_id != self.world.bot_user.id
        self.gateway.dispatch(event, data, content_of_others=foreign)

    def dispatch_delete(self, message: Message) -> None:
        """Send MESSAGE_DELETE to the sessions that saw the message."""
        channel = self.world.channel_by_id(message.channel_id)
        if message.ephemeral or channel is None or not self.world.bot_can_see(channel):
            return
        data: dict[str, Any] = {"id": str(message.id), "channel_id": str(channel.id)}
        if channel.private:
            self.gateway.dispatch("MESSAGE_DELETE", data, guild_id=None, intent=DIRECT_MESSAGES)
        else:
            data["guild_id"] = str(channel.guild_id)
            self.gateway.dispatch("MESSAGE_DELETE", data)

    def _record_dispatch(self, event: str, data: dict[str, Any]) -> None:
        if self.recording:
            self.traffic.append({"kind": "gateway", "event": event, "data": copy.deepcopy(data)})

    def record_exchange(self, entry: dict[str, Any]) -> None:
        """Keep one REST request and its answer while recording is on."""
        if self.recording:
            self.traffic.append({"kind": "rest", **entry})

    def log_request(
        self, method: str, template: str | None, path: str, status: int, query: str
    ) -> None:
        """Remember one REST or CDN request for /_emulator/requests."""
        self._request_seq += 1
        self.requests.append(
            {
                "seq": self._request_seq,
                "method": method,
                "route": template,
                "path": path,
                "query": query,
                "status": status,
                "time": time.time(),
                "clock": self.clock.wall(),
            }
        )

    def reset(self, *, commands: bool = False) -> None:
        """Forget messages, interactions, requests, faults, buckets and the clock offset."""
        self.messages.clear()
        self.interactions.clear()
        self.requests.clear()
        self.faults.clear()
        self.ratelimits.clear()
        self.clock.reset()
        if commands:
            self.commands.clear()
