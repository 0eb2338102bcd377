"""REST routes a bot calls with its token: identity, commands, channels, messages, guilds, CDN."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from bot.emulator.bodies import read_body
from bot.emulator.errors import (
    DiscordError,
    FormErrors,
    cannot_edit_foreign,
    unknown_channel,
    unknown_guild,
    unknown_message,
)
from bot.emulator.messages import Message
from bot.emulator.respond import json_response, no_content
from bot.emulator.state import EmulatorState
from bot.emulator.world import Channel, Guild

APP_COMMANDS = "/applications/{application_id}/commands"
GUILD_COMMANDS = "/applications/{application_id}/guilds/{guild_id}/commands"
CHANNEL_MESSAGES = "/channels/{channel_id}/messages"
CHANNEL_MESSAGE = "/channels/{channel_id}/messages/{message_id}"


class RestRoutes:
    """Handlers for the bot-authenticated part of the API."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """Return the aiohttp routes under ``prefix`` (the API base path)."""
        p = prefix
        return [
            web.get(p + "/users/@me", self.me),
            web.get(p + "/users/{user_id}", self.user),
            web.post(p + "/users/@me/channels", self.create_dm),
            web.get(p + "/oauth2/applications/@me", self.application),
            web.get(p + "/applications/@me", self.application),
            web.get(p + "/gateway", self.gateway),
            web.get(p + "/gateway/bot", self.gateway_bot),
            web.get(p + APP_COMMANDS, self.list_commands),
            web.put(p + APP_COMMANDS, self.overwrite_commands),
            web.post(p + APP_COMMANDS, self.upsert_command),
            web.get(p + APP_COMMANDS + "/{command_id}", self.get_command),
            web.delete(p + APP_COMMANDS + "/{command_id}", self.delete_command),
            web.get(p + GUILD_COMMANDS, self.list_commands),
            web.put(p + GUILD_COMMANDS, self.overwrite_commands),
            web.post(p + GUILD_COMMANDS, self.upsert_command),
            web.get(p + GUILD_COMMANDS + "/{command_id}", self.get_command),
            web.delete(p + GUILD_COMMANDS + "/{command_id}", self.delete_command),
            web.get(p + "/channels/{channel_id}", self.channel),
            web.post(p + "/channels/{channel_id}/typing", self.typing),
            web.get(p + CHANNEL_MESSAGES, self.list_messages),
            web.post(p + CHANNEL_MESSAGES, self.create_message),
            web.get(p + CHANNEL_MESSAGE, self.get_message),
            web.patch(p + CHANNEL_MESSAGE, self.edit_message),
            web.delete(p + CHANNEL_MESSAGE, self.delete_message),
            web.get(p + "/guilds/{guild_id}", self.guild),
            web.get(p + "/guilds/{guild_id}/channels", self.guild_channels),
            web.get(p + "/guilds/{guild_id}/roles", self.guild_roles),
            web.get(p + "/guilds/{guild_id}/members", self.guild_members),
            web.get(p + "/guilds/{guild_id}/members/{user_id}", self.guild_member),
        ]

    # -- identity -----------------------------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        """Return the bot user (``static_login`` calls this first)."""
        user = self._state.world.bot_user.to_json()
        user.update(verified=True, mfa_enabled=False, email=None, flags=0, bio="", locale="en-US")
        return json_response(user)

    async def user(self, request: web.Request) -> web.Response:
        """Return any user by id."""
        user = self._state.world.users.get(_int(request, "user_id"))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return json_response(user.to_json())

    async def application(self, request: web.Request) -> web.Response:
        """Return the application, whose ``owner`` is the guild owner."""
        return json_response(self._state.world.application_json())

    async def gateway(self, request: web.Request) -> web.Response:
        """Return the gateway address (``GET /gateway``, no authentication needed)."""
        return json_response({"url": self._state.ws_url()})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        """Return the gateway address with sharding advice (what AutoShardedClient asks).

        Discord recommends a shard count for the bot's guild count; its docs (events/gateway,
        "Sharding") require a shard per 2500 guilds at most and the recommendation is about
        one per 1000. ``config.recommended_shards`` overrides it for tests.
        """
        state = self._state
        world = state.world
        guilds = sum(1 for g in world.guilds.values() if world.bot_user.id in g.members)
        shards = state.config.recommended_shards or max(1, math.ceil(guilds / 1000))
        return json_response(
            {
                "url": state.ws_url(),
                "shards": shards,
                "session_start_limit": state.gateway.session_start_limit(),
            }
        )

    # -- commands -----------------------------------------------------------------------

    def _scope(self, request: web.Request) -> int | None:
        if _int(request, "application_id") != self._state.world.application.id:
            raise DiscordError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild_id = _int(request, "guild_id")
        guild = self._state.world.guilds.get(guild_id)
        if guild is None or self._state.world.bot_user.id not in guild.members:
            raise DiscordError(403, 50001, "Missing Access")
        return guild_id

    async def list_commands(self, request: web.Request) -> web.Response:
        """Return a scope's commands."""
        return json_response(self._state.commands.list(self._scope(request)))

    async def overwrite_commands(self, request: web.Request) -> web.Response:
        """Replace a scope's commands (what ``tree.sync()`` does)."""
        scope = self._scope(request)
        payload, _ = await read_body(request, self._state.config.max_request_size)
        return json_response(self._state.commands.overwrite(payload, scope))

    async def upsert_command(self, request: web.Request) -> web.Response:
        """Create or replace one command."""
        scope = self._scope(request)
        payload, _ = await read_body(request, self._state.config.max_request_size)
        command, created = self._state.commands.upsert(payload, scope)
        return json_response(command, status=201 if created else 200)

    async def get_command(self, request: web.Request) -> web.Response:
        """Return one command."""
        scope = self._scope(request)
        return json_response(self._state.commands.get(_int(request, "command_id"), scope))

    async def delete_command(self, request: web.Request) -> web.Response:
        """Delete one command."""
        scope = self._scope(request)
        self._state.commands.delete(_int(request, "command_id"), scope)
        return no_content()

    # -- channels and messages ----------------------------------------------------------

    def _channel(self, request: web.Request) -> Channel:
        """Return the channel of the path, as far as the bot may reach it.

        A channel that exists but the bot is not in (a server without the bot, a DM between
        users) answers 403 50001 Missing Access, as Discord does for channels a bot cannot
        view; an id that is no channel answers 404 10003.
        """
        world = self._state.world
        channel = world.channel_by_id(_int(request, "channel_id"))
        if channel is None:
            raise unknown_channel()
        if not world.bot_can_see(channel):
            raise DiscordError(403, 50001, "Missing Access")
        return channel

    def _channel_json(self, channel: Channel) -> dict[str, Any]:
        world = self._state.world
        if channel.private:
            return channel.private_json(world.users, viewer=world.bot_user.id)
        return channel.to_json()

    def _message(self, request: web.Request, channel: Channel) -> Message:
        message = self._state.messages.get(_int(request, "message_id"))
        # The channel routes never reach ephemeral messages; only the interaction webhook does.
        if message is None or message.channel_id != channel.id or message.ephemeral:
            raise unknown_message()
        return message

    async def channel(self, request: web.Request) -> web.Response:
        """Return a channel (a DM as the bot sees it: the user as recipient)."""
        return json_response(self._channel_json(self._channel(request)))

    async def create_dm(self, request: web.Request) -> web.Response:
        """Open (or return) the bot's DM with ``recipient_id`` (``POST /users/@me/channels``).

        resources/user.mdx "Create DM": returns the DM channel object, the existing one if
        there is one.
        """
        state = self._state
        payload, _ = await read_body(request, state.config.max_request_size)
        raw = payload.get("recipient_id") if isinstance(payload, dict) else None
        try:
            user = state.world.users.get(int(raw)) if raw is not None else None
        except (TypeError, ValueError):
            user = None
        if user is None:
            errors = FormErrors()
            errors.add(("recipient_id",), "BASE_TYPE_REQUIRED", "This field is required")
            if raw is not None:
                raise DiscordError(400, 50033, "Invalid Recipient(s)")
            errors.raise_if_any()
        assert user is not None
        if user.id == state.world.bot_user.id:
            raise DiscordError(400, 50007, "Cannot send messages to this user")
        channel = state.world.open_private([user])
        return json_response(self._channel_json(channel))

    async def typing(self, request: web.Request) -> web.Response:
        """Accept a typing indicator."""
        self._channel(request)
        return no_content()

    async def list_messages(self, request: web.Request) -> web.Response:
        """Return a channel's messages, newest first, with ``limit``/``before``/``after``."""
        channel = self._channel(request)
        messages = self._state.messages.in_channel(channel.id, include_ephemeral=False)
        query = request.query
        try:
            limit = max(1, min(100, int(query.get("limit", "50"))))
            if "before" in query:
                messages = [m for m in messages if m.id < int(query["before"])]
            if "after" in query:
                messages = [m for m in messages if m.id > int(query["after"])]
                messages = messages[:limit]
            if "around" in query:
                around = int(query["around"])
                older = [m for m in messages if m.id <= around][-(limit // 2 + 1) :]
                newer = [m for m in messages if m.id > around][: limit - len(older)]
                messages = older + newer
        except ValueError:
            raise DiscordError(400, 50035, "Invalid Form Body") from None
        newest_first = list(reversed(messages))[:limit]
        return json_response([self._state.render(m) for m in newest_first])

    async def create_message(self, request: web.Request) -> web.Response:
        """Post a message as the bot, with files and replies."""
        state = self._state
        channel = self._channel(request)
        payload, uploads = await read_body(request, state.config.max_request_size)
        if payload is not None and not isinstance(payload, dict):
            raise DiscordError(400, 50035, "Invalid Form Body")
        payload = dict(payload or {})
        # Ephemeral exists only for interaction responses; Discord ignores it here.
        payload["flags"] = (payload.get("flags") or 0) & ~(1 << 6)
        message = state.composer.create(
            payload,
            uploads,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=state.world.bot_user.id,
            limit=state.guild_limit(channel.guild_id),
        )
        channel.last_message_id = message.id
        state.dispatch_message("MESSAGE_CREATE", message)
        return json_response(state.render(message))

    async def get_message(self, request: web.Request) -> web.Response:
        """Return one message."""
        channel = self._channel(request)
        return json_response(self._state.render(self._message(request, channel)))

    async def edit_message(self, request: web.Request) -> web.Response:
        """Edit one of the bot's messages (also interaction responses that are not ephemeral)."""
        state = self._state
        channel = self._channel(request)
        message = self._message(request, channel)
        payload, uploads = await read_body(request, state.config.max_request_size)
        if message.author_id != state.world.bot_user.id:
            raise cannot_edit_foreign()
        state.composer.edit(message, payload, uploads, limit=state.guild_limit(channel.guild_id))
        state.dispatch_message("MESSAGE_UPDATE", message)
        return json_response(state.render(message))

    async def delete_message(self, request: web.Request) -> web.Response:
        """Delete one of the bot's messages."""
        state = self._state
        channel = self._channel(request)
        message = self._message(request, channel)
        if message.author_id != state.world.bot_user.id:
            if channel.guild_id is None:
                raise DiscordError(403, 50003, "Cannot execute action on a DM channel")
            guild = state.world.guilds[channel.guild_id]
            manage_messages = 1 << 13
            if not state.world.permissions(guild, state.world.bot_user.id) & manage_messages:
                raise DiscordError(403, 50013, "Missing Permissions")
        message.deleted = True
        state.dispatch_delete(message)
        return no_content()

    # -- guilds -------------------------------------------------------------------------

    def _guild(self, request: web.Request) -> Guild:
        guild = self._state.world.guilds.get(_int(request, "guild_id"))
        if guild is None or self._state.world.bot_user.id not in guild.members:
            raise unknown_guild()
        return guild

    async def guild(self, request: web.Request) -> web.Response:
        """Return a guild."""
        guild = self._guild(request)
        data: dict[str, Any] = self._state.world.guild_json(guild)
        if request.query.get("with_counts") in ("1", "true"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return json_response(data)

    async def guild_channels(self, request: web.Request) -> web.Response:
        """Return a guild's channels."""
        guild = self._guild(request)
        return json_response([c.to_json() for c in guild.channels.values()])

    async def guild_roles(self, request: web.Request) -> web.Response:
        """Return a guild's roles."""
        guild = self._guild(request)
        return json_response([r.to_json() for r in guild.roles.values()])

    async def guild_members(self, request: web.Request) -> web.Response:
        """Return a guild's members (``limit``, ``after``)."""
        guild = self._guild(request)
        members = sorted(guild.members.values(), key=lambda m: m.user_id)
        try:
            after = int(request.query.get("after", "0"))
            limit = max(1, min(1000, int(request.query.get("limit", "1"))))
        except ValueError:
            raise DiscordError(400, 50035, "Invalid Form Body") from None
        chosen = [m for m in members if m.user_id > after][:limit]
        return json_response([self._state.world.member_json(guild, m) for m in chosen])

    async def guild_member(self, request: web.Request) -> web.Response:
        """Return one member."""
        guild = self._guild(request)
        member = guild.members.get(_int(request, "user_id"))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return json_response(self._state.world.member_json(guild, member))


class CdnRoutes:
    """Serve stored attachment bytes like Discord's CDN."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def routes(self) -> list[web.RouteDef]:
        """Return the CDN routes."""
        return [web.get("/cdn/attachments/{channel_id}/{attachment_id}/{filename}", self.file)]

    async def file(self, request: web.Request) -> web.Response:
        """Return an attachment's bytes with its content type."""
        try:
            attachment = self._state.messages.attachments.get(
                int(request.match_info["attachment_id"])
            )
        except ValueError:
            attachment = None
        if attachment is None or str(attachment.channel_id) != request.match_info["channel_id"]:
            return web.Response(status=404, text="This content is no longer available.")
        headers = {
            "Content-Type": attachment.content_type,
            "Content-Disposition": f'attachment; filename="{attachment.filename}"',
            "Cache-Control": "public, max-age=31536000",
            "Accept-Ranges": "bytes",
        }
        data = attachment.data
        try:
            wanted = request.http_range
        except ValueError:
            wanted = slice(None)
        if wanted.start is None and wanted.stop is None:
            return web.Response(body=data, headers=headers)
        # Like Discord's CDN: a satisfiable byte range answers 206 with only those bytes.
        start, stop, _ = wanted.indices(len(data))
        if start >= len(data) or stop <= start:
            headers["Content-Range"] = f"bytes */{len(data)}"
            return web.Response(status=416, headers=headers)
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(data)}"
        return web.Response(status=206, body=data[start:stop], headers=headers)


def _int(request: web.Request, key: str) -> int:
    try:
        return int(request.match_info[key])
    except ValueError:
        raise DiscordError(
            400,
            50035,
            "Invalid Form Body",
            errors={
                key: {
                    "_errors": [
                        {"code": "NUMBER_TYPE_COERCE", "message": "Value is not snowflake."}
                    ]
                }
            },
        ) from None
