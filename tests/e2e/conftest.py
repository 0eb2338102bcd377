"""End-to-end fixtures: the real bot process against the Discord emulator and the Pika simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.stack import Stack, start_stack, stop_stack


@pytest.fixture
async def stack(tmp_path) -> AsyncIterator[Stack]:
    world = await start_stack(tmp_path)
    try:
        yield world
    finally:
        await stop_stack(world)
        print(world.bot.log_text()[-6000:])
