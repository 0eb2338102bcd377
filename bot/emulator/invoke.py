"""What users do: slash commands, autocomplete, button clicks, modal submits -> interactions."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from bot.emulator.commands import command_leaf
from bot.emulator.contexts import (
    NotAvailable,
    Place,
    app_permissions,
    check_available,
    forced_ephemeral,
    place_of,
)
from bot.emulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Interaction,
)
from bot.emulator.messages import Message, StoredAttachment, guess_content_type
from bot.emulator.state import ControlError, EmulatorState
from bot.emulator.validation import BUTTON, LINK_STYLE, SELECT_TYPES, TEXT_INPUT, modal_inputs
from bot.emulator.world import (
    ADMINISTRATOR,
    ATTACH_FILES,
    EMBED_LINKS,
    MENTION_EVERYONE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    USE_APPLICATION_COMMANDS,
    USE_EXTERNAL_EMOJIS,
    VIEW_CHANNEL,
    Channel,
    User,
    WorldError,
)

STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
# What a user may do in their own DMs (the text permissions a DM has).
_DM_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
)


class Invoker:
    """Build interaction payloads as Discord's client would, record them and dispatch them."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    # -- user actions -------------------------------------------------------------------

    def slash(
        self,
        user: str | int,
        channel: str | int,
        command: str | dict[str, Any],
        options: dict[str, Any] | None = None,
        attachments: dict[str, Any] | None = None,
        locale: str | None = None,
        *,
        guild: str | int | None = None,
    ) -> Interaction:
        """Run a slash command the way a user would, validated against the synced schema."""
        place = self._place(user, channel, guild)
        spec, path, leaf, installs = self._command(place, command)
        resolved: dict[str, dict[str, Any]] = {}
        values = dict(options or {})
        files = dict(attachments or {})
        built = []
        for option in leaf:
            name = option["name"]
            if name in files and option.get("type") == ATTACHMENT:
                values.setdefault(name, files.pop(name))
            if name not in values:
                if option.get("required"):
                    raise ControlError(400, f"option {name!r} is required")
                continue
            value = self._convert(option, values.pop(name), place, resolved)
            built.append({"name": name, "type": option["type"], "value": value})
        if values or files:
            raise ControlError(400, f"unknown options {sorted({*values, *files})}")
        data = self._command_data(spec, path, built, resolved)
        return self._dispatch(
            APPLICATION_COMMAND,
            place,
            installs,
            data,
            command_name=" ".join([spec["name"], *(n for _, n in path)]),
            locale=locale,
        )

    def autocomplete(
        self,
        user: str | int,
        channel: str | int,
        command: str | dict[str, Any],
        options: dict[str, Any] | None,
        focused: str,
        locale: str | None = None,
        *,
        guild: str | int | None = None,
    ) -> Interaction:
        """Send the autocomplete interaction a client sends while a user types ``focused``."""
        place = self._place(user, channel, guild)
        spec, path, leaf, installs = self._command(place, command)
        values = dict(options or {})
        target = next((o for o in leaf if o["name"] == focused), None)
        if target is None or not target.get("autocomplete"):
            raise ControlError(400, f"option {focused!r} does not autocomplete")
        resolved: dict[str, dict[str, Any]] = {}
        built = []
        for option in leaf:
            name = option["name"]
            if name == focused:
                built.append(
                    {
                        "name": name,
                        "type": option["type"],
                        "value": str(values.pop(name, "")),
                        "focused": True,
                    }
                )
            elif name in values:
                value = self._convert(option, values.pop(name), place, resolved)
                built.append({"name": name, "type": option["type"], "value": value})
        if values:
            raise ControlError(400, f"unknown options {sorted(values)}")
        data = self._command_data(spec, path, built, resolved)
        return self._dispatch(
            AUTOCOMPLETE,
            place,
            installs,
            data,
            command_name=" ".join([spec["name"], *(n for _, n in path)]),
            locale=locale,
        )

    def click(
        self,
        user: str | int,
        message_id: int | str,
        custom_id: str,
        values: list[str] | None = None,
    ) -> Interaction:
        """Press a button (or pick select values) on a message the user can see."""
        message = self._state.messages.get(int(message_id))
        who = self._user(user)
        if message is None or (message.visible_to is not None and message.visible_to != who.id):
            raise ControlError(404, f"no message {message_id} visible to {who.username}")
        component = _find_component(message.components, custom_id)
        if component is None:
            raise ControlError(404, f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise ControlError(400, f"component {custom_id!r} is disabled")
        kind = component.get("type")
        if kind == BUTTON and component.get("style") == LINK_STYLE:
            raise ControlError(400, "link buttons open a URL and send no interaction")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": kind}
        if kind in SELECT_TYPES:
            data["values"] = self._select_values(component, values or [])
        elif kind != BUTTON:
            raise ControlError(400, f"component {custom_id!r} cannot be clicked")
        where = self._state.world.channel_by_id(message.channel_id)
        if where is None:
            raise ControlError(404, "the message's channel is gone")
        place = self._place_in(who, where)
        return self._dispatch(
            MESSAGE_COMPONENT,
            place,
            self._installs_of(message.interaction_id, place),
            data,
            message=message,
        )

    def submit_modal(
        self, user: str | int, interaction_id: int | str, values: dict[str, Any]
    ) -> Interaction:
        """Submit the modal that an interaction opened, with text per input ``custom_id``."""
        parent = self._state.interactions.get(int(interaction_id))
        if parent is None:
            raise ControlError(404, f"no interaction {interaction_id}")
        if parent.modal is None:
            raise ControlError(400, f"interaction {interaction_id} did not open a modal")
        who = self._user(user)
        if who.id != parent.user_id:
            raise ControlError(403, "only the user the modal was shown to can submit it")
        remaining = dict(values)
        components = []
        for top in parent.modal.get("components") or []:
            inner = [self._modal_value(item, remaining) for item in modal_inputs(top)]
            if top.get("type") == 1:
                components.append({"type": 1, "components": inner})
            elif top.get("type") == 18 and inner:
                components.append({"type": 18, "component": inner[0]})
        if remaining:
            raise ControlError(400, f"the modal has no inputs {sorted(remaining)}")
        data = {"custom_id": parent.modal["custom_id"], "components": components}
        where = self._state.world.channel_by_id(parent.channel_id)
        if where is None:
            raise ControlError(404, "the modal's channel is gone")
        place = self._place_in(who, where)
        source = (
            self._state.messages.get(parent.source_message_id) if parent.source_message_id else None
        )
        return self._dispatch(
            MODAL_SUBMIT,
            place,
            self._installs_of(parent.id, place),
            data,
            message=source,
            parent_id=parent.id,
        )

    # -- building blocks ----------------------------------------------------------------

    def _user(self, ref: str | int) -> User:
        try:
            return self._state.world.user(ref)
        except WorldError as exc:
            raise ControlError(404, str(exc)) from None

    def _place(self, user: str | int, channel: str | int, guild: str | int | None = None) -> Place:
        who = self._user(user)
        try:
            where = self._state.world.channel(channel, guild, open_dms=True)
        except WorldError as exc:
            raise ControlError(404, str(exc)) from None
        return self._place_in(who, where)

    def _place_in(self, who: User, where: Channel) -> Place:
        if where.guild_id is not None:
            guild = self._state.world.guilds[where.guild_id]
            if who.id not in guild.members:
                raise ControlError(400, f"{who.username} is not a member of {guild.name}")
        try:
            return place_of(self._state.world, who, where)
        except LookupError as exc:
            raise ControlError(400, str(exc)) from None

    def _installs_of(self, interaction_id: int | None, place: Place) -> frozenset[int]:
        """Components and modals keep the installs of the interaction they came from."""
        origin = self._state.interactions.get(interaction_id) if interaction_id else None
        if origin is not None:
            return frozenset(int(k) for k in origin.owners)
        return place.installs

    def _command(
        self, place: Place, command: str | dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[int, str]], list[dict[str, Any]], frozenset[int]]:
        if isinstance(command, dict):
            name = str(command.get("name", ""))
            path = [str(p) for p in (command.get("group"), command.get("subcommand")) if p]
        else:
            name, *path = str(command).lstrip("/").split()
        guild = place.guild
        where = guild.name if guild is not None else "this DM"
        spec = self._state.commands.find(name, guild.id if guild is not None else None)
        if spec is None:
            raise ControlError(404, f"no synced command /{name} in {where}")
        try:
            installs = check_available(spec, place)
        except NotAvailable as exc:
            raise ControlError(403, f"{place.user.username} cannot use {exc}") from None
        required = spec.get("default_member_permissions")
        if required is not None and guild is not None:
            have = self._state.world.permissions(guild, place.user.id)
            if not have & ADMINISTRATOR and have & int(required) != int(required):
                raise ControlError(403, f"{place.user.username} cannot see /{name} (permissions)")
        try:
            leaf, chain = command_leaf(spec, path)
        except LookupError as exc:
            raise ControlError(404, str(exc)) from None
        return spec, chain, leaf, installs

    def _command_data(
        self,
        spec: dict[str, Any],
        chain: list[tuple[int, str]],
        built: list[dict[str, Any]],
        resolved: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        options: list[dict[str, Any]] = built
        for kind, name in reversed(chain):
            options = [{"type": kind, "name": name, "options": options}]
        data: dict[str, Any] = {
            "id": spec["id"],
            "name": spec["name"],
            "type": spec.get("type", 1),
            "options": options,
        }
        if resolved:
            data["resolved"] = resolved
        if spec.get("guild_id"):
            data["guild_id"] = spec["guild_id"]
        return data

    def _convert(
        self,
        option: dict[str, Any],
        value: Any,
        place: Place,
        resolved: dict[str, dict[str, Any]],
    ) -> Any:
        kind = option["type"]
        name = option["name"]
        world = self._state.world
        who, where, guild = place.user, place.channel, place.guild
        try:
            if kind == STRING:
                converted: Any = str(value)
                low, high = option.get("min_length"), option.get("max_length")
                if (low is not None and len(converted) < low) or (
                    high is not None and len(converted) > high
                ):
                    raise ControlError(400, f"option {name!r}: length out of range")
                return _choice(option, converted)
            if kind == INTEGER:
                if isinstance(value, bool) or float(value) != int(float(value)):
                    raise ValueError(value)
                return _bounded(option, _choice(option, int(float(value))))
            if kind == NUMBER:
                if isinstance(value, bool):
                    raise ValueError(value)
                return _bounded(option, _choice(option, float(value)))
            if kind == BOOLEAN:
                if isinstance(value, str) and value.lower() in ("true", "false"):
                    return value.lower() == "true"
                if not isinstance(value, bool):
                    raise ValueError(value)
                return value
            if kind in (USER, MENTIONABLE):
                try:
                    target = world.user(value)
                except WorldError:
                    if kind == USER:
                        raise
                else:
                    resolved.setdefault("users", {})[str(target.id)] = target.to_json()
                    if guild is not None and target.id in guild.members:
                        member = world.member_json(
                            guild, guild.members[target.id], with_user=False, permissions=True
                        )
                        resolved.setdefault("members", {})[str(target.id)] = member
                    return str(target.id)
            if kind in (ROLE, MENTIONABLE):
                if guild is None:
                    raise WorldError("there are no roles outside a server")
                role = world.role(value, guild)
                resolved.setdefault("roles", {})[str(role.id)] = role.to_json()
                return str(role.id)
            if kind == CHANNEL:
                if guild is None:
                    raise WorldError("only the DM itself is a channel here")
                target_channel = world.channel(value, guild)
                allowed = option.get("channel_types")
                if allowed and target_channel.type not in allowed:
                    raise ControlError(400, f"option {name!r}: channel type not allowed")
                resolved.setdefault("channels", {})[str(target_channel.id)] = {
                    **target_channel.to_json(),
                    "permissions": str(world.permissions(guild, who.id)),
                }
                return str(target_channel.id)
            if kind == ATTACHMENT:
                stored = self._attachment(value, where)
                resolved.setdefault("attachments", {})[str(stored.id)] = stored.to_json(
                    self._state.public_url
                )
                return str(stored.id)
        except (ValueError, TypeError, WorldError) as exc:
            raise ControlError(400, f"option {name!r}: invalid value {value!r} ({exc})") from None
        raise ControlError(400, f"option {name!r} has unsupported type {kind}")

    def _attachment(self, value: Any, where: Channel) -> StoredAttachment:
        if not isinstance(value, dict) or "filename" not in value:
            raise ValueError("give {filename, content_type, data_base64}")
        if "data_base64" in value:
            try:
                data = base64.b64decode(value["data_base64"], validate=True)
            except binascii.Error as exc:
                raise ValueError(f"bad base64: {exc}") from None
        else:
            data = str(value.get("text", "")).encode()
        filename = str(value["filename"])
        stored = StoredAttachment(
            id=self._state.ids.next(),
            channel_id=where.id,
            filename=filename,
            content_type=value.get("content_type") or guess_content_type(filename),
            data=data,
            ephemeral=True,
        )
        return self._state.messages.add_attachment(stored)

    def _select_values(self, component: dict[str, Any], values: list[str]) -> list[str]:
        low = component.get("min_values", 1)
        high = component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ControlError(400, f"pick between {low} and {high} values")
        if component.get("type") == 3:
            allowed = {o.get("value") for o in component.get("options") or []}
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise ControlError(400, f"not options of this select: {unknown}")
        return [str(v) for v in values]

    def _modal_value(self, item: dict[str, Any], remaining: dict[str, Any]) -> dict[str, Any]:
        custom_id = item.get("custom_id")
        kind = item.get("type")
        given = remaining.pop(str(custom_id), None)
        if kind == TEXT_INPUT:
            text = "" if given is None else str(given)
            if not text and item.get("required", True):
                raise ControlError(400, f"input {custom_id!r} is required")
            low, high = item.get("min_length"), item.get("max_length") or 4000
            if text and ((low is not None and len(text) < low) or len(text) > high):
                raise ControlError(400, f"input {custom_id!r}: length out of range")
            return {"type": TEXT_INPUT, "custom_id": custom_id, "value": text}
        if kind in SELECT_TYPES:
            picked = given if isinstance(given, list) else ([] if given is None else [given])
            return {"type": kind, "custom_id": custom_id, "values": [str(v) for v in picked]}
        return {"type": kind, "custom_id": custom_id}

    def _dispatch(
        self,
        kind: int,
        place: Place,
        installs: frozenset[int],
        data: dict[str, Any],
        *,
        command_name: str | None = None,
        message: Message | None = None,
        parent_id: int | None = None,
        locale: str | None = None,
    ) -> Interaction:
        """Build INTERACTION_CREATE field for field as Discord sends it in this context.

        Servers carry ``guild``, ``guild_id``, ``guild_locale`` and ``member`` (with
        ``permissions``); DMs carry ``user`` instead (receiving-and-responding.mdx,
        "Interaction Structure").
        """
        state = self._state
        world = state.world
        who, where, guild = place.user, place.channel, place.guild
        interaction_id = state.ids.next()
        token = state.new_token()
        limit = state.guild_limit(guild.id if guild is not None else None)
        owners = place.owners(installs)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(world.application.id),
            "type": kind,
            "data": data,
        }
        if guild is not None:
            permissions = world.permissions(guild, who.id)
            payload.update(
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_id=str(guild.id),
                channel={**where.to_json(), "permissions": str(permissions)},
                channel_id=str(where.id),
                member=world.member_json(guild, guild.members[who.id], permissions=True),
            )
        else:
            # A DM is all the user's: every permission that exists in a DM.
            payload.update(
                channel={
                    **where.private_json(world.users, viewer=who.id),
                    "permissions": str(_DM_PERMISSIONS),
                },
                channel_id=str(where.id),
                user=who.to_json(),
            )
        payload.update(
            token=token,
            version=1,
            app_permissions=str(app_permissions(world, place)),
            locale=locale or who.locale,
        )
        if guild is not None:
            payload["guild_locale"] = guild.locale
        payload.update(
            entitlements=[],
            entitlement_sku_ids=[],
            authorizing_integration_owners=owners,
            context=place.context,
            attachment_size_limit=limit,
        )
        if message is not None:
            payload["message"] = state.render(message)
        interaction = Interaction(
            id=interaction_id,
            type=kind,
            token=token,
            user_id=who.id,
            guild_id=guild.id if guild is not None else None,
            channel_id=where.id,
            created=state.clock.now(),
            attachment_size_limit=limit,
            payload=payload,
            command_name=command_name,
            source_message_id=message.id if message is not None else None,
            parent_id=parent_id,
            context=place.context,
            owners=owners,
            force_ephemeral=forced_ephemeral(world, place, installs),
        )
        state.interactions.add(interaction)
        if not state.gateway.dispatch_interaction(payload):
            raise ControlError(409, "no bot is connected to the gateway")
        return interaction


def _find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        for key in ("components",):
            found = _find_component(component.get(key) or [], custom_id)
            if found is not None:
                return found
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                found = _find_component([child], custom_id)
                if found is not None:
                    return found
    return None


def _choice(option: dict[str, Any], value: Any) -> Any:
    choices = option.get("choices")
    if not choices:
        return value
    for choice in choices:
        if choice.get("value") == value or choice.get("name") == value:
            return choice["value"]
    raise ControlError(400, f"option {option['name']!r}: {value!r} is not one of the choices")


def _bounded(option: dict[str, Any], value: float) -> Any:
    low, high = option.get("min_value"), option.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ControlError(400, f"option {option['name']!r}: {value} out of range")
    return value
