"""Where a command may run: interaction contexts, installation contexts and their owners.

Discord's rules, from interactions/receiving-and-responding.mdx ("Interaction Context Types",
"Authorizing Integration Owners Object") and interactions/application-commands.mdx
("Contexts"), and the 2024-06-27 changelog ("User-Installed Apps General Availability"):

- ``context`` is 0 in a server, 1 in the DM with the app's bot user, 2 in any other DM or
  group DM.
- A command may run in a context when that context is in its ``contexts`` (absent: every
  context; the deprecated ``dm_permission: false`` removes the bot DM) and one of its
  ``integration_types`` (absent: ``[0]``, guild install) is installed for that place: the
  guild install counts in a server that has the bot and in the bot DM, the user install
  counts wherever the invoking user has added the app. Guild-scoped commands run only in
  their server, with the bot in it.
- ``authorizing_integration_owners`` has key ``"0"`` (the guild id, or ``"0"`` in the bot DM)
  and/or ``"1"`` (the authorizing user's id) for each installation that applies.
- Where only the user install applies in a server, a member without ``USE_EXTERNAL_APPS``
  gets the app's responses as ephemeral messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.emulator.world import (
    BOT_DM_APP_PERMISSIONS,
    GUILD_INSTALL,
    PRIVATE_APP_PERMISSIONS,
    USE_EXTERNAL_APPS,
    USER_INSTALL,
    Channel,
    Guild,
    User,
    World,
)

GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2
ALL_CONTEXTS = (GUILD, BOT_DM, PRIVATE_CHANNEL)


class NotAvailable(Exception):
    """The command is not offered to this user in this place (Discord's client hides it)."""


@dataclass(frozen=True)
class Place:
    """Where a user acts: the channel, its server (if any) and what that makes the context."""

    user: User
    channel: Channel
    guild: Guild | None
    context: int
    # Installations of the app that apply here: GUILD_INSTALL and/or USER_INSTALL.
    installs: frozenset[int]

    def owners(self, integration_types: frozenset[int] | None = None) -> dict[str, str]:
        """Return ``authorizing_integration_owners`` for the installs a command uses."""
        used = self.installs if integration_types is None else self.installs & integration_types
        owners: dict[str, str] = {}
        if GUILD_INSTALL in used:
            owners["0"] = str(self.guild.id) if self.guild is not None else "0"
        if USER_INSTALL in used:
            owners["1"] = str(self.user.id)
        return owners


def place_of(world: World, user: User, channel: Channel) -> Place:
    """Work out the context and the applicable installs of ``user`` acting in ``channel``."""
    installs: set[int] = set()
    if user.app_installed:
        installs.add(USER_INSTALL)
    if channel.private:
        if user.id not in channel.recipients:
            raise LookupError(f"{user.username} is not in that DM")
        if world.bot_user.id in channel.recipients:
            installs.add(GUILD_INSTALL)
            return Place(user, channel, None, BOT_DM, frozenset(installs))
        return Place(user, channel, None, PRIVATE_CHANNEL, frozenset(installs))
    assert channel.guild_id is not None
    guild = world.guilds[channel.guild_id]
    if world.installed(guild):
        installs.add(GUILD_INSTALL)
    return Place(user, channel, guild, GUILD, frozenset(installs))


def command_installs(command: dict) -> frozenset[int]:
    """Return a stored command's ``integration_types`` (Discord's default: guild install)."""
    value = command.get("integration_types")
    return frozenset(value) if value else frozenset({GUILD_INSTALL})


def command_contexts(command: dict) -> frozenset[int]:
    """Return a stored command's ``contexts`` (absent: all, less the bot DM if
    ``dm_permission`` is false)."""
    value = command.get("contexts")
    if value is not None:
        return frozenset(value)
    if command.get("dm_permission") is False:
        return frozenset({GUILD, PRIVATE_CHANNEL})
    return frozenset(ALL_CONTEXTS)


def check_available(command: dict, place: Place) -> frozenset[int]:
    """Raise NotAvailable unless ``command`` may run at ``place``; return the installs used."""
    name = command.get("name")
    if command.get("guild_id") is not None:
        if place.guild is None or str(place.guild.id) != str(command["guild_id"]):
            raise NotAvailable(f"/{name} is a command of another server")
        if GUILD_INSTALL not in place.installs:
            raise NotAvailable(f"/{name} needs the bot in the server")
        return frozenset({GUILD_INSTALL})
    if place.context not in command_contexts(command):
        raise NotAvailable(f"/{name} is not offered in interaction context {place.context}")
    used = command_installs(command) & place.installs
    if place.context == PRIVATE_CHANNEL:
        used &= {USER_INSTALL}
    if not used:
        raise NotAvailable(
            f"/{name} (integration_types {sorted(command_installs(command))}) is not installed "
            f"where {place.user.username} is (installs here: {sorted(place.installs)})"
        )
    return used


def app_permissions(world: World, place: Place) -> int:
    """Return ``app_permissions``: the bot's in a server that has it, else what Discord lets
    a user-installed app do (in a server: what @everyone may; in DMs: the documented set)."""
    if place.context == BOT_DM:
        return BOT_DM_APP_PERMISSIONS
    if place.context == PRIVATE_CHANNEL:
        return PRIVATE_APP_PERMISSIONS
    assert place.guild is not None
    if GUILD_INSTALL in place.installs:
        return world.permissions(place.guild, world.bot_user.id)
    return place.guild.roles[place.guild.id].permissions


def forced_ephemeral(world: World, place: Place, used: frozenset[int]) -> bool:
    """Return whether Discord makes the app's responses ephemeral here: a server reached only
    through the user install, by a member who lacks ``USE_EXTERNAL_APPS``."""
    if place.context != GUILD or place.guild is None or GUILD_INSTALL in used:
        return False
    return not world.permissions(place.guild, place.user.id) & USE_EXTERNAL_APPS
