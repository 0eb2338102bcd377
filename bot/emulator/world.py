"""Users, guilds, roles, channels and members, and their Discord JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.emulator.clock import Snowflakes, iso_timestamp, snowflake_time

# Permission bits (Discord's values) the emulator reasons about.
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
# "Allows user-installed apps to send public responses" (topics/permissions.mdx).
USE_EXTERNAL_APPS = 1 << 50
ALL_PERMISSIONS = (1 << 51) - 1
# What an app may do in a DM or group DM it is not part of, and in its own bot DM
# (interactions/receiving-and-responding.mdx, footnote on ``app_permissions``).
PRIVATE_APP_PERMISSIONS = ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE
BOT_DM_APP_PERMISSIONS = PRIVATE_APP_PERMISSIONS | USE_EXTERNAL_EMOJIS
# What @everyone gets in a new Discord server.
DEFAULT_EVERYONE = sum(
    1 << bit
    for bit in (0, 6, 9, 10, 11, 14, 15, 16, 17, 18, 20, 21, 25, 26, 31, 32, 35, 36, 37, 38)
)
BOT_ROLE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | (1 << 6)
)

TEXT_CHANNEL = 0
DM_CHANNEL = 1
VOICE_CHANNEL = 2
GROUP_DM_CHANNEL = 3
CATEGORY_CHANNEL = 4
PRIVATE_TYPES = frozenset({DM_CHANNEL, GROUP_DM_CHANNEL})
# Application integration types (resources/application.mdx).
GUILD_INSTALL, USER_INSTALL = 0, 1


class WorldError(LookupError):
    """A name or id given to the control API does not exist in the world."""


@dataclass
class User:
    """A Discord account (person or bot)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    # The client language the user picked (Discord's locale codes, e.g. ``zh-CN``).
    locale: str = "en-US"
    # Whether the user added the app to their account (a user install).
    app_installed: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the user object Discord sends."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "avatar_decoration_data": None,
            "public_flags": 0,
            # Required by the spec's UserResponse; Discord sends them (null when unset).
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "collectibles": None,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    """A guild role."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    managed: bool = False
    bot_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the role object Discord sends."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Channel:
    """A guild channel, or a DM / group DM (``guild_id`` None, ``recipients`` set)."""

    id: int
    guild_id: int | None
    name: str
    type: int = TEXT_CHANNEL
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    last_message_id: int | None = None
    recipients: list[int] = field(default_factory=list)
    owner_id: int | None = None

    @property
    def private(self) -> bool:
        """Return whether this is a DM or group DM."""
        return self.type in PRIVATE_TYPES

    def private_json(self, users: dict[int, User], *, viewer: int) -> dict[str, Any]:
        """Return a DM / group DM object as ``viewer`` sees it (the others as recipients).

        The shape of ``POST /users/@me/channels`` (resources/channel.mdx, DM example).
        """
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "flags": 0,
            "recipients": [users[u].to_json() for u in self.recipients if u != viewer],
        }
        if self.type == GROUP_DM_CHANNEL:
            data.update(
                name=self.name or None,
                icon=None,
                owner_id=str(self.owner_id) if self.owner_id else None,
            )
        return data

    def to_json(self, *, with_guild: bool = True) -> dict[str, Any]:
        """Return the channel object Discord sends (GUILD_CREATE omits ``guild_id``)."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "permission_overwrites": [],
            "flags": 0,
        }
        if with_guild:
            data["guild_id"] = str(self.guild_id)
        if self.type == TEXT_CHANNEL:
            data.update(
                topic=self.topic,
                nsfw=False,
                rate_limit_per_user=0,
                last_message_id=str(self.last_message_id) if self.last_message_id else None,
            )
        elif self.type == VOICE_CHANNEL:
            data.update(bitrate=64000, user_limit=0, rtc_region=None, nsfw=False)
        return data


@dataclass
class Member:
    """A user's membership of a guild."""

    user_id: int
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: float = 0.0


@dataclass
class Guild:
    """A server with its roles, channels and members."""

    id: int
    name: str
    owner_id: int
    locale: str = "en-US"
    # None means the emulator-wide default.
    attachment_size_limit: int | None = None
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)


@dataclass
class Application:
    """The bot's application; its id equals the bot user's id, as for modern bots."""

    id: int
    name: str
    owner_id: int
    flags: int = 0


class World:
    """Everything that exists on the emulated Discord, with lookups by name or id."""

    def __init__(self, snowflakes: Snowflakes, *, bot_name: str = "Pika") -> None:
        self._ids = snowflakes
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        # DMs and group DMs, the bot's and those between users.
        self.private_channels: dict[int, Channel] = {}
        self.bot_user = self.add_user(bot_name, bot=True)
        self.application = Application(id=self.bot_user.id, name=bot_name, owner_id=0)

    # -- building -----------------------------------------------------------------------

    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        """Create a user; usernames are unique, like on Discord."""
        if any(u.username == username for u in self.users.values()):
            raise ValueError(f"user {username!r} already exists")
        user = User(id=self._ids.world(), username=username, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        owner: User,
        *,
        shard: tuple[int, int] | None = None,
        install: bool = True,
    ) -> Guild:
        """Create a guild with its @everyone role; the owner (and, if ``install``, the bot) join.

        ``shard=(shard_id, shard_count)`` picks an id whose events go to that shard.
        """
        if any(g.name == name for g in self.guilds.values()):
            raise ValueError(f"guild {name!r} already exists")
        guild_id = self._ids.world(shard=shard)
        guild = Guild(id=guild_id, name=name, owner_id=owner.id)
        guild.roles[guild_id] = Role(
            id=guild_id, guild_id=guild_id, name="@everyone", permissions=DEFAULT_EVERYONE
        )
        self.guilds[guild_id] = guild
        self.add_member(guild, owner)
        if install:
            self.install_bot(guild)
        else:
            # New servers let user-installed apps answer publicly (the 2024-06-27 changelog).
            self.set_use_external_apps(guild, True)
        return guild

    def install_bot(self, guild: Guild) -> Member:
        """Add the bot to a guild with its managed role, as the OAuth2 bot install does."""
        bot_role = self.add_role(guild, self.bot_user.username, permissions=BOT_ROLE_PERMISSIONS)
        bot_role.managed = True
        bot_role.bot_id = self.bot_user.id
        return self.add_member(guild, self.bot_user, roles=[bot_role])

    def add_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        members: list[User] | None = None,
        color: int = 0,
    ) -> Role:
        """Create a role in a guild and give it to ``members``."""
        role = Role(
            id=self._ids.world(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            color=color,
        )
        guild.roles[role.id] = role
        for user in members or []:
            self.member(guild, user.id).roles.append(role.id)
        return role

    def add_channel(self, guild: Guild, name: str, *, type: int = TEXT_CHANNEL) -> Channel:
        """Create a channel in a guild."""
        channel = Channel(
            id=self._ids.world(),
            guild_id=guild.id,
            name=name,
            type=type,
            position=len(guild.channels),
        )
        guild.channels[channel.id] = channel
        return channel

    def add_member(self, guild: Guild, user: User, *, roles: list[Role] | None = None) -> Member:
        """Make a user a member of a guild."""
        member = Member(
            user_id=user.id,
            guild_id=guild.id,
            roles=[r.id for r in roles or []],
            joined_at=snowflake_time(guild.id),
        )
        guild.members[user.id] = member
        return member

    # -- lookups ------------------------------------------------------------------------

    def user(self, ref: str | int) -> User:
        """Find a user by id or username."""
        found = _by_ref(self.users, ref, lambda u: (u.username, u.global_name))
        if found is None:
            raise WorldError(f"no user {ref!r}")
        return found

    def guild(self, ref: str | int | None = None) -> Guild:
        """Find a guild by id or name; None means the first guild."""
        if ref is None:
            if not self.guilds:
                raise WorldError("the world has no guild")
            return next(iter(self.guilds.values()))
        found = _by_ref(self.guilds, ref, lambda g: (g.name,))
        if found is None:
            raise WorldError(f"no guild {ref!r}")
        return found

    def channel(
        self, ref: str | int, guild: Guild | str | int | None = None, *, open_dms: bool = False
    ) -> Channel:
        """Find a channel by id, or by name in ``guild`` or any guild (the first guild first).

        Names are ``general``, ``#general`` or ``Guild name/general`` (channel names cannot
        hold a slash, guild names can, so the last slash splits them). ``@alice`` is the
        bot's DM with alice and ``@alice+bob`` the DM between them, once opened (or opened
        now, with ``open_dms``).
        """
        if isinstance(ref, str) and ref.startswith("@"):
            people = [self.user(u) for u in ref[1:].split("+")]
            found = self.find_private(people)
            if found is None and open_dms:
                found = self.open_private(people)
            if found is None:
                raise WorldError(f"no DM {ref!r} is open")
            return found
        if (isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit())) and int(
            ref
        ) in self.private_channels:
            return self.private_channels[int(ref)]
        if isinstance(ref, str):
            if "/" in ref and guild is None:
                guild_ref, _, ref = ref.rpartition("/")
                guild = self.guild(guild_ref)
            ref = ref.removeprefix("#")
        if guild is not None and not isinstance(guild, Guild):
            guild = self.guild(guild)
        guilds = [guild] if guild else list(self.guilds.values())
        for g in guilds:
            found = _by_ref(g.channels, ref, lambda c: (c.name,))
            if found is not None:
                return found
        raise WorldError(f"no channel {ref!r}")

    def role(self, ref: str | int, guild: Guild) -> Role:
        """Find a role of ``guild`` by id or name."""
        if isinstance(ref, str):
            ref = ref.removeprefix("@") if ref != "@everyone" else ref
        found = _by_ref(guild.roles, ref, lambda r: (r.name,))
        if found is None:
            raise WorldError(f"no role {ref!r} in {guild.name!r}")
        return found

    def member(self, guild: Guild, user_id: int) -> Member:
        """Return a user's membership of ``guild``."""
        try:
            return guild.members[user_id]
        except KeyError:
            raise WorldError(f"user {user_id} is not a member of {guild.name!r}") from None

    def channel_by_id(self, channel_id: int) -> Channel | None:
        """Return the channel with this id in any guild, or the DM / group DM."""
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return self.private_channels.get(channel_id)

    # -- DMs ----------------------------------------------------------------------------

    def find_private(self, users: list[User]) -> Channel | None:
        """Return the DM of ``users`` (one user: their DM with the bot), if it is open."""
        wanted = {u.id for u in users}
        if len(wanted) == 1:
            wanted.add(self.bot_user.id)
        for channel in self.private_channels.values():
            if set(channel.recipients) == wanted:
                return channel
        return None

    def open_private(self, users: list[User], *, name: str = "") -> Channel:
        """Open (or return) the DM of ``users``; one user means their DM with the bot.

        Two people make a DM (type 1), three or more a group DM (type 3), as on Discord.
        """
        found = self.find_private(users)
        if found is not None:
            return found
        recipients = list(dict.fromkeys(u.id for u in users))
        if len(recipients) == 1:
            recipients.append(self.bot_user.id)
        if len(recipients) < 2:
            raise ValueError("a DM needs two people")
        kind = DM_CHANNEL if len(recipients) == 2 else GROUP_DM_CHANNEL
        channel = Channel(
            id=self._ids.world(),
            guild_id=None,
            name=name if kind == GROUP_DM_CHANNEL else "",
            type=kind,
            recipients=recipients,
            owner_id=recipients[0] if kind == GROUP_DM_CHANNEL else None,
        )
        self.private_channels[channel.id] = channel
        return channel

    def bot_can_see(self, channel: Channel) -> bool:
        """Return whether the bot user may use a channel's routes at all.

        Guild channels need the bot in the guild (no overwrites are emulated); DMs need
        the bot among the recipients.
        """
        if channel.private:
            return self.bot_user.id in channel.recipients
        guild = self.guilds.get(channel.guild_id) if channel.guild_id else None
        return guild is not None and self.bot_user.id in guild.members

    def installed(self, guild: Guild) -> bool:
        """Return whether the app's bot is in the guild (a guild install)."""
        return self.bot_user.id in guild.members

    # -- permissions --------------------------------------------------------------------

    def set_use_external_apps(self, guild: Guild, allowed: bool) -> None:
        """Grant or take ``USE_EXTERNAL_APPS`` from @everyone (new servers have it)."""
        everyone = guild.roles[guild.id]
        if allowed:
            everyone.permissions |= USE_EXTERNAL_APPS
        else:
            everyone.permissions &= ~USE_EXTERNAL_APPS

    def permissions(self, guild: Guild, user_id: int) -> int:
        """Return a member's guild permissions (owner and administrators get all)."""
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = self.member(guild, user_id)
        value = guild.roles[guild.id].permissions
        for role_id in member.roles:
            role = guild.roles.get(role_id)
            if role is not None:
                value |= role.permissions
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return value

    # -- JSON ---------------------------------------------------------------------------

    def member_json(
        self, guild: Guild, member: Member, *, with_user: bool = True, permissions: bool = False
    ) -> dict[str, Any]:
        """Return the guild member object Discord sends."""
        data: dict[str, Any] = {
            "roles": [str(r) for r in member.roles],
            "nick": member.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso_timestamp(member.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.users[member.user_id].to_json()
        if permissions:
            data["permissions"] = str(self.permissions(guild, member.user_id))
        return data

    def guild_json(self, guild: Guild) -> dict[str, Any]:
        """Return the guild object of ``GET /guilds/{id}``."""
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.to_json() for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": guild.locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "max_presences": None,
            "region": "deprecated",
            "application_id": None,
            "home_header": None,
            "widget_enabled": False,
            "widget_channel_id": None,
            "nsfw": False,
            "incidents_data": None,
        }

    def guild_create_json(self, guild: Guild) -> dict[str, Any]:
        """Return the GUILD_CREATE payload: the guild plus channels, members and the rest."""
        data = self.guild_json(guild)
        bot_member = guild.members.get(self.bot_user.id)
        data.update(
            joined_at=iso_timestamp(bot_member.joined_at if bot_member else guild.id),
            large=False,
            unavailable=False,
            member_count=len(guild.members),
            voice_states=[],
            members=[self.member_json(guild, m) for m in guild.members.values()],
            channels=[c.to_json(with_guild=False) for c in guild.channels.values()],
            threads=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data

    def application_json(self) -> dict[str, Any]:
        """Return the application object of ``GET /oauth2/applications/@me``."""
        owner = self.users.get(self.application.owner_id)
        return {
            "id": str(self.application.id),
            "name": self.application.name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.application.flags,
            "owner": owner.to_json() if owner else self.bot_user.to_json(),
            "team": None,
            "bot": self.bot_user.to_json(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
            "approximate_user_install_count": sum(u.app_installed for u in self.users.values()),
            "approximate_user_authorization_count": 0,
            "integration_types_config": {"0": {}, "1": {}},
            "flags_new": str(self.application.flags),
            "role_connections_verification_url": None,
            "explicit_content_filter": 0,
            "eligible_oauth2_scopes": [],
        }

    def summary(self) -> dict[str, Any]:
        """Return the whole world for the control API."""
        return {
            "application": {
                "id": str(self.application.id),
                "name": self.application.name,
                "owner_id": str(self.application.owner_id),
            },
            "bot": self.bot_user.to_json(),
            "users": [
                {**u.to_json(), "locale": u.locale, "app_installed": u.app_installed}
                for u in self.users.values()
            ],
            "private_channels": [
                {
                    **c.private_json(self.users, viewer=0),
                    "name": c.name or None,
                    "bot_is_member": self.bot_user.id in c.recipients,
                }
                for c in self.private_channels.values()
            ],
            "guilds": [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "owner_id": str(g.owner_id),
                    "attachment_size_limit": g.attachment_size_limit,
                    "preferred_locale": g.locale,
                    "installed": self.installed(g),
                    "roles": [
                        {
                            **r.to_json(),
                            "members": [
                                str(m.user_id) for m in g.members.values() if r.id in m.roles
                            ],
                        }
                        for r in g.roles.values()
                    ],
                    "channels": [c.to_json() for c in g.channels.values()],
                    "members": [
                        self.member_json(g, m, permissions=True) for m in g.members.values()
                    ],
                }
                for g in self.guilds.values()
            ],
        }


def seed_world(world: World, *, guild_name: str = "Test Server") -> None:
    """Build the default world: owner, alice, bob, Supporter, #general, #videos."""
    owner = world.add_user("owner", global_name="Owner")
    alice = world.add_user("alice", global_name="Alice")
    bob = world.add_user("bob", global_name="Bob")
    world.application.owner_id = owner.id
    guild = world.add_guild(guild_name, owner)
    world.add_member(guild, alice)
    world.add_member(guild, bob)
    world.add_role(guild, "Supporter", members=[bob], color=0xF1C40F)
    world.add_channel(guild, "general")
    world.add_channel(guild, "videos")


def seed_extra_guilds(world: World) -> None:
    """Add two more servers on shards 1 and 2 of 3 (the default one is on shard 0 of 3).

    "Art Club" (owner erin; alice, frank; role Artist held by alice; #general, #gallery) and
    "Film Club" (owner frank; bob, erin; role Director held by bob; #general, #premieres),
    and "Outside" (owner grace; alice, bob; #general, #lounge) where the app is not
    installed, but alice has added it to her account (a user install).
    """
    erin = world.add_user("erin", global_name="Erin")
    frank = world.add_user("frank", global_name="Frank")
    alice, bob = world.user("alice"), world.user("bob")
    art = world.add_guild("Art Club", erin, shard=(1, 3))
    for user in (alice, frank):
        world.add_member(art, user)
    world.add_role(art, "Artist", members=[alice], color=0x9B59B6)
    world.add_channel(art, "general")
    world.add_channel(art, "gallery")
    film = world.add_guild("Film Club", frank, shard=(2, 3))
    for user in (bob, erin):
        world.add_member(film, user)
    world.add_role(film, "Director", members=[bob], color=0xE67E22)
    world.add_channel(film, "general")
    world.add_channel(film, "premieres")
    grace = world.add_user("grace", global_name="Grace")
    outside = world.add_guild("Outside", grace, install=False)
    for user in (alice, bob):
        world.add_member(outside, user)
    world.add_channel(outside, "general")
    world.add_channel(outside, "lounge")
    alice.app_installed = True


def _by_ref(items: dict[int, Any], ref: str | int, names: Any) -> Any:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        found = items.get(int(ref))
        if found is not None:
            return found
    if isinstance(ref, str):
        for item in items.values():
            if ref in names(item):
                return item
    return None
