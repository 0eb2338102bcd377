"""The application's synced commands, global and per guild, as Discord stores them."""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable
from typing import Any

from bot.emulator.errors import DiscordError, FormErrors
from bot.emulator.validation import validate_command

SUBCOMMAND = 1
SUBCOMMAND_GROUP = 2
MAX_COMMANDS = 100


class CommandStore:
    """Commands per scope (``None`` = global, else a guild id), keyed by (type, name)."""

    def __init__(self, application_id: int, new_id: Callable[[], int]) -> None:
        self._application_id = application_id
        self._new_id = new_id
        self._scopes: dict[int | None, dict[tuple[int, str], dict[str, Any]]] = {}

    def list(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Return the commands of one scope, as Discord returns them."""
        return [copy.deepcopy(c) for c in self._scopes.get(guild_id, {}).values()]

    def all(self) -> dict[str, Any]:
        """Return every scope for the control API."""
        return {
            "global": self.list(None),
            "guilds": {str(g): self.list(g) for g in self._scopes if g is not None},
        }

    def overwrite(
        self, definitions: Any, guild_id: int | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Replace a scope's commands (``PUT``); ids survive for commands that stay."""
        if not isinstance(definitions, list):
            raise DiscordError(
                400,
                50035,
                "Invalid Form Body",
                errors={
                    "_errors": [
                        {"code": "BASE_TYPE_ARRAY", "message": "Could not interpret as array."}
                    ]
                },
            )
        errors = FormErrors()
        seen: set[tuple[int, str]] = set()
        for i, definition in enumerate(definitions):
            validate_command(definition, errors, (i,))
            if isinstance(definition, dict):
                key = (definition.get("type", 1), definition.get("name"))
                if key in seen:
                    errors.add(
                        (i, "name"),
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        f"Application command names must be unique: {key[1]}",
                    )
                seen.add(key)  # type: ignore[arg-type]
        if (
            sum(1 for d in definitions if isinstance(d, dict) and d.get("type", 1) == 1)
            > MAX_COMMANDS
        ):
            errors.add((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
        errors.raise_if_any()
        old = self._scopes.get(guild_id, {})
        scope: dict[tuple[int, str], dict[str, Any]] = {}
        for definition in definitions:
            key = (definition.get("type", 1), definition["name"])
            previous = old.get(key)
            scope[key] = self._stored(definition, guild_id, previous)
        self._scopes[guild_id] = scope
        return self.list(guild_id)

    def upsert(self, definition: Any, guild_id: int | None = None) -> tuple[dict[str, Any], bool]:
        """Create or replace one command (``POST``); return it and whether it is new."""
        errors = FormErrors()
        validate_command(definition, errors, ())
        errors.raise_if_any()
        scope = self._scopes.setdefault(guild_id, {})
        key = (definition.get("type", 1), definition["name"])
        previous = scope.get(key)
        scope[key] = self._stored(definition, guild_id, previous)
        return copy.deepcopy(scope[key]), previous is None

    def get(self, command_id: int, guild_id: int | None = None) -> dict[str, Any]:
        """Return one command by id or raise Discord's 10063."""
        for command in self._scopes.get(guild_id, {}).values():
            if int(command["id"]) == command_id:
                return copy.deepcopy(command)
        raise DiscordError(404, 10063, "Unknown application command")

    def delete(self, command_id: int, guild_id: int | None = None) -> None:
        """Delete one command by id or raise Discord's 10063."""
        scope = self._scopes.get(guild_id, {})
        for key, command in list(scope.items()):
            if int(command["id"]) == command_id:
                del scope[key]
                return
        raise DiscordError(404, 10063, "Unknown application command")

    def find(self, name: str, guild_id: int | None, *, type: int = 1) -> dict[str, Any] | None:
        """Return the command a user in ``guild_id`` sees under ``name`` (guild first)."""
        if guild_id is not None:
            found = self._scopes.get(guild_id, {}).get((type, name))
            if found is not None:
                return found
        return self._scopes.get(None, {}).get((type, name))

    def clear(self) -> None:
        """Forget every command."""
        self._scopes.clear()

    def _stored(
        self, definition: dict[str, Any], guild_id: int | None, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        permissions = definition.get("default_member_permissions")
        stored: dict[str, Any] = {
            "id": previous["id"] if previous else str(self._new_id()),
            "application_id": str(self._application_id),
            "version": str(self._new_id()),
            "type": definition.get("type", 1),
            "name": definition["name"],
            "name_localizations": definition.get("name_localizations"),
            "description": definition.get("description", ""),
            "description_localizations": definition.get("description_localizations"),
            "default_member_permissions": str(permissions) if permissions is not None else None,
            "nsfw": bool(definition.get("nsfw", False)),
            "contexts": definition.get("contexts"),
            # Discord answers [0] (guild install) when a definition leaves it out or null.
            "integration_types": definition.get("integration_types") or [0],
        }
        if definition.get("options"):
            stored["options"] = copy.deepcopy(definition["options"])
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        else:
            stored["dm_permission"] = definition.get("dm_permission", True)
        return stored


def command_leaf(
    command: dict[str, Any], path: list[str]
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """Walk ``path`` (group and/or subcommand names) and return (leaf options, chain).

    ``chain`` lists the (option type, name) of each group/subcommand walked, outermost first.
    Raises ``LookupError`` if the path does not exist or does not end at something invocable.
    """
    options = command.get("options") or []
    chain: list[tuple[int, str]] = []
    for name in path:
        found = next(
            (
                o
                for o in options
                if o.get("type") in (SUBCOMMAND, SUBCOMMAND_GROUP) and o["name"] == name
            ),
            None,
        )
        if found is None:
            raise LookupError(f"/{command['name']} has no subcommand {name!r}")
        chain.append((found["type"], name))
        options = found.get("options") or []
    if (chain and chain[-1][0] == SUBCOMMAND_GROUP) or (
        not chain and any(o.get("type") in (SUBCOMMAND, SUBCOMMAND_GROUP) for o in options)
    ):
        names = [o["name"] for o in options]
        raise LookupError(f"/{command['name']} needs a subcommand, one of {names}")
    return options, chain
