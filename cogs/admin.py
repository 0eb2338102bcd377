"""/admin: what the server's staff control (Manage Server only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.errors import BadInput, NotAllowed
from bot.jobs.accounts import ServerAdmin
from bot.store import BlockedWordsFull
from bot.ui import render
from bot.ui.inputs import split_words
from bot.ui.words import credits as credits_words

if TYPE_CHECKING:
    from bot.client import PikaBot

Credits = app_commands.Range[int, 0, 1_000_000]
PERIODS = [app_commands.Choice(name=p.value, value=p.value) for p in QuotaPeriod]
OPERATIONS = [
    app_commands.Choice(name=render.operation_label(op), value=op.value) for op in Operation
]


def _credits(count: int | None) -> str:
    return "the default" if count is None else credits_words(count)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
@app_commands.allowed_installs(guilds=True, users=False)
class Admin(
    commands.GroupCog,
    group_name="admin",
    group_description="Server staff: credits, limits and usage",
):
    allowance = app_commands.Group(name="allowance", description="Credits members get per period")
    unlimited = app_commands.Group(name="unlimited", description="Members or roles without limits")
    blocked_words = app_commands.Group(
        name="blocked-words", description="Words and phrases refused in every prompt here"
    )

    def __init__(self, bot: PikaBot, admin: ServerAdmin) -> None:
        self.bot = bot
        self.admin = admin
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise NotAllowed("Use /admin in a server.")
        if not interaction.permissions.manage_guild and not await self.bot.is_owner(
            interaction.user
        ):
            raise NotAllowed("You need the Manage Server permission to use /admin.")
        return True

    async def _done(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(f"✅ {text}", ephemeral=True)

    @staticmethod
    def _guild(interaction: discord.Interaction) -> int:
        assert interaction.guild_id is not None  # guild_only, and checked above
        return interaction.guild_id

    @blocked_words.command(name="add", description="Refuse a word or phrase in every prompt")
    @app_commands.describe(words="One or more, separated by commas (a phrase may have spaces)")
    async def blocked_words_add(self, interaction: discord.Interaction, words: str) -> None:
        try:
            added = await self.admin.block_words(
                self._guild(interaction), split_words(words), interaction.user.id
            )
        except BlockedWordsFull as full:
            raise BadInput(render.blocked_words_full(full.args[0])) from None
        await self._done(interaction, render.blocked_words_added(added))

    @blocked_words.command(name="remove", description="Allow a blocked word or phrase again")
    @app_commands.describe(words="One or more, separated by commas")
    async def blocked_words_remove(self, interaction: discord.Interaction, words: str) -> None:
        removed = await self.admin.unblock_words(self._guild(interaction), split_words(words))
        await self._done(interaction, render.blocked_words_removed(removed))

    @blocked_words.command(name="list", description="The words and phrases refused here")
    async def blocked_words_list(self, interaction: discord.Interaction) -> None:
        words = await self.admin.blocked_words(self._guild(interaction))
        await interaction.response.send_message(
            embed=render.blocked_words_embed(words), ephemeral=True
        )

    @app_commands.command(name="cost", description="What an operation costs in credits")
    @app_commands.choices(operation=OPERATIONS)
    async def cost(
        self, interaction: discord.Interaction, operation: str, credits: Credits
    ) -> None:
        await self.admin.set_cost(self._guild(interaction), Operation(operation), credits)
        await self._done(
            interaction, f"{render.operation_label(operation)} now costs {_credits(credits)}."
        )

    @allowance.command(name="guild", description="Credits every member gets per period")
    @app_commands.choices(period=PERIODS)
    async def allowance_guild(
        self, interaction: discord.Interaction, credits: Credits, period: str | None = None
    ) -> None:
        settings = await self.admin.set_member_allowance(
            self._guild(interaction), credits, QuotaPeriod(period) if period else None
        )
        await self._done(
            interaction, f"Members get {_credits(credits)} per {settings.period.value}."
        )

    @allowance.command(
        name="role",
        description="Credits for members with a role (the most generous of their roles applies)",
    )
    @app_commands.describe(credits="Leave out to remove the role's allowance")
    async def allowance_role(
        self, interaction: discord.Interaction, role: discord.Role, credits: Credits | None = None
    ) -> None:
        await self.admin.set_role_allowance(self._guild(interaction), role.id, credits)
        await self._done(interaction, f"{role.mention} gets {_credits(credits)} per period.")

    @allowance.command(name="user", description="Credits for one member, whatever their roles")
    @app_commands.describe(credits="Leave out to remove the member's override")
    async def allowance_user(
        self, interaction: discord.Interaction, user: discord.User, credits: Credits | None = None
    ) -> None:
        await self.admin.set_user_allowance(self._guild(interaction), user.id, credits)
        await self._done(interaction, f"{user.mention} gets {_credits(credits)} per period.")

    @unlimited.command(name="role", description="Let a role make videos without limits")
    async def unlimited_role(
        self, interaction: discord.Interaction, role: discord.Role, enabled: bool
    ) -> None:
        await self.admin.set_role_unlimited(self._guild(interaction), role.id, enabled)
        await self._done(
            interaction, f"{role.mention} is {'now' if enabled else 'no longer'} unlimited."
        )

    @unlimited.command(name="user", description="Let a member make videos without limits")
    async def unlimited_user(
        self, interaction: discord.Interaction, user: discord.User, enabled: bool
    ) -> None:
        await self.admin.set_user_unlimited(self._guild(interaction), user.id, enabled)
        await self._done(
            interaction, f"{user.mention} is {'now' if enabled else 'no longer'} unlimited."
        )

    @app_commands.command(
        name="grant", description="Give a member one-off credits that don't expire"
    )
    async def grant(
        self,
        interaction: discord.Interaction,
        user: discord.User,
        credits: app_commands.Range[int, 1, 1_000_000],
        reason: str | None = None,
    ) -> None:
        await self.admin.grant(
            self._guild(interaction), user.id, credits, interaction.user.id, reason
        )
        await self._done(interaction, f"Granted {_credits(credits)} to {user.mention}.")

    @app_commands.command(name="budget", description="Cap what the whole server spends per period")
    @app_commands.describe(credits="Leave out to remove the cap")
    async def budget(
        self, interaction: discord.Interaction, credits: Credits | None = None
    ) -> None:
        await self.admin.set_budget(self._guild(interaction), credits)
        text = (
            "The server has no budget cap."
            if credits is None
            else (f"The server may spend {_credits(credits)} per period.")
        )
        await self._done(interaction, text)

    @app_commands.command(
        name="concurrency", description="How many videos may be in the making (and waiting)"
    )
    @app_commands.describe(
        per_user="Videos one member may have in the making at once",
        per_server="Videos the whole server may have in the making at once",
        queued_per_user="Videos one member may have waiting for a slot (0: refuse instead)",
    )
    async def concurrency(
        self,
        interaction: discord.Interaction,
        per_user: app_commands.Range[int, 1, 100] | None = None,
        per_server: app_commands.Range[int, 1, 1000] | None = None,
        queued_per_user: app_commands.Range[int, 0, 100] | None = None,
    ) -> None:
        settings = await self.admin.set_concurrency(
            self._guild(interaction), per_user, per_server, queued_per_user
        )
        await self._done(
            interaction,
            f"At most {settings.max_in_flight_user} per member and "
            f"{settings.max_in_flight_guild} for the server in the making; "
            f"{settings.max_queued_user} per member may wait for a slot.",
        )

    @app_commands.command(
        name="timezone", description="When periods roll over (an IANA time zone, e.g. Europe/Paris)"
    )
    async def timezone(self, interaction: discord.Interaction, zone: str | None = None) -> None:
        await self.admin.set_timezone(self._guild(interaction), zone)
        await self._done(interaction, f"Periods roll over at midnight {zone or 'UTC'}.")

    @app_commands.command(name="buttons", description="Who may press the buttons on a result")
    @app_commands.describe(anyone="Let anyone press them (the presser pays)")
    async def buttons(self, interaction: discord.Interaction, anyone: bool) -> None:
        await self.admin.set_anyone_can_press(self._guild(interaction), anyone)
        await self._done(
            interaction,
            "Anyone may now press result buttons (the presser pays)."
            if anyone
            else "Only a video's owner may press its buttons.",
        )

    @app_commands.command(name="usage", description="Credits spent per member this period")
    async def usage(self, interaction: discord.Interaction) -> None:
        report = await self.admin.usage(self._guild(interaction))
        await interaction.response.send_message(embed=render.usage_embed(report), ephemeral=True)


async def setup(bot: PikaBot) -> None:
    await bot.add_cog(Admin(bot, bot.deps.admin))
