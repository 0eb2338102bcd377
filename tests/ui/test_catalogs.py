"""The catalogs and the code agree: every message id used is in every catalog, no catalog keeps
an id the code no longer uses, placeholders match, and zh-CN is complete and really Chinese."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.ui.command_text import msgid_for
from bot.ui.i18n import Locale, catalogs
from cogs.account import Account
from cogs.admin import Admin
from cogs.create import Create
from cogs.edit import Edit
from cogs.official import KeyframesCog, KeyframesWithTransitionsCog, Official
from cogs.owner import Owner
from cogs.personal import Personal

ROOT = Path(__file__).resolve().parents[2]
NAMESPACES = (
    "admin|blocked|button|cancel|choice|cmd|cmdname|error|failure|field|footer|input|job|jobs|"
    "language|modal|op|opt|optname|owner|period|pika|queue|quota|refusal|setting|settings|status|"
    "time|usage|words"
)
MSGID = re.compile(rf"^(?:{NAMESPACES})\.[a-z0-9_.-]+$")
PLURAL_FORMS = (".one", ".other")
# Texts that read the same in Chinese: product names, sizes, numbers, ratios.
SAME_IN_CHINESE = re.compile(r"^[\W\d_]*(?:(?:Pika|Turbo|1080p|720p|UTC|3D)[\W\d_]*)*$")


def _cogs() -> list[Any]:
    return [
        Create(None, None),  # type: ignore[arg-type]
        Edit(None),  # type: ignore[arg-type]
        Official(None, None),  # type: ignore[arg-type]
        KeyframesCog(None),  # type: ignore[arg-type]
        KeyframesWithTransitionsCog(None),  # type: ignore[arg-type]
        Account(None, None, None),  # type: ignore[arg-type]
        Personal(None),  # type: ignore[arg-type]
        Admin(None, None),  # type: ignore[arg-type]
        Owner(None),  # type: ignore[arg-type]
    ]


def _strings(command: Any) -> Iterator[tuple[app_commands.locale_str, Where]]:
    """Every translatable string of a command or group, as discord.py translates them."""
    if isinstance(command, app_commands.Group):
        yield command._locale_name, Where.group_name
        yield command._locale_description, Where.group_description
        for child in command.commands:
            yield from _strings(child)
        return
    yield command._locale_name, Where.command_name
    yield command._locale_description, Where.command_description
    for parameter in command.parameters:
        yield parameter.locale_name, Where.parameter_name
        yield parameter.locale_description, Where.parameter_description
        for choice in parameter.choices:
            yield choice._locale_name, Where.choice_name


def command_strings() -> list[tuple[app_commands.locale_str, Where]]:
    found = []
    for cog in _cogs():
        group = cog.app_command
        for command in [group] if group is not None else cog.get_app_commands():
            found.extend(_strings(command))
    return found


def code_msgids() -> set[str]:
    """Message ids written in the code, and those the command tree carries."""
    found: set[str] = set()
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            if {"emulator", "simulator", "playground"} & set(path.parts):
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                text = node.value if isinstance(node, ast.Constant) else None
                if isinstance(text, str) and MSGID.match(text):
                    found.add(text)
    for text, where in command_strings():
        msgid = msgid_for(text, where)
        if msgid is not None:
            found.add(msgid)
    return found


def _used(msgid: str, used: set[str]) -> bool:
    return msgid in used or any(
        msgid.endswith(form) and msgid.removesuffix(form) in used for form in PLURAL_FORMS
    )


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_id_in_the_code_is_in_every_catalog():
    used = code_msgids()
    for locale in Locale:
        catalog = catalogs()[locale]
        missing = sorted(
            msgid
            for msgid in used
            if msgid not in catalog and not all(msgid + form in catalog for form in PLURAL_FORMS)
        )
        assert not missing, f"{locale}: {missing}"


def test_no_catalog_keeps_an_id_the_code_no_longer_uses():
    used = code_msgids()
    for locale in Locale:
        stale = sorted(msgid for msgid in catalogs()[locale] if not _used(msgid, used))
        assert not stale, f"{locale}: {stale}"


def test_the_languages_have_the_same_ids_and_placeholders():
    english, chinese = catalogs()[Locale.EN_US], catalogs()[Locale.ZH_CN]
    assert set(english) == set(chinese)
    differ = {
        msgid: (placeholders(english[msgid]), placeholders(chinese[msgid]))
        for msgid in english
        if placeholders(english[msgid]) != placeholders(chinese[msgid])
    }
    assert not differ, differ


def test_chinese_is_complete_and_not_english():
    english, chinese = catalogs()[Locale.EN_US], catalogs()[Locale.ZH_CN]
    empty = sorted(msgid for msgid, text in chinese.items() if not text.strip())
    assert not empty
    same = sorted(
        msgid
        for msgid, text in chinese.items()
        if text == english[msgid] and not SAME_IN_CHINESE.match(text)
    )
    assert not same, same


@pytest.mark.parametrize("locale", list(Locale))
def test_every_command_string_has_a_translation(locale):
    """What the Translator will be asked for: names, descriptions and worded choices."""
    catalog = catalogs()[locale]
    for text, where in command_strings():
        msgid = msgid_for(text, where)
        if where is Where.choice_name and msgid is None:
            assert not re.search(r"[A-Za-z]{2,}", text.message.replace("p", "")), text.message
            continue
        assert msgid is not None and msgid in catalog, (where, text.message)


def test_english_command_names_are_the_code_names():
    english = catalogs()[Locale.EN_US]
    for text, where in command_strings():
        if where in (Where.command_name, Where.group_name, Where.parameter_name):
            msgid = msgid_for(text, where)
            assert msgid is not None and english[msgid] == text.message


COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


def test_chinese_command_names_follow_discords_rules():
    chinese = catalogs()[Locale.ZH_CN]
    for msgid, text in chinese.items():
        if msgid.startswith(("cmdname.", "optname.")):
            assert COMMAND_NAME.match(text) and text == text.lower(), (msgid, text)
    # Names must differ within one command: options of one command, commands of one group.
    for cog in _cogs():
        group = cog.app_command
        for command in [group] if group is not None else cog.get_app_commands():
            _names_unique(command, chinese)


def _names_unique(command: Any, chinese: dict[str, str] | Any) -> None:
    if isinstance(command, app_commands.Group):
        names = [chinese[f"cmdname.{child.name}"] for child in command.commands]
        assert len(names) == len(set(names)), names
        for child in command.commands:
            _names_unique(child, chinese)
        return
    names = [chinese[f"optname.{parameter.name}"] for parameter in command.parameters]
    assert len(names) == len(set(names)), (command.name, names)


def test_descriptions_fit_discords_limit():
    for locale in Locale:
        for msgid, text in catalogs()[locale].items():
            if msgid.startswith(("cmd.", "opt.", "choice.")):
                assert 1 <= len(text) <= 100, (locale, msgid, len(text))
