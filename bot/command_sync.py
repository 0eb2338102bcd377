"""Sync the slash command tree only when its shape changed, so restarts don't get rate limited."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from discord import app_commands

log = logging.getLogger(__name__)


async def tree_payload(tree: app_commands.CommandTree) -> list[dict[str, Any]]:
    """What ``tree.sync()`` sends for the global commands, translations included.

    With a translator set, discord.py syncs ``get_translated_payload`` (the names and
    descriptions with their ``*_localizations``), not ``to_dict``; hashing the same payload
    means a changed translation is synced too.
    """
    translator = tree.translator
    commands = tree.get_commands()
    if translator is None:
        return [command.to_dict(tree) for command in commands]
    return [await command.get_translated_payload(tree, translator) for command in commands]


async def tree_fingerprint(tree: app_commands.CommandTree) -> str:
    """Hash what Discord would be told about the global commands."""
    payload = sorted(await tree_payload(tree), key=lambda c: c["name"])
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class SyncState:
    """Remembers, per Discord API and application, the fingerprint last synced."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _load(self) -> dict[str, str]:
        try:
            state = json.loads(self._path.read_text())
            return {str(key): str(value) for key, value in state.items()}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("Ignoring unreadable command sync state at %s", self._path)
            return {}

    def is_current(self, key: str, fingerprint: str) -> bool:
        return self._load().get(key) == fingerprint

    def remember(self, key: str, fingerprint: str) -> None:
        state = self._load()
        state[key] = fingerprint
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=1))
        temporary.replace(self._path)


async def sync_if_changed(
    tree: app_commands.CommandTree, state: SyncState, key: str, *, force: bool = False
) -> bool:
    """Sync the global commands when they changed (or when forced); return whether it synced."""
    fingerprint = await tree_fingerprint(tree)
    if not force and state.is_current(key, fingerprint):
        log.info("Slash commands unchanged; not syncing")
        return False
    synced = await tree.sync()
    state.remember(key, fingerprint)
    log.info("Synced %d slash commands", len(synced))
    return True
