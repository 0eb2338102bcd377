"""Fixtures: the whole playground in this event loop (the bot is still its own process)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.playground.launcher import Playground, PlaygroundOptions

FAST_BOT = {
    "POLL_INTERVAL_SECONDS": "0.2",
    "PROGRESS_EDIT_INTERVAL_SECONDS": "0.25",
    "PIKA_POLLS_PER_SECOND": "200",
}


@pytest.fixture
async def playground(tmp_path) -> AsyncIterator[Playground]:
    world = Playground(
        PlaygroundOptions(port=0, data_dir=tmp_path / "data", job_seconds=2.5, bot_env=FAST_BOT)
    )
    try:
        await world.start()
        yield world
    finally:
        await world.stop()
        if world.bot is not None:
            print(world.bot.log_tail(60))
