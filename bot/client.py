"""The bot: receives its dependencies, loads the cogs, registers persistent buttons."""

from __future__ import annotations

import logging
import types
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot import metrics
from bot.command_sync import SyncState, sync_if_changed
from bot.config import Settings
from bot.deps import Dependencies
from bot.domain.operations import Operation
from bot.errors import ShuttingDown
from bot.extensions import EXTENSIONS
from bot.pika.capabilities import Capabilities
from bot.ui.buttons import DYNAMIC_ITEMS
from bot.ui.command_text import CatalogTranslator
from bot.ui.errors import report_interaction_error

log = logging.getLogger(__name__)


class PikaCommandTree(app_commands.CommandTree["PikaBot"]):
    """The command tree with the bot's one error handler and its shutdown gate."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if self.client.shutting_down:
            if interaction.type is discord.InteractionType.autocomplete:
                return False
            raise ShuttingDown()
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CheckFailure) and isinstance(
            error.__cause__, ShuttingDown
        ):
            error = error.__cause__  # type: ignore[assignment]
        await report_interaction_error(interaction, error)


def _count_rate_limits() -> aiohttp.TraceConfig:
    """Count Discord's 429s for /metrics (discord.py waits them out by itself)."""

    async def on_end(
        session: aiohttp.ClientSession,
        context: types.SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if params.response.status == 429:
            metrics.DISCORD_429.inc()

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_end)
    return trace


def drop_unsupported(tree: app_commands.CommandTree[Any], capabilities: Capabilities) -> None:
    """Take the commands the provider cannot serve out of the tree, before they are synced."""
    for command in tree.get_commands():
        name = command.name
        if name in Operation._value2member_map_ and not capabilities.supports(Operation(name)):
            tree.remove_command(name)


class PikaBot(commands.AutoShardedBot):
    """The Discord side of the bot; everything it works with is built once and handed in.

    ``wire`` builds the dependencies from the bot (the Discord outlet needs the client), in
    order, exactly once; see ``bot.__main__``.
    """

    def __init__(
        self,
        settings: Settings,
        wire: Callable[[PikaBot], Dependencies],
        *,
        extensions: tuple[str, ...] = EXTENSIONS,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=PikaCommandTree,
            # Members may install the app on their own account too (Discord's user installs):
            # every command works in servers, the bot's DM and group DMs, except /admin.
            allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
            allowed_contexts=app_commands.AppCommandContext(
                guild=True, dm_channel=True, private_channel=True
            ),
            help_command=None,
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
            http_trace=_count_rate_limits(),
            # Each process connects its own shards (SHARD_IDS of SHARD_COUNT); a server's
            # interactions arrive on its shard, while any process may edit and post (REST).
            shard_count=settings.shard_count or 1,
            # None: every shard of the count (discord.py's default, though typed as a list).
            shard_ids=settings.shard_ids,  # type: ignore[arg-type]
        )
        self.gateway_up = False
        self.settings = settings
        self.shutting_down = False
        self._extensions = extensions + tuple(settings.extra_extensions)
        self._sync_state = SyncState(settings.database_path.parent / "command-sync.json")
        self.deps = wire(self)

    @property
    def sync_key(self) -> str:
        return f"{self.settings.discord_api_base}#{self.application_id}"

    async def setup_hook(self) -> None:
        self._learn_owners()
        for extension in self._extensions:
            try:
                await self.load_extension(extension)
            except Exception:
                log.exception("Failed to load extension %s", extension)
        drop_unsupported(self.tree, self.deps.capabilities)
        # Before the sync: the command names and descriptions go to Discord in every language.
        await self.tree.set_translator(CatalogTranslator())
        for item in self.dynamic_items():
            self.add_dynamic_items(item)
        if self.settings.shard_ids is None or 0 in self.settings.shard_ids:
            # One process syncs the commands (they are the application's, not a shard's).
            await sync_if_changed(self.tree, self._sync_state, self.sync_key)
        await self.deps.admin.prepare_personal_use(self.settings.quota_personal_allowance)
        await self.deps.engine.start()

    def _learn_owners(self) -> None:
        """Who owns the bot, from the application fetched at login (discord.py's rule: the
        owner, or a team's admins and developers).

        Left to ``is_owner``, the first commands after a start would each ask Discord at once
        before any answer was cached: a burst of them was rate limited past the 3 s in which
        an interaction must be acknowledged.
        """
        app = self.application
        if app is None or self.owner_id or self.owner_ids:
            return
        if app.team:
            self.owner_ids = {
                member.id
                for member in app.team.members
                if member.role in (discord.TeamMemberRole.admin, discord.TeamMemberRole.developer)
            }
        else:
            self.owner_id = app.owner.id

    async def close(self) -> None:
        self.shutting_down = True
        await self.deps.engine.stop()
        await super().close()

    def dynamic_items(self) -> list[Any]:
        """Persistent button types to register, so buttons work after any restart."""
        return list(DYNAMIC_ITEMS)

    async def sync_commands(self) -> int:
        """Sync now, whatever the stored fingerprint says (the owner's command)."""
        await sync_if_changed(self.tree, self._sync_state, self.sync_key, force=True)
        return len(self.tree.get_commands())

    async def on_connect(self) -> None:
        self.gateway_up = True

    async def on_resumed(self) -> None:
        self.gateway_up = True

    async def on_disconnect(self) -> None:
        self.gateway_up = False

    async def on_ready(self) -> None:
        self.gateway_up = True
        log.info(
            "Logged in as %s (%s) in %d guilds on shards %s of %s",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
            ",".join(str(i) for i in sorted(self.shards)),
            self.shard_count,
        )

    async def begin_shutdown(self) -> None:
        """Stop taking commands, let the work in progress settle, then disconnect."""
        if self.shutting_down:
            return
        log.info("Shutting down: no new commands are taken")
        await self.close()
