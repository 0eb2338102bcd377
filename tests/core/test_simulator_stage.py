"""The simulator is a test stage: optional to install, and never mistaken for Pika."""

from __future__ import annotations

import sys

import aiohttp
import pytest

from bot.config import load_settings
from bot.pika.factory import ProviderSetupError, open_provider
from bot.wiring import simulator_warning


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("PIKA_PROVIDER", "PIKA_API_KEY", "PIKA_API_BASE", "DISCORD_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISCORD_TOKEN", "abc")
    monkeypatch.chdir(tmp_path)


def test_a_bot_on_real_discord_with_the_simulator_is_warned_once():
    warning = simulator_warning(load_settings())
    assert warning is not None and "simulated videos, not Pika's" in warning
    assert "PIKA_API_KEY" in warning


def test_the_emulator_and_real_providers_get_no_warning(monkeypatch):
    assert simulator_warning(load_settings(discord_api_base="http://127.0.0.1:1/api/v10")) is None
    monkeypatch.setenv("PIKA_PROVIDER", "webbot")
    monkeypatch.setenv("PIKA_API_BASE", "https://pika.example/web")
    monkeypatch.setenv("PIKA_API_KEY", "secret")
    assert simulator_warning(load_settings()) is None


async def test_without_the_simulator_extra_start_up_says_what_to_install(monkeypatch):
    # As if av/numpy (the "simulator" extra) were not installed.
    monkeypatch.setitem(sys.modules, "bot.pika.simulator", None)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(
            ProviderSetupError, match=r"pip install 'pika-discord-bot\[simulator\]'"
        ):
            async with open_provider(load_settings(), session):
                pass
