"""Slash command names, descriptions and choices in every language, through discord.py's
``app_commands.Translator``, so Discord gets ``name_localizations`` and
``description_localizations`` when the tree is synced.

Descriptions and choice names are written in the cogs as message ids (``L("cmd.generate")``):
the English from the catalog is what Discord shows by default. Command and option names are the
code's own (English) names; their translations are ``cmdname.<name>`` and ``optname.<name>``.
"""

from __future__ import annotations

import re

from discord import Locale as DiscordLocale
from discord import app_commands
from discord.app_commands import TranslationContextLocation, TranslationContextTypes, locale_str

from bot.ui.i18n import DEFAULT_LOCALE, catalogs, supported, t

_SLUG = re.compile(r"[^a-z0-9]+")


def L(msgid: str) -> locale_str:
    """A description or choice name: its English text, carrying its message id."""
    return locale_str(t(DEFAULT_LOCALE, msgid), msgid=msgid)


def slug(value: str) -> str:
    """``Hearts Bouquet`` -> ``hearts_bouquet``, for message ids made from a choice's value."""
    return _SLUG.sub("_", value.lower()).strip("_")


def msgid_for(string: locale_str, location: TranslationContextLocation) -> str | None:
    """The message id of a translatable command string, or None when it has none."""
    msgid = string.extras.get("msgid")
    if msgid is not None:
        return str(msgid)
    if location in (TranslationContextLocation.command_name, TranslationContextLocation.group_name):
        return f"cmdname.{string.message}"
    if location is TranslationContextLocation.parameter_name:
        return f"optname.{string.message}"
    return None  # a choice such as "16:9" or "720p" reads the same in every language


class CatalogTranslator(app_commands.Translator):
    """Translate command strings from the catalogs; English is Discord's default text."""

    async def translate(
        self, string: locale_str, locale: DiscordLocale, context: TranslationContextTypes
    ) -> str | None:
        target = supported(locale)
        if target is None or target is DEFAULT_LOCALE:
            return None
        msgid = msgid_for(string, context.location)
        if msgid is None:
            return None
        return catalogs()[target].get(msgid) or None
