"""The dependencies the bot is built from, created once in ``bot.__main__``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.config import Settings


@dataclass
class Services:
    settings: Settings
    http: aiohttp.ClientSession
    store: Any = None
    quota: Any = None
    pika: Any = None
    engine: Any = None
