"""A Discord-compatible server (REST v10 + gateway) that unmodified discord.py connects to.

See ``bot/emulator/README.md`` for the control API; ``Emulator`` runs it and
``EmulatorDriver`` drives it from tests.
"""

from bot.emulator.config import EmulatorConfig, RateLimitRule
from bot.emulator.driver import EmulatorDriver, EmulatorError
from bot.emulator.server import Emulator

__all__ = ["Emulator", "EmulatorConfig", "EmulatorDriver", "EmulatorError", "RateLimitRule"]
