"""The dependencies the bot is built from, created once in ``bot.__main__``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import aiohttp

from bot.config import Settings
from bot.pika.provider import PikaProvider
from bot.store import Clock, JobStore, QuotaEngine

if TYPE_CHECKING:
    from bot.client import PikaBot
    from bot.jobs.engine import JobEngine
    from bot.jobs.launch import Launcher


@dataclass
class Services:
    settings: Settings
    http: aiohttp.ClientSession
    clock: Clock
    store: JobStore = field(init=False)
    quota: QuotaEngine = field(init=False)
    pika: PikaProvider = field(init=False)
    engine: JobEngine = field(init=False)
    launcher: Launcher = field(init=False)

    def attach_bot(self, bot: PikaBot) -> None:
        """Build the parts that talk to Discord, now that the bot exists."""
        from bot.jobs.engine import EngineSettings, JobEngine
        from bot.jobs.launch import Launcher
        from bot.jobs.outlet import DiscordOutlet
        from bot.ui.buttons import result_view

        settings = self.settings
        self.engine = JobEngine(
            store=self.store,
            provider=self.pika,
            outlet=DiscordOutlet(bot, self.clock.now),
            http=self.http,
            settings=EngineSettings(
                poll_interval=settings.poll_interval_seconds,
                polls_per_second=settings.pika_polls_per_second,
                edit_interval=settings.progress_edit_interval_seconds,
                deadline=timedelta(minutes=settings.job_deadline_minutes),
            ),
            view_for_result=lambda record: result_view(record, self.pika.capabilities),
            now=self.clock.now,
        )
        self.launcher = Launcher(bot)
