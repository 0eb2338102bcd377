"""The control API under ``/_emulator/``: how tests, tools and the playground drive the world."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.emulator.interactions import Interaction
from bot.emulator.invoke import Invoker
from bot.emulator.respond import json_response
from bot.emulator.state import ControlError, EmulatorState
from bot.emulator.world import WorldError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PREFIX = "/_emulator"
_RUNTIME_SETTINGS: dict[str, Callable[[Any], Any]] = {
    "recommended_shards": lambda v: None if v is None else int(v),
    "max_guilds_per_shard": int,
    "attachment_size_limit": int,
    "max_request_size": int,
    "ack_deadline": float,
    "token_lifetime": float,
    "autocomplete_timeout": float,
}


def _guard(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as exc:
            return json_response({"error": exc.message}, status=exc.status)
        except WorldError as exc:
            return json_response({"error": str(exc)}, status=404)
        except (KeyError, TypeError, ValueError) as exc:
            return json_response({"error": f"bad request: {exc!r}"}, status=400)

    wrapped.__doc__ = handler.__doc__
    return wrapped


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json(loads=json.loads)
    except ValueError:
        raise ControlError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


class ControlRoutes:
    """Handlers of the control API."""

    def __init__(self, state: EmulatorState, describe: Callable[[], dict[str, Any]]) -> None:
        self._state = state
        self._invoker = Invoker(state)
        self._describe = describe

    def routes(self) -> list[web.RouteDef]:
        """Return the control routes."""
        p = PREFIX
        table: list[tuple[str, str, Handler]] = [
            ("GET", "", self.index),
            ("POST", "/slash", self.slash),
            ("POST", "/autocomplete", self.autocomplete),
            ("POST", "/click", self.click),
            ("POST", "/modal", self.modal),
            ("POST", "/messages", self.user_message),
            ("GET", "/interactions", self.list_interactions),
            ("GET", "/interactions/{interaction_id}", self.interaction),
            ("GET", "/channels/{channel}/messages", self.channel_messages),
            ("GET", "/messages/{message_id}", self.message),
            ("GET", "/commands", self.commands),
            ("GET", "/requests", self.requests),
            ("GET", "/clock", self.get_clock),
            ("POST", "/clock", self.clock),
            ("GET", "/faults", self.list_faults),
            ("POST", "/faults", self.add_fault),
            ("DELETE", "/faults", self.clear_faults),
            ("GET", "/world", self.world),
            ("POST", "/world/users", self.add_user),
            ("PATCH", "/world/users/{user}", self.edit_user),
            ("POST", "/dms", self.open_dm),
            ("POST", "/world/roles", self.add_role),
            ("POST", "/world/channels", self.add_channel),
            ("POST", "/world/guilds", self.add_guild),
            ("PATCH", "/world/guilds/{guild}", self.edit_guild),
            ("POST", "/world/members", self.edit_member),
            ("PATCH", "/config", self.edit_config),
            ("GET", "/gateway", self.gateway),
            ("POST", "/gateway/drop", self.drop),
            ("POST", "/gateway/invalidate", self.invalidate),
            ("POST", "/gateway/hold", self.hold),
            ("POST", "/reset", self.reset),
            ("GET", "/recording", self.recording),
            ("POST", "/recording", self.set_recording),
            ("DELETE", "/recording", self.clear_recording),
        ]
        return [web.route(method, p + path, _guard(handler)) for method, path, handler in table]

    # -- overview -----------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        """Return the addresses and token to give the bot."""
        return json_response(self._describe())

    # -- user actions -------------------------------------------------------------------

    async def slash(self, request: web.Request) -> web.Response:
        """Run a slash command: ``{user, channel, command, options, attachments}``."""
        body = await _json(request)
        interaction = self._invoker.slash(
            body["user"],
            body["channel"],
            body["command"],
            body.get("options"),
            body.get("attachments"),
            body.get("locale"),
            guild=body.get("guild"),
        )
        return json_response({"interaction_id": str(interaction.id), "token": interaction.token})

    async def autocomplete(self, request: web.Request) -> web.Response:
        """Type into an autocomplete option and wait for the bot's choices."""
        body = await _json(request)
        interaction = self._invoker.autocomplete(
            body["user"],
            body["channel"],
            body["command"],
            body.get("options"),
            body["focused"],
            body.get("locale"),
            guild=body.get("guild"),
        )
        timeout = float(body.get("timeout", self._state.config.autocomplete_timeout))
        try:
            await asyncio.wait_for(interaction.answered.wait(), timeout)
        except TimeoutError:
            raise ControlError(
                504, f"the bot did not answer autocomplete {interaction.id} in {timeout}s"
            ) from None
        return json_response(
            {
                "interaction_id": str(interaction.id),
                "choices": interaction.choices or [],
                "errors": interaction.errors,
            }
        )

    async def click(self, request: web.Request) -> web.Response:
        """Press a button: ``{user, message_id, custom_id, values?}``."""
        body = await _json(request)
        interaction = self._invoker.click(
            body["user"], body["message_id"], body["custom_id"], body.get("values")
        )
        return json_response({"interaction_id": str(interaction.id), "token": interaction.token})

    async def modal(self, request: web.Request) -> web.Response:
        """Submit a modal: ``{user, interaction_id, values: {custom_id: text}}``."""
        body = await _json(request)
        interaction = self._invoker.submit_modal(
            body["user"], body["interaction_id"], body.get("values") or {}
        )
        return json_response({"interaction_id": str(interaction.id), "token": interaction.token})

    async def user_message(self, request: web.Request) -> web.Response:
        """Post a message as a user: ``{user, channel, content, reply_to?}``."""
        state = self._state
        body = await _json(request)
        user = state.world.user(body["user"])
        channel = state.world.channel(body["channel"], body.get("guild"), open_dms=True)
        if channel.private and user.id not in channel.recipients:
            raise ControlError(403, f"{user.username} is not in that DM")
        if channel.guild_id is not None:
            state.world.member(state.world.guilds[channel.guild_id], user.id)
        payload: dict[str, Any] = {"content": body.get("content", "")}
        if body.get("reply_to"):
            payload["message_reference"] = {"message_id": str(body["reply_to"])}
        message = state.composer.create(
            payload,
            [],
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=user.id,
            limit=state.guild_limit(channel.guild_id),
        )
        channel.last_message_id = message.id
        state.dispatch_message("MESSAGE_CREATE", message)
        return json_response(state.render_for_control(message))

    # -- what happened ------------------------------------------------------------------

    def _interaction_json(self, interaction: Interaction) -> dict[str, Any]:
        state = self._state
        messages = [state.messages.messages.get(i) for i in interaction.message_ids()]
        return {
            "id": str(interaction.id),
            "type": interaction.type,
            "token": interaction.token,
            "user_id": str(interaction.user_id),
            "channel_id": str(interaction.channel_id),
            "guild_id": str(interaction.guild_id) if interaction.guild_id else None,
            "command": interaction.command_name,
            "data": interaction.payload.get("data"),
            "age_seconds": round(interaction.age(state.clock), 3),
            "acknowledged": interaction.acknowledged,
            "acknowledged_after": interaction.acknowledged_after,
            "response_type": interaction.response_type,
            "original_message_id": str(interaction.original_message_id)
            if interaction.original_message_id
            else None,
            "followup_ids": [str(i) for i in interaction.followup_ids],
            "source_message_id": str(interaction.source_message_id)
            if interaction.source_message_id
            else None,
            "parent_id": str(interaction.parent_id) if interaction.parent_id else None,
            "modal": interaction.modal,
            "choices": interaction.choices,
            "messages": [
                {**state.render_for_control(m), "deleted": m.deleted} for m in messages if m
            ],
            "errors": interaction.errors,
        }

    async def list_interactions(self, request: web.Request) -> web.Response:
        """Return every interaction, oldest first."""
        return json_response(
            [self._interaction_json(i) for i in self._state.interactions.by_id.values()]
        )

    async def interaction(self, request: web.Request) -> web.Response:
        """Return one interaction: ack state, modal, messages and errors."""
        interaction = self._state.interactions.get(int(request.match_info["interaction_id"]))
        if interaction is None:
            raise ControlError(404, "no such interaction")
        return json_response(self._interaction_json(interaction))

    async def channel_messages(self, request: web.Request) -> web.Response:
        """Return a channel's messages (ephemeral ones too), oldest first."""
        state = self._state
        channel = state.world.channel(request.match_info["channel"], request.query.get("guild"))
        return json_response(
            [state.render_for_control(m) for m in state.messages.in_channel(channel.id)]
        )

    async def message(self, request: web.Request) -> web.Response:
        """Return one message by id."""
        state = self._state
        message = state.messages.messages.get(int(request.match_info["message_id"]))
        if message is None:
            raise ControlError(404, "no such message")
        return json_response({**state.render_for_control(message), "deleted": message.deleted})

    async def commands(self, request: web.Request) -> web.Response:
        """Return the synced commands, global and per guild."""
        return json_response(self._state.commands.all())

    async def requests(self, request: web.Request) -> web.Response:
        """Return logged REST requests; ``?since=<seq>`` and ``?route=<substring>`` filter."""
        since = int(request.query.get("since", "0"))
        route = request.query.get("route")
        found = [
            r
            for r in self._state.requests
            if r["seq"] > since and (route is None or route in f"{r['method']} {r['route']}")
        ]
        return json_response(found)

    # -- time and faults ----------------------------------------------------------------

    def _clock_json(self) -> dict[str, Any]:
        clock = self._state.clock
        return {"offset": clock.offset, "now": clock.wall(), "iso": clock.iso()}

    async def get_clock(self, request: web.Request) -> web.Response:
        """Return the emulator's clock."""
        return json_response(self._clock_json())

    async def clock(self, request: web.Request) -> web.Response:
        """Move the clock forward: ``{advance_seconds}``."""
        body = await _json(request)
        try:
            self._state.clock.advance(float(body["advance_seconds"]))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        return json_response(self._clock_json())

    async def list_faults(self, request: web.Request) -> web.Response:
        """Return the injected faults."""
        return json_response(self._state.faults.list())

    async def add_fault(self, request: web.Request) -> web.Response:
        """Inject a fault: ``{route, status, count?, retry_after?, message?, code?, global?}``."""
        body = await _json(request)
        fault = self._state.faults.add(
            route=str(body["route"]),
            status=int(body["status"]),
            count=int(body.get("count", 1)),
            retry_after=float(body.get("retry_after", 1.0)),
            message=body.get("message"),
            code=int(body.get("code", 0)),
            is_global=bool(body.get("global", False)),
        )
        return json_response(fault.to_json())

    async def clear_faults(self, request: web.Request) -> web.Response:
        """Remove every fault."""
        self._state.faults.clear()
        return json_response({"cleared": True})

    # -- world --------------------------------------------------------------------------

    async def world(self, request: web.Request) -> web.Response:
        """Return users, guilds, roles, channels and members."""
        return json_response(self._state.world.summary())

    async def add_user(self, request: web.Request) -> web.Response:
        """Create a user and (unless ``guild`` is null) make them a member of a guild."""
        state = self._state
        body = await _json(request)
        world = state.world
        user = world.add_user(str(body["username"]), global_name=body.get("global_name"))
        if body.get("guild", "") is not None and world.guilds:
            guild = world.guild(body.get("guild"))
            roles = [world.role(r, guild) for r in body.get("roles") or []]
            member = world.add_member(guild, user, roles=roles)
            state.gateway.dispatch(
                "GUILD_MEMBER_ADD", {**world.member_json(guild, member), "guild_id": str(guild.id)}
            )
        return json_response(user.to_json())

    async def edit_user(self, request: web.Request) -> web.Response:
        """Change a user: ``{locale?, app_installed?, global_name?}``.

        ``locale`` is the language of the user's client (what interactions carry as
        ``locale``); ``app_installed`` says the user added the app to their account.
        """
        body = await _json(request)
        user = self._state.world.user(request.match_info["user"])
        if "locale" in body:
            user.locale = str(body["locale"])
        if "app_installed" in body:
            user.app_installed = bool(body["app_installed"])
        if "global_name" in body:
            user.global_name = body["global_name"]
        return json_response(
            {**user.to_json(), "locale": user.locale, "app_installed": user.app_installed}
        )

    async def open_dm(self, request: web.Request) -> web.Response:
        """Open a DM: ``{user}`` with the bot, ``{user, with: [..], name?}`` between users
        (two people: a DM, more: a group DM) where the bot is not a member."""
        state = self._state
        body = await _json(request)
        world = state.world
        people = [world.user(body["user"]), *(world.user(u) for u in body.get("with") or [])]
        try:
            channel = world.open_private(people, name=str(body.get("name") or ""))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        names = [world.users[u].username for u in channel.recipients if u != world.bot_user.id]
        return json_response(
            {
                **channel.private_json(world.users, viewer=0),
                "ref": "@" + "+".join(names),
                "bot_is_member": world.bot_user.id in channel.recipients,
            }
        )

    async def add_role(self, request: web.Request) -> web.Response:
        """Create a role: ``{guild?, name, permissions?, members?}``."""
        state = self._state
        body = await _json(request)
        world = state.world
        guild = world.guild(body.get("guild"))
        members = [world.user(m) for m in body.get("members") or []]
        role = world.add_role(
            guild, str(body["name"]), permissions=int(body.get("permissions", 0)), members=members
        )
        state.gateway.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_json()}
        )
        for user in members:
            self._member_update(guild.id, user.id)
        return json_response(role.to_json())

    async def add_channel(self, request: web.Request) -> web.Response:
        """Create a channel: ``{guild?, name, type?}``."""
        state = self._state
        body = await _json(request)
        guild = state.world.guild(body.get("guild"))
        channel = state.world.add_channel(guild, str(body["name"]), type=int(body.get("type", 0)))
        state.gateway.dispatch("CHANNEL_CREATE", channel.to_json())
        return json_response(channel.to_json())

    async def add_guild(self, request: web.Request) -> web.Response:
        """Create a guild: ``{name, owner, members?, shard?: [id, count], install?, channels?}``.

        The bot joins it (and is told with GUILD_CREATE on the guild's shard) unless
        ``install`` is false; ``channels`` defaults to ``["general"]``.
        """
        state = self._state
        body = await _json(request)
        world = state.world
        shard = body.get("shard")
        if shard is not None:
            if not isinstance(shard, list) or len(shard) != 2:
                raise ControlError(400, "shard is [shard_id, shard_count]")
            shard = (int(shard[0]), int(shard[1]))
            if shard[1] < 1 or not 0 <= shard[0] < shard[1]:
                raise ControlError(400, "shard_id must be in 0..shard_count-1")
        try:
            guild = world.add_guild(
                str(body["name"]),
                world.user(body["owner"]),
                shard=shard,
                install=bool(body.get("install", True)),
            )
        except ValueError as exc:
            raise ControlError(409, str(exc)) from None
        for ref in body.get("members") or []:
            user = world.user(ref)
            if user.id not in guild.members:
                world.add_member(guild, user)
        for name in body.get("channels") or ["general"]:
            world.add_channel(guild, str(name))
        if world.bot_user.id in guild.members:
            state.gateway.dispatch("GUILD_CREATE", world.guild_create_json(guild))
        return json_response(world.guild_json(guild))

    async def edit_guild(self, request: web.Request) -> web.Response:
        """Change a guild: ``{attachment_size_limit?, locale?, name?, use_external_apps?}``.

        ``locale`` is the guild's ``preferred_locale`` (interactions' ``guild_locale``);
        ``use_external_apps`` grants or takes Use External Apps from @everyone.
        """
        body = await _json(request)
        guild = self._state.world.guild(request.match_info["guild"])
        if "attachment_size_limit" in body:
            limit = body["attachment_size_limit"]
            guild.attachment_size_limit = None if limit is None else int(limit)
        if "locale" in body:
            guild.locale = str(body["locale"])
        if "name" in body:
            guild.name = str(body["name"])
        if "use_external_apps" in body:
            self._state.world.set_use_external_apps(guild, bool(body["use_external_apps"]))
        return json_response(
            {
                **self._state.world.guild_json(guild),
                "attachment_size_limit": guild.attachment_size_limit,
            }
        )

    async def edit_member(self, request: web.Request) -> web.Response:
        """Change a member's roles: ``{guild?, user, add_roles?, remove_roles?, nick?}``."""
        body = await _json(request)
        world = self._state.world
        guild = world.guild(body.get("guild"))
        user = world.user(body["user"])
        member = world.member(guild, user.id)
        for ref in body.get("add_roles") or []:
            role = world.role(ref, guild)
            if role.id not in member.roles:
                member.roles.append(role.id)
        for ref in body.get("remove_roles") or []:
            role = world.role(ref, guild)
            if role.id in member.roles:
                member.roles.remove(role.id)
        if "nick" in body:
            member.nick = body["nick"]
        self._member_update(guild.id, user.id)
        return json_response(world.member_json(guild, member, permissions=True))

    def _member_update(self, guild_id: int, user_id: int) -> None:
        world = self._state.world
        guild = world.guilds[guild_id]
        data = {**world.member_json(guild, guild.members[user_id]), "guild_id": str(guild_id)}
        self._state.gateway.dispatch("GUILD_MEMBER_UPDATE", data)

    async def edit_config(self, request: web.Request) -> web.Response:
        """Change limits at run time (attachment_size_limit, ack_deadline, token_lifetime...)."""
        body = await _json(request)
        config = self._state.config
        for key, value in body.items():
            if key not in _RUNTIME_SETTINGS:
                raise ControlError(400, f"{key!r} cannot be changed at run time")
            setattr(config, key, _RUNTIME_SETTINGS[key](value))
        return json_response({key: getattr(config, key) for key in _RUNTIME_SETTINGS})

    # -- gateway and reset --------------------------------------------------------------

    async def gateway(self, request: web.Request) -> web.Response:
        """Return gateway sessions and the history of connections."""
        return json_response(self._state.gateway.summary())

    async def drop(self, request: web.Request) -> web.Response:
        """Break the bot's gateway connections: ``{mode: close|abort|reconnect, code?}``."""
        body = await _json(request)
        mode = body.get("mode", "close")
        if mode not in ("close", "abort", "reconnect"):
            raise ControlError(400, "mode is one of close, abort, reconnect")
        dropped = await self._state.gateway.drop(mode=mode, code=int(body.get("code", 4000)))
        return json_response({"dropped": dropped})

    async def hold(self, request: web.Request) -> web.Response:
        """Hold new gateway connections (``{hold: true}``) or let them in (``false``)."""
        body = await _json(request)
        self._state.gateway.hold(bool(body.get("hold", True)))
        return json_response(self._state.gateway.summary())

    async def invalidate(self, request: web.Request) -> web.Response:
        """Invalidate every session (the bot must IDENTIFY again)."""
        return json_response({"invalidated": await self._state.gateway.invalidate()})

    async def recording(self, request: web.Request) -> web.Response:
        """Return the recorded traffic: REST exchanges and gateway dispatches, in order."""
        state = self._state
        return json_response({"recording": state.recording, "traffic": state.traffic})

    async def set_recording(self, request: web.Request) -> web.Response:
        """Start (``{on: true}``) or stop (``{on: false}``) recording traffic."""
        body = await _json(request)
        self._state.recording = bool(body.get("on", True))
        return json_response({"recording": self._state.recording})

    async def clear_recording(self, request: web.Request) -> web.Response:
        """Forget the recorded traffic."""
        self._state.traffic.clear()
        return json_response({"recording": self._state.recording, "traffic": []})

    async def reset(self, request: web.Request) -> web.Response:
        """Forget messages, interactions, requests, faults, buckets, clock (``commands`` too?)."""
        body = await _json(request)
        self._state.reset(commands=bool(body.get("commands", False)))
        return json_response({"reset": True})
