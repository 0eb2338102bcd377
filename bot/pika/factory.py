"""Build the configured Pika provider, starting the built-in simulator when asked to."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp

from bot.config import PikaProvider as ProviderName
from bot.config import Settings
from bot.pika.feed import FeedProvider
from bot.pika.provider import PikaProvider
from bot.pika.webbot import WebbotProvider

log = logging.getLogger(__name__)


class ProviderSetupError(Exception):
    """The configured provider cannot start; the message is one line for the operator."""


@contextlib.asynccontextmanager
async def open_provider(
    settings: Settings, session: aiohttp.ClientSession
) -> AsyncIterator[PikaProvider]:
    """Yield the provider for ``PIKA_PROVIDER``; the simulator lives as long as the context."""
    key = settings.pika_api_key.get_secret_value() if settings.pika_api_key else None
    if settings.pika_provider is ProviderName.SIMULATOR:
        try:
            from bot.pika.simulator import Simulator, SimulatorConfig
        except ImportError as error:
            raise ProviderSetupError(
                "PIKA_PROVIDER=simulator needs the simulator extra "
                "(pip install 'pika-discord-bot[simulator]'); for real videos set "
                "PIKA_PROVIDER, PIKA_API_BASE and PIKA_API_KEY"
            ) from error

        simulator = Simulator(
            SimulatorConfig(job_seconds=settings.simulator_job_seconds, api_key=key)
        )
        await simulator.start(host="127.0.0.1", port=0)
        log.info("Started the built-in Pika simulator at %s", simulator.base_url)
        try:
            yield WebbotProvider(
                session, simulator.webbot_base, key, timeout=settings.pika_timeout_seconds
            )
        finally:
            await simulator.stop()
        return
    assert settings.pika_api_base is not None  # settings validation guarantees it
    if settings.pika_provider is ProviderName.WEBBOT:
        yield WebbotProvider(
            session, settings.pika_api_base, key, timeout=settings.pika_timeout_seconds
        )
    else:
        yield FeedProvider(
            session, settings.pika_api_base, key, timeout=settings.pika_timeout_seconds
        )
