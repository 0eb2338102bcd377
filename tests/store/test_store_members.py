"""A member's /settings as stored, on both backends."""

from __future__ import annotations

from bot.domain.member import MemberDefaults
from bot.store import Database, MemberSettings

USER = 3_000_000_000_000_003


async def test_a_member_without_settings_gets_the_bots_defaults(db: Database) -> None:
    assert await MemberSettings(db).get(USER) == MemberDefaults()


async def test_settings_read_back_as_they_were_changed_and_reset(db: Database) -> None:
    settings = MemberSettings(db)
    await settings.update(USER, model="2.2", aspect_ratio="9:16", private_results=True)
    await settings.update(USER, motion=3)

    assert await settings.get(USER) == MemberDefaults(
        model="2.2", aspect_ratio="9:16", motion=3, private_results=True
    )
    assert await settings.get(USER + 1) == MemberDefaults()  # one member's, not everyone's

    await settings.update(USER, reset=True)
    assert await settings.get(USER) == MemberDefaults()
