"""Run the Discord emulator standalone: ``python -m bot.emulator --port 8790``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import Emulator


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--token", default=None, help="accept only this bot token (default: any)")
    parser.add_argument("--public-url", default=None, help="base for absolute attachment URLs")
    parser.add_argument(
        "--attachment-size-limit", type=int, default=None, help="bytes per attachment"
    )
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    config = EmulatorConfig(token=args.token, public_url=args.public_url)
    if args.attachment_size_limit is not None:
        config.attachment_size_limit = args.attachment_size_limit
    emulator = Emulator(config)
    await emulator.start(host=args.host, port=args.port)
    info = emulator.describe()
    print(f"DISCORD_API_BASE={info['api_base']}", flush=True)
    print(f"DISCORD_GATEWAY_URL={info['gateway_url']}", flush=True)
    print(f"DISCORD_TOKEN={info['token']}", flush=True)
    print(f"control API: {info['control_url']}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.stop()


def main() -> None:
    """Parse arguments and serve until interrupted."""
    args = _parse()
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
