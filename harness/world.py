"""The bot's environment for the test stages: a Discord emulator, a Pika simulator, free ports."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.emulator.server import Emulator
from bot.pika.simulator import Simulator

PIKA_KEY = "sim-test-key"
FAST_BOT = {
    "POLL_INTERVAL_SECONDS": "0.2",
    "PROGRESS_EDIT_INTERVAL_SECONDS": "0.25",
    "PIKA_POLLS_PER_SECOND": "200",
    "LOG_LEVEL": "INFO",
    # Any free port: several bots may run at once, and tests read the port from the log.
    "HTTP_LISTEN": "127.0.0.1:0",
}


def free_port() -> int:
    """A TCP port nothing listens on now (for a bot's HTTP server that Pika must reach)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bot_env(
    emulator: Emulator, simulator: Simulator, database_path: Path, dialect: str, **extra: str
) -> dict[str, str]:
    """The environment of a bot using ``dialect`` of the simulator (webbot, feed, pika, fal)."""
    provider: dict[str, str]
    if dialect == "fal":
        provider = {
            "FAL_KEY": PIKA_KEY,
            "FAL_API_BASE": simulator.fal_base,
            "FAL_JWKS_URL": simulator.fal_jwks_url,
        }
    else:
        bases = {
            "webbot": simulator.webbot_base,
            "feed": simulator.feed_base,
            "pika": simulator.pikadev_base,
        }
        provider = {"PIKA_API_BASE": bases[dialect], "PIKA_API_KEY": PIKA_KEY}
    return {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_BASE": emulator.api_base,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        "PIKA_PROVIDER": dialect,
        **provider,
        "DATABASE_PATH": str(database_path),
        **FAST_BOT,
        **extra,
    }
