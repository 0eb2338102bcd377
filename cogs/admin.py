"""/admin: what the server's staff control (Manage Server only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.blocked import BlockedWordsFull
from bot.domain.operations import Operation
from bot.domain.periods import QuotaPeriod
from bot.errors import BadInput, NotAllowed, Number
from bot.jobs.accounts import ServerAdmin
from bot.ui import render
from bot.ui.command_text import L
from bot.ui.errors import member_locale
from bot.ui.i18n import Locale, public_locale, t
from bot.ui.inputs import split_words
from bot.ui.words import credits as credits_words

if TYPE_CHECKING:
    from bot.client import PikaBot

Credits = app_commands.Range[int, 0, 1_000_000]
PERIODS = [
    app_commands.Choice(name=L("choice.period.day"), value=QuotaPeriod.DAY.value),
    app_commands.Choice(name=L("choice.period.week"), value=QuotaPeriod.WEEK.value),
    app_commands.Choice(name=L("choice.period.month"), value=QuotaPeriod.MONTH.value),
]
OPERATIONS = [
    app_commands.Choice(name=L(render.OPERATION_LABELS[op]), value=op.value) for op in Operation
]
DEFAULT_LANGUAGE = "default"
LANGUAGE_NAMES = {Locale.EN_US: "language.en_us", Locale.ZH_CN: "language.zh_cn"}
LANGUAGES = [
    app_commands.Choice(name=L("choice.language.en_us"), value=Locale.EN_US.value),
    app_commands.Choice(name=L("choice.language.zh_cn"), value=Locale.ZH_CN.value),
    app_commands.Choice(name=L("choice.language.default"), value=DEFAULT_LANGUAGE),
]


def _credits(count: int | None, locale: Locale) -> str:
    return t(locale, "admin.the_default") if count is None else credits_words(count, locale)


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
@app_commands.allowed_installs(guilds=True, users=False)
class Admin(
    commands.GroupCog,
    group_name="admin",
    group_description=L("cmd.admin"),
):
    allowance = app_commands.Group(name="allowance", description=L("cmd.admin.allowance"))
    unlimited = app_commands.Group(name="unlimited", description=L("cmd.admin.unlimited"))
    blocked_words = app_commands.Group(
        name="blocked-words", description=L("cmd.admin.blocked_words")
    )

    def __init__(self, bot: PikaBot, admin: ServerAdmin) -> None:
        self.bot = bot
        self.admin = admin
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise NotAllowed("admin.refusal.not_in_server")
        if not interaction.permissions.manage_guild and not await self.bot.is_owner(
            interaction.user
        ):
            raise NotAllowed("admin.refusal.permission")
        return True

    @staticmethod
    def _locale(interaction: discord.Interaction) -> Locale:
        return member_locale(interaction)  # the answers are private: the member's language

    async def _done(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(f"✅ {text}", ephemeral=True)

    @staticmethod
    def _guild(interaction: discord.Interaction) -> int:
        assert interaction.guild_id is not None  # guild_only, and checked above
        return interaction.guild_id

    @blocked_words.command(name="add", description=L("cmd.admin.blocked_words.add"))
    @app_commands.describe(words=L("opt.blocked_words.add.words"))
    async def blocked_words_add(self, interaction: discord.Interaction, words: str) -> None:
        try:
            added = await self.admin.block_words(
                self._guild(interaction), split_words(words), interaction.user.id
            )
        except BlockedWordsFull as full:
            raise BadInput("blocked.full", limit=Number(full.args[0])) from None
        await self._done(interaction, render.blocked_words_added(added, self._locale(interaction)))

    @blocked_words.command(name="remove", description=L("cmd.admin.blocked_words.remove"))
    @app_commands.describe(words=L("opt.blocked_words.remove.words"))
    async def blocked_words_remove(self, interaction: discord.Interaction, words: str) -> None:
        removed = await self.admin.unblock_words(self._guild(interaction), split_words(words))
        await self._done(
            interaction, render.blocked_words_removed(removed, self._locale(interaction))
        )

    @blocked_words.command(name="list", description=L("cmd.admin.blocked_words.list"))
    async def blocked_words_list(self, interaction: discord.Interaction) -> None:
        words = await self.admin.blocked_words(self._guild(interaction))
        await interaction.response.send_message(
            embed=render.blocked_words_embed(words, self._locale(interaction)), ephemeral=True
        )

    @app_commands.command(name="cost", description=L("cmd.admin.cost"))
    @app_commands.choices(operation=OPERATIONS)
    @app_commands.describe(
        operation=L("opt.admin.cost.operation"), credits=L("opt.admin.cost.credits")
    )
    async def cost(
        self, interaction: discord.Interaction, operation: str, credits: Credits
    ) -> None:
        await self.admin.set_cost(self._guild(interaction), Operation(operation), credits)
        loc = self._locale(interaction)
        await self._done(
            interaction,
            t(
                loc,
                "admin.cost.done",
                operation=render.operation_label(operation, loc),
                credits=_credits(credits, loc),
            ),
        )

    @allowance.command(name="guild", description=L("cmd.admin.allowance.guild"))
    @app_commands.choices(period=PERIODS)
    @app_commands.describe(
        credits=L("opt.admin.allowance.guild.credits"), period=L("opt.admin.period")
    )
    async def allowance_guild(
        self, interaction: discord.Interaction, credits: Credits, period: str | None = None
    ) -> None:
        settings = await self.admin.set_member_allowance(
            self._guild(interaction), credits, QuotaPeriod(period) if period else None
        )
        loc = self._locale(interaction)
        await self._done(
            interaction,
            t(
                loc,
                "admin.allowance.guild.done",
                credits=_credits(credits, loc),
                period=render.period_word(settings.period.value, loc),
            ),
        )

    @allowance.command(
        name="role",
        description=L("cmd.admin.allowance.role"),
    )
    @app_commands.describe(role=L("opt.admin.role"), credits=L("opt.allowance.role.credits"))
    async def allowance_role(
        self, interaction: discord.Interaction, role: discord.Role, credits: Credits | None = None
    ) -> None:
        await self.admin.set_role_allowance(self._guild(interaction), role.id, credits)
        loc = self._locale(interaction)
        await self._done(
            interaction,
            t(loc, "admin.allowance.done", who=role.mention, credits=_credits(credits, loc)),
        )

    @allowance.command(name="user", description=L("cmd.admin.allowance.user"))
    @app_commands.describe(user=L("opt.admin.user"), credits=L("opt.allowance.user.credits"))
    async def allowance_user(
        self, interaction: discord.Interaction, user: discord.User, credits: Credits | None = None
    ) -> None:
        await self.admin.set_user_allowance(self._guild(interaction), user.id, credits)
        loc = self._locale(interaction)
        await self._done(
            interaction,
            t(loc, "admin.allowance.done", who=user.mention, credits=_credits(credits, loc)),
        )

    @unlimited.command(name="role", description=L("cmd.admin.unlimited.role"))
    @app_commands.describe(role=L("opt.admin.role"), enabled=L("opt.admin.unlimited.enabled"))
    async def unlimited_role(
        self, interaction: discord.Interaction, role: discord.Role, enabled: bool
    ) -> None:
        await self.admin.set_role_unlimited(self._guild(interaction), role.id, enabled)
        key = "admin.unlimited.on" if enabled else "admin.unlimited.off"
        await self._done(interaction, t(self._locale(interaction), key, who=role.mention))

    @unlimited.command(name="user", description=L("cmd.admin.unlimited.user"))
    @app_commands.describe(user=L("opt.admin.user"), enabled=L("opt.admin.unlimited.enabled"))
    async def unlimited_user(
        self, interaction: discord.Interaction, user: discord.User, enabled: bool
    ) -> None:
        await self.admin.set_user_unlimited(self._guild(interaction), user.id, enabled)
        key = "admin.unlimited.on" if enabled else "admin.unlimited.off"
        await self._done(interaction, t(self._locale(interaction), key, who=user.mention))

    @app_commands.command(name="grant", description=L("cmd.admin.grant"))
    @app_commands.describe(
        user=L("opt.admin.user"),
        credits=L("opt.admin.grant.credits"),
        reason=L("opt.admin.grant.reason"),
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
        loc = self._locale(interaction)
        await self._done(
            interaction,
            t(loc, "admin.grant.done", credits=_credits(credits, loc), who=user.mention),
        )

    @app_commands.command(name="budget", description=L("cmd.admin.budget"))
    @app_commands.describe(credits=L("opt.budget.credits"))
    async def budget(
        self, interaction: discord.Interaction, credits: Credits | None = None
    ) -> None:
        await self.admin.set_budget(self._guild(interaction), credits)
        loc = self._locale(interaction)
        text = (
            t(loc, "admin.budget.none")
            if credits is None
            else t(loc, "admin.budget.done", credits=_credits(credits, loc))
        )
        await self._done(interaction, text)

    @app_commands.command(name="concurrency", description=L("cmd.admin.concurrency"))
    @app_commands.describe(
        per_user=L("opt.per_user"),
        per_server=L("opt.per_server"),
        queued_per_user=L("opt.queued_per_user"),
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
            t(
                self._locale(interaction),
                "admin.concurrency.done",
                per_user=settings.max_in_flight_user,
                per_server=settings.max_in_flight_guild,
                queued=settings.max_queued_user,
            ),
        )

    @app_commands.command(name="timezone", description=L("cmd.admin.timezone"))
    @app_commands.describe(zone=L("opt.admin.timezone.zone"))
    async def timezone(self, interaction: discord.Interaction, zone: str | None = None) -> None:
        await self.admin.set_timezone(self._guild(interaction), zone)
        await self._done(
            interaction, t(self._locale(interaction), "admin.timezone.done", zone=zone or "UTC")
        )

    @app_commands.command(name="buttons", description=L("cmd.admin.buttons"))
    @app_commands.describe(anyone=L("opt.anyone"))
    async def buttons(self, interaction: discord.Interaction, anyone: bool) -> None:
        await self.admin.set_anyone_can_press(self._guild(interaction), anyone)
        key = "admin.buttons.anyone" if anyone else "admin.buttons.owner"
        await self._done(interaction, t(self._locale(interaction), key))

    @app_commands.command(name="usage", description=L("cmd.admin.usage"))
    async def usage(self, interaction: discord.Interaction) -> None:
        report = await self.admin.usage(self._guild(interaction))
        await interaction.response.send_message(
            embed=render.usage_embed(report, self._locale(interaction)), ephemeral=True
        )

    @app_commands.command(name="language", description=L("cmd.admin.language"))
    @app_commands.describe(language=L("opt.admin.language.language"))
    @app_commands.choices(language=LANGUAGES)
    async def language(self, interaction: discord.Interaction, language: str) -> None:
        chosen = None if language == DEFAULT_LANGUAGE else language
        await self.admin.set_language(self._guild(interaction), chosen)
        # Said in the language the server's messages will now use, so staff see the change.
        shown = public_locale(
            chosen=chosen,
            guild_locale=interaction.guild_locale,
            member_locale=interaction.locale,
            in_server=True,
        )
        key = "admin.language.default" if chosen is None else "admin.language.done"
        await self._done(interaction, t(shown, key, language=t(shown, LANGUAGE_NAMES[shown])))


async def setup(bot: PikaBot) -> None:
    await bot.add_cog(Admin(bot, bot.deps.admin))
