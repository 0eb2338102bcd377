"""Build the bot's parts once, in order: store and provider first, then what talks to Discord."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import aiohttp

from bot.client import PikaBot
from bot.config import PikaProvider as ProviderName
from bot.config import Settings
from bot.deps import Dependencies
from bot.jobs.accounts import AccountService, ServerAdmin
from bot.jobs.engine import EngineSettings, JobEngine
from bot.jobs.launch import Launcher
from bot.jobs.outlet import DiscordOutlet
from bot.jobs.push import WebhookSigner
from bot.pika.provider import PikaProvider
from bot.store import BlockedWords, Clock, JobStore, MemberSettings, QuotaEngine
from bot.store.wakes import DatabaseWakeBus


def simulator_warning(settings: Settings) -> str | None:
    """The one warning a bot on real Discord gets when its videos would be simulated."""
    if settings.pika_provider is not ProviderName.SIMULATOR:
        return None
    if not settings.discord_api_base.startswith("https://discord.com/"):
        return None  # the emulator or another test stage: nobody mistakes it for Pika
    return (
        "PIKA_PROVIDER is the built-in simulator: members get simulated videos, not Pika's "
        "(every message says so). Set PIKA_PROVIDER, PIKA_API_BASE and PIKA_API_KEY to make "
        "real ones."
    )


def database_target(settings: Settings) -> Path | str:
    """Where the store's data is: DATABASE_URL (PostgreSQL) when set, else DATABASE_PATH."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return settings.database_path


def engine_settings(settings: Settings) -> EngineSettings:
    return EngineSettings(
        poll_interval=settings.poll_interval_seconds,
        polls_per_second=settings.pika_polls_per_second,
        edit_interval=settings.progress_edit_interval_seconds,
        deadline=timedelta(minutes=settings.job_deadline_minutes),
        fallback_poll=settings.pika_fallback_poll_seconds,
        lease_seconds=settings.job_lease_seconds,
        instance=settings.instance,
    )


async def webhook_signer(settings: Settings, store: JobStore) -> WebhookSigner | None:
    """The signer of per-job webhook URLs when pushes are configured (PIKA_WEBHOOK_URL)."""
    if not settings.pika_webhook_url:
        return None
    if settings.pika_webhook_secret is not None:
        secret = settings.pika_webhook_secret.get_secret_value()
    else:
        secret = await store.secret("webhook", lambda: secrets.token_hex(32))
    return WebhookSigner(settings.pika_webhook_url, secret)


def build_dependencies(
    bot: PikaBot,
    *,
    settings: Settings,
    clock: Clock,
    http: aiohttp.ClientSession,
    store: JobStore,
    quota: QuotaEngine,
    provider: PikaProvider,
    signer: WebhookSigner | None = None,
) -> Dependencies:
    """Everything the bot works with; the outlet is the only part that holds the bot."""
    capabilities = provider.capabilities
    outlet = DiscordOutlet(bot, capabilities, clock.now)
    engine = JobEngine(
        store=store,
        provider=provider,
        outlet=outlet,
        http=http,
        settings=engine_settings(settings),
        now=clock.now,
        simulated=settings.pika_provider is ProviderName.SIMULATOR,
        signer=signer,
        wakes=DatabaseWakeBus(store.database),
    )
    accounts = AccountService(store, quota, capabilities)
    blocked = BlockedWords(store.database)
    members = MemberSettings(store.database)
    admin = ServerAdmin(quota, blocked)
    launcher = Launcher(
        store=store,
        engine=engine,
        accounts=accounts,
        capabilities=capabilities,
        clock=clock,
        is_owner=bot.is_owner,
        http=http,
        provider_name=provider.name,
        personal_allowance=settings.quota_personal_allowance,
        blocked_words=blocked.words,
        member_settings=members,
        server_language=admin.language,
    )
    return Dependencies(
        settings=settings,
        clock=clock,
        http=http,
        store=store,
        quota=quota,
        provider=provider,
        engine=engine,
        launcher=launcher,
        accounts=accounts,
        admin=admin,
        members=members,
    )
