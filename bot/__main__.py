"""``python -m bot``: settings -> dependencies -> the bot, and a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Literal

import aiohttp
import discord

from bot.client import PikaBot
from bot.config import Settings, SettingsError, load_settings
from bot.discord_endpoints import apply_discord_endpoints
from bot.jobs.push import WebhookSigner
from bot.logs import setup_logging
from bot.pika.factory import ProviderSetupError, open_provider
from bot.server.app import BotServer, Health
from bot.store import JobStore, QuotaDefaults, QuotaEngine, StoreError, SystemClock, open_database
from bot.ui.i18n import use_catalogs
from bot.wiring import build_dependencies, database_target, simulator_warning, webhook_signer

log = logging.getLogger("bot")

PLAYGROUND_HINT = (
    "To try the bot without a Discord account or a Pika key, run: python -m bot playground"
)


async def run_bot(settings: Settings) -> int:
    """Build every dependency, run the bot until it is told to stop, and close them all."""
    apply_discord_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    try:
        use_catalogs(settings.locales_dir)
    except (OSError, ValueError) as error:
        log.error("Cannot read the language catalogs (LOCALES_DIR): %s", error)
        return 2
    clock = SystemClock()
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(aiohttp.ClientSession())
        try:
            database = await open_database(database_target(settings), clock=clock)
        except StoreError as error:
            log.error("Cannot open the database: %s", error)
            return 2
        stack.push_async_callback(database.close)
        quota = QuotaEngine(database, QuotaDefaults.from_settings(settings))
        store = JobStore(database, quota)
        try:
            provider = await stack.enter_async_context(open_provider(settings, http))
        except ProviderSetupError as error:
            log.error("Cannot start: %s", error)
            return 2
        warning = simulator_warning(settings)
        if warning:
            log.warning("%s", warning)
        signer = await webhook_signer(settings, store)
        if signer is not None and not provider.capabilities.webhooks:
            log.warning(
                "PIKA_WEBHOOK_URL is set, but PIKA_PROVIDER=%s takes no webhook: jobs are polled",
                settings.pika_provider.value,
            )
            signer = None
        bot = PikaBot(
            settings,
            lambda bot: build_dependencies(
                bot,
                settings=settings,
                clock=clock,
                http=http,
                store=store,
                quota=quota,
                provider=provider,
                signer=signer,
            ),
        )
        server = await _start_server(settings, bot, store, signer)
        if server is False:
            return 2
        if server is not None:
            stack.push_async_callback(server.stop)

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.begin_shutdown()))
        try:
            async with bot:
                await bot.start(settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            log.error("Discord refused DISCORD_TOKEN; check the token in the developer portal")
            return 1
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
    log.info("Stopped cleanly")
    return 0


async def _start_server(
    settings: Settings, bot: PikaBot, store: JobStore, signer: WebhookSigner | None
) -> BotServer | Literal[False] | None:
    """Start the HTTP server; False when it must run (pushes) and cannot."""
    address = settings.http_address
    if address is None:
        return None
    server = BotServer(
        address,
        engine=bot.deps.engine,
        health=Health(
            gateway=lambda: bot.gateway_up,
            database=store.ping,
            jobs_in_flight=bot.deps.engine.in_flight,
        ),
        counts=store.status_counts,
        signer=signer,
    )
    try:
        await server.start()
    except OSError as error:
        if signer is not None:
            log.error(
                "Cannot start: HTTP_LISTEN %s is not free (%s), and PIKA_WEBHOOK_URL needs it",
                settings.http_listen,
                error.strerror or error,
            )
            return False
        log.warning(
            "HTTP_LISTEN %s is not free (%s): no /healthz or /metrics this run",
            settings.http_listen,
            error.strerror or error,
        )
        return None
    return server


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "playground":
        from bot.playground import main as playground_main

        return playground_main(argv[1:])
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"Cannot start: {error}.", file=sys.stderr)
        if "DISCORD_TOKEN" in str(error):
            print(PLAYGROUND_HINT, file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    return asyncio.run(run_bot(settings))


if __name__ == "__main__":
    sys.exit(main())
