"""The languages the bot speaks: which one a member or a server gets, and the catalogs.

Every sentence a member reads has a stable message id (``quota.exceeded.user``) in the gettext
catalogs ``data/locales/<locale>.po``, read with Babel once at start (no build step). Values go
in through ``{name}`` placeholders; numbers are formatted for the language with Babel (CLDR).
The only state here is the loaded catalogs and the folder they are read from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType

import babel
from babel.dates import format_datetime, format_timedelta
from babel.messages.pofile import read_po
from babel.numbers import format_decimal


class Locale(StrEnum):
    """A language the bot has a catalog for (Discord's locale tags)."""

    EN_US = "en-US"
    ZH_CN = "zh-CN"


DEFAULT_LOCALE = Locale.EN_US

_RESOLVED: Mapping[str, Locale] = MappingProxyType(
    {
        "en-us": Locale.EN_US,
        "en-gb": Locale.EN_US,
        "zh-cn": Locale.ZH_CN,
        # Traditional Chinese readers read Simplified far more easily than English; until a
        # zh-TW catalog exists they get zh-CN.
        "zh-tw": Locale.ZH_CN,
    }
)


def supported(value: object) -> Locale | None:
    """The catalog for a Discord locale (a ``discord.Locale`` or its tag), or None."""
    if value is None:
        return None
    tag = str(getattr(value, "value", value)).strip().replace("_", "-").lower()
    return _RESOLVED.get(tag)


def resolve(value: object) -> Locale:
    """The language for a Discord locale: its own if supported, else English."""
    return supported(value) or DEFAULT_LOCALE


def public_locale(
    *, chosen: str | None, guild_locale: object, member_locale: object, in_server: bool
) -> Locale:
    """The language of a job's public messages.

    In a server: the one its staff chose (/admin language), else the server's own Discord
    locale if there is a catalog for it, else English. Elsewhere (a DM, a user install), the
    member's own.
    """
    if not in_server:
        return resolve(member_locale)
    if chosen:
        return resolve(chosen)
    return supported(guild_locale) or DEFAULT_LOCALE


BUNDLED = Path(__file__).resolve().parents[2] / "data" / "locales"
"""The catalogs beside the code (a checkout or an editable install)."""

_directory = BUNDLED


def use_catalogs(directory: Path | None) -> None:
    """Read the catalogs from ``directory`` (the ``LOCALES_DIR`` setting; None: ``BUNDLED``),
    now, so a missing or broken catalog stops the start instead of a later reply."""
    global _directory
    _directory = directory or BUNDLED
    load_catalogs(_directory)


def default_directory() -> Path:
    """Where the catalogs are read from: as ``use_catalogs`` was told, else ``BUNDLED``."""
    return _directory


Catalogs = Mapping[Locale, Mapping[str, str]]


@cache
def load_catalogs(directory: Path) -> Catalogs:
    """Read ``<locale>.po`` for every language; a missing catalog stops the start."""
    loaded: dict[Locale, Mapping[str, str]] = {}
    for locale in Locale:
        path = directory / f"{locale.value}.po"
        with path.open("rb") as file:
            catalog = read_po(file, locale=locale.value.replace("-", "_"))
        loaded[locale] = MappingProxyType(
            {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str)}
        )
    return MappingProxyType(loaded)


def catalogs() -> Catalogs:
    return load_catalogs(default_directory())


def has(msgid: str) -> bool:
    """Whether ``msgid`` is a message id of the catalogs."""
    return msgid in catalogs()[DEFAULT_LOCALE]


def t(locale: Locale, msgid: str, /, **values: object) -> str:
    """The sentence ``msgid`` in ``locale`` with its placeholders filled (English if missing)."""
    books = catalogs()
    text = books[locale].get(msgid) or books[DEFAULT_LOCALE].get(msgid)
    if not text:
        raise KeyError(f"message id {msgid!r} is in no catalog")
    return text.format_map(values) if values else text


def tn(locale: Locale, msgid: str, count: int, /, **values: object) -> str:
    """A sentence about ``count`` things: ``msgid.one`` or ``msgid.other`` per CLDR's rules."""
    form = babel_locale(locale).plural_form(count)
    key = f"{msgid}.{form}"
    if key not in catalogs()[locale]:
        key = f"{msgid}.other"
    return t(locale, key, count=number(locale, count), **values)


@cache
def babel_locale(locale: Locale) -> babel.Locale:
    return babel.Locale.parse(locale.value, sep="-")


def number(locale: Locale, value: float, *, digits: int | None = None) -> str:
    """``1,234`` / ``1,234.5``; ``digits`` fixes the decimals shown."""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=babel_locale(locale))


def date_time(locale: Locale, moment: datetime) -> str:
    """A date and time written as the language writes them."""
    return format_datetime(moment, format="medium", locale=babel_locale(locale))


def span(locale: Locale, seconds: float) -> str:
    """A rough length of time in words ("3 minutes", "3分钟")."""
    return format_timedelta(
        timedelta(seconds=seconds), threshold=1, format="long", locale=babel_locale(locale)
    )
