"""Interaction callbacks and the interaction webhook (original response, followups)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.emulator.bodies import read_body
from bot.emulator.errors import (
    DiscordError,
    FormErrors,
    already_acknowledged,
    invalid_webhook_token,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from bot.emulator.interactions import (
    ALLOWED_CALLBACKS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE_RESULT,
    CALLBACK_TYPES,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MODAL,
    UPDATE_MESSAGE,
    Interaction,
)
from bot.emulator.messages import CHAT_INPUT_COMMAND, DEFAULT, Message
from bot.emulator.respond import json_response, no_content, truthy
from bot.emulator.state import EmulatorState
from bot.emulator.validation import EPHEMERAL, LOADING, validate_choices, validate_modal

CALLBACK_ROUTE = "/interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK_ROUTE = "/webhooks/{webhook_id}/{webhook_token}"
WEBHOOK_MESSAGE_ROUTE = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"


class InteractionRoutes:
    """Handlers for the routes a bot answers interactions with."""

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def routes(self, prefix: str) -> list[web.RouteDef]:
        """Return the aiohttp routes under ``prefix`` (the API base path)."""
        return [
            web.post(prefix + CALLBACK_ROUTE, self.callback),
            web.post(prefix + WEBHOOK_ROUTE, self.followup),
            web.get(prefix + WEBHOOK_MESSAGE_ROUTE, self.get_message),
            web.patch(prefix + WEBHOOK_MESSAGE_ROUTE, self.edit_message),
            web.delete(prefix + WEBHOOK_MESSAGE_ROUTE, self.delete_message),
        ]

    # -- callback -----------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.StreamResponse:
        """Handle ``POST /interactions/{id}/{token}/callback`` with Discord's rules."""
        state = self._state
        try:
            interaction_id = int(request.match_info["interaction_id"])
        except ValueError:
            raise unknown_interaction() from None
        interaction = state.interactions.get(interaction_id)
        if interaction is None or interaction.token != request.match_info["interaction_token"]:
            raise unknown_interaction()
        try:
            payload, uploads = await read_body(request, state.config.max_request_size)
            if interaction.acknowledged:
                raise already_acknowledged()
            if interaction.age(state.clock) > state.config.ack_deadline:
                raise unknown_interaction()
            body = self._respond(interaction, payload, uploads)
        except DiscordError as exc:
            interaction.record_error(
                "POST " + CALLBACK_ROUTE, exc.status, exc.code, exc.message, state.clock
            )
            # Whoever waits for the bot's answer (autocomplete) learns it failed.
            interaction.answered.set()
            raise
        if truthy(request.query.get("with_response")):
            return json_response(body)
        return no_content()

    def _respond(self, interaction: Interaction, payload: Any, uploads: list) -> dict[str, Any]:
        state = self._state
        if not isinstance(payload, dict):
            raise DiscordError(400, 50035, "Invalid Form Body")
        kind = payload.get("type")
        data = payload.get("data") or {}
        if kind not in CALLBACK_TYPES:
            errors = FormErrors()
            errors.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {4, 5, 6, 7, 8, 9}.")
            errors.raise_if_any()
        if kind not in ALLOWED_CALLBACKS.get(interaction.type, set()):
            errors = FormErrors()
            errors.add(
                ("type",),
                "INTERACTION_CALLBACK_TYPE_INVALID",
                f"Callback type {kind} is not valid for interaction type {interaction.type}",
            )
            errors.raise_if_any()
        limit = interaction.attachment_size_limit
        message: Message | None = None
        if kind == CHANNEL_MESSAGE:
            message = self._create(interaction, data, uploads, path=("data",))
            interaction.original_message_id = message.id
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            flags = (data.get("flags") or 0) & EPHEMERAL
            message = self._create(
                interaction, {"flags": flags}, [], extra_flags=LOADING, allow_empty=True
            )
            interaction.original_message_id = message.id
        elif kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            source = (
                state.messages.get(interaction.source_message_id)
                if interaction.source_message_id
                else None
            )
            if source is None:
                raise DiscordError(400, 40004, "This interaction has no message to update")
            if kind == UPDATE_MESSAGE:
                state.composer.check(data, uploads, limit=limit, path=("data",))
                state.composer.edit(source, data, uploads, limit=limit)
                state.dispatch_message("MESSAGE_UPDATE", source)
                message = source
            interaction.original_message_id = source.id
        elif kind == AUTOCOMPLETE_RESULT:
            errors = FormErrors()
            validate_choices(data.get("choices", []), errors)
            errors.raise_if_any()
            interaction.choices = list(data.get("choices") or [])
        elif kind == MODAL:
            errors = FormErrors()
            validate_modal(data, errors)
            errors.raise_if_any()
            interaction.modal = data
        interaction.acknowledged = True
        interaction.response_type = kind
        interaction.acknowledged_after = round(interaction.age(state.clock), 3)
        interaction.answered.set()
        details: dict[str, Any] = {
            "id": str(interaction.id),
            "type": interaction.type,
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        if interaction.original_message_id is not None and kind != AUTOCOMPLETE_RESULT:
            details["response_message_id"] = str(interaction.original_message_id)
        answer: dict[str, Any] = {"interaction": details}
        if message is not None and kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            # The spec's resource variants are the created (4) or updated (7) message only.
            answer["resource"] = {"type": kind, "message": state.render(message)}
        return answer

    def _create(
        self,
        interaction: Interaction,
        data: dict[str, Any],
        uploads: list,
        *,
        path: tuple = (),
        extra_flags: int = 0,
        allow_empty: bool = False,
        followup: bool = False,
    ) -> Message:
        state = self._state
        limit = interaction.attachment_size_limit
        state.composer.check(data, uploads, limit=limit, path=path)
        if interaction.force_ephemeral:
            # Discord makes a user-installed app's answers ephemeral where the member lacks
            # Use External Apps (topics/permissions.mdx, USE_EXTERNAL_APPS).
            data = {**data, "flags": (data.get("flags") or 0) | EPHEMERAL}
        app_id = state.world.application.id
        user = state.world.users[interaction.user_id]
        metadata = {**interaction.metadata(), "user": user.to_json()}
        if followup and interaction.original_message_id is not None:
            metadata["original_response_message_id"] = str(interaction.original_message_id)
        parent = state.interactions.get(interaction.parent_id) if interaction.parent_id else None
        if parent is not None:
            metadata["triggering_interaction_metadata"] = {
                **parent.metadata(),
                "user": state.world.users[parent.user_id].to_json(),
            }
        legacy = None
        if interaction.type == APPLICATION_COMMAND:
            # The deprecated ``interaction`` field, still read by discord.py.
            legacy = {
                "id": str(interaction.id),
                "type": interaction.type,
                "name": interaction.command_name,
                "user": user.to_json(),
            }
        flags = ((data.get("flags") or 0) | extra_flags) & EPHEMERAL
        message = state.composer.create(
            data,
            uploads,
            channel_id=interaction.channel_id,
            guild_id=interaction.guild_id,
            author_id=state.world.bot_user.id,
            limit=limit,
            message_type=CHAT_INPUT_COMMAND if interaction.type == APPLICATION_COMMAND else DEFAULT,
            extra_flags=extra_flags,
            allow_empty=allow_empty,
            webhook_id=app_id,
            application_id=app_id,
            interaction_id=interaction.id,
            interaction_metadata=metadata,
            legacy_interaction=legacy,
            visible_to=interaction.user_id if flags else None,
        )
        if not message.flags & LOADING:
            state.dispatch_message("MESSAGE_CREATE", message)
        return message

    # -- webhook ------------------------------------------------------------------------

    def _interaction(self, request: web.Request, route: str) -> Interaction:
        state = self._state
        token = request.match_info["webhook_token"]
        interaction = state.interactions.by_token.get(token)
        if interaction is None or request.match_info["webhook_id"] != str(
            state.world.application.id
        ):
            raise unknown_webhook()
        if interaction.age(state.clock) > state.config.token_lifetime:
            error = invalid_webhook_token()
            interaction.record_error(
                f"{request.method} {route}", error.status, error.code, error.message, state.clock
            )
            raise error
        return interaction

    def _message(self, interaction: Interaction, ref: str) -> Message:
        if ref == "@original":
            message_id = interaction.original_message_id
        else:
            try:
                message_id = int(ref)
            except ValueError:
                raise unknown_message() from None
            if message_id not in interaction.message_ids():
                raise unknown_message()
        message = self._state.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise unknown_message()
        return message

    async def _guarded(self, request: web.Request, route: str, action: Any) -> Any:
        interaction = self._interaction(request, route)
        try:
            return await action(interaction)
        except DiscordError as exc:
            interaction.record_error(
                f"{request.method} {route}", exc.status, exc.code, exc.message, self._state.clock
            )
            raise

    async def followup(self, request: web.Request) -> web.StreamResponse:
        """Handle ``POST /webhooks/{app}/{token}``: a followup message."""
        state = self._state

        async def action(interaction: Interaction) -> web.StreamResponse:
            payload, uploads = await read_body(request, state.config.max_request_size)
            if not interaction.acknowledged:
                raise unknown_webhook()
            payload = payload or {}
            original = (
                state.messages.get(interaction.original_message_id)
                if interaction.original_message_id
                else None
            )
            if original is not None and original.flags & LOADING:
                # Discord fills the deferred "thinking" message with the first followup.
                state.composer.edit(
                    original, payload, uploads, limit=interaction.attachment_size_limit
                )
                original.edits.clear()
                original.edited_at = None
                state.dispatch_message("MESSAGE_CREATE", original)
                message = original
            else:
                message = self._create(interaction, payload, uploads, followup=True)
            interaction.followup_ids.append(message.id)
            if truthy(request.query.get("wait")):
                return json_response(state.render(message))
            return no_content()

        return await self._guarded(request, "POST " + WEBHOOK_ROUTE, action)

    async def get_message(self, request: web.Request) -> web.StreamResponse:
        """Handle ``GET /webhooks/{app}/{token}/messages/{id|@original}``."""

        async def action(interaction: Interaction) -> web.StreamResponse:
            message = self._message(interaction, request.match_info["message_id"])
            return json_response(self._state.render(message))

        return await self._guarded(request, WEBHOOK_MESSAGE_ROUTE, action)

    async def edit_message(self, request: web.Request) -> web.StreamResponse:
        """Handle ``PATCH /webhooks/{app}/{token}/messages/{id|@original}``."""
        state = self._state

        async def action(interaction: Interaction) -> web.StreamResponse:
            payload, uploads = await read_body(request, state.config.max_request_size)
            message = self._message(interaction, request.match_info["message_id"])
            was_loading = bool(message.flags & LOADING)
            state.composer.edit(message, payload, uploads, limit=interaction.attachment_size_limit)
            state.dispatch_message("MESSAGE_CREATE" if was_loading else "MESSAGE_UPDATE", message)
            return json_response(state.render(message))

        return await self._guarded(request, WEBHOOK_MESSAGE_ROUTE, action)

    async def delete_message(self, request: web.Request) -> web.StreamResponse:
        """Handle ``DELETE /webhooks/{app}/{token}/messages/{id|@original}``."""
        state = self._state

        async def action(interaction: Interaction) -> web.StreamResponse:
            message = self._message(interaction, request.match_info["message_id"])
            message.deleted = True
            state.dispatch_delete(message)
            return no_content()

        return await self._guarded(request, WEBHOOK_MESSAGE_ROUTE, action)
