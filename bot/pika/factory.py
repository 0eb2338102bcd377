"""Build the configured Pika provider, starting the built-in simulator when asked to."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable

import aiohttp

from bot.config import PikaProvider as ProviderName
from bot.config import Settings
from bot.pika.errors import AuthenticationError, PikaError
from bot.pika.fal import FalProvider
from bot.pika.feed import FeedProvider
from bot.pika.pikadev import PikadevProvider
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
    timeout = settings.pika_timeout_seconds
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
            yield WebbotProvider(session, simulator.webbot_base, key, timeout=timeout)
        finally:
            await simulator.stop()
        return
    base = settings.provider_base
    assert base is not None  # settings validation guarantees it
    if settings.pika_provider is ProviderName.FAL:
        assert settings.fal_key is not None  # settings validation guarantees it
        fal = FalProvider(
            session,
            base,
            settings.fal_key.get_secret_value(),
            jwks_url=settings.fal_jwks_url,
            cancel_wait=settings.fal_cancel_wait_seconds,
            timeout=timeout,
        )
        await _check_key(fal.check_key(), "FAL_KEY", "fal")
        yield fal
    elif settings.pika_provider is ProviderName.PIKA:
        pika = PikadevProvider(
            session,
            base,
            key,
            failed_statuses=settings.pika_failed_statuses,
            max_keyframes=settings.pika_max_keyframes,
            timeout=timeout,
        )
        await _check_key(pika.check_key(), "PIKA_API_KEY", "Pika's developer API")
        yield pika
    elif settings.pika_provider is ProviderName.WEBBOT:
        yield WebbotProvider(session, base, key, timeout=timeout)
    else:
        yield FeedProvider(session, base, key, timeout=timeout)


async def _check_key(check: Awaitable[None], setting: str, service: str) -> None:
    """A refused key stops the start with one line naming ``setting`` (never the key)."""
    try:
        await check
    except AuthenticationError as error:
        raise ProviderSetupError(
            f"{service} refused {setting}; check the key in {setting}"
        ) from error
    except PikaError as error:
        # Unreachable now is not a wrong key: start, and let jobs say it if it lasts.
        log.warning("Could not check %s with %s at start-up (%s)", setting, service, error)
