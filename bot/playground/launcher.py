"""Start the Discord emulator, the Pika simulator and the bot together; stop them in order."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import Emulator
from bot.pika.simulator import Simulator, SimulatorConfig
from bot.playground.bot_child import BotChild

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080
DEFAULT_DATA_DIR = Path("data/playground")
# Lively defaults: progress moves every second, a video takes a few seconds.
LIVELY_BOT = {
    "POLL_INTERVAL_SECONDS": "0.5",
    "PROGRESS_EDIT_INTERVAL_SECONDS": "1",
    "PIKA_POLLS_PER_SECOND": "20",
    "LOG_LEVEL": "INFO",
}


class PlaygroundError(Exception):
    """The playground could not start; the message says why in one sentence."""


@dataclass
class PlaygroundOptions:
    """What ``python -m bot playground`` can be told."""

    port: int = DEFAULT_PORT
    data_dir: Path = DEFAULT_DATA_DIR
    job_seconds: float = 5.0
    ready_timeout: float = 60.0
    bot_env: dict[str, str] = field(default_factory=dict)
    """Extra settings for the bot (tests make it poll faster)."""


class Playground:
    """The three parts running together on 127.0.0.1; ``url`` is the page to open."""

    def __init__(self, options: PlaygroundOptions | None = None) -> None:
        self.options = options or PlaygroundOptions()
        self.data_dir = self.options.data_dir.resolve()
        self.emulator = Emulator(EmulatorConfig())
        self.simulator = Simulator(
            SimulatorConfig(job_seconds=self.options.job_seconds, api_key=secrets.token_urlsafe(16))
        )
        self.bot: BotChild | None = None

    @property
    def url(self) -> str:
        """Return the address of the page."""
        return self.emulator.base_url

    async def start(self) -> None:
        """Start the servers, then the bot, and wait until its commands are synced."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            await self.emulator.start(host="127.0.0.1", port=self.options.port)
        except OSError as error:
            raise PlaygroundError(
                f"cannot listen on 127.0.0.1:{self.options.port} ({error.strerror}); "
                "choose another port with --port"
            ) from None
        await self.simulator.start(host="127.0.0.1", port=0)
        # The emulator starts empty every time, so the bot must sync its commands again;
        # its record of the last sync would otherwise tell it there is nothing to do.
        (self.data_dir / "command-sync.json").unlink(missing_ok=True)
        self.bot = BotChild(self._bot_env(), self.data_dir, self.data_dir / "bot.log")
        await self.bot.start()
        await self._wait_until_ready()

    def _bot_env(self) -> dict[str, str]:
        api_key = self.simulator.config.api_key or ""
        return {
            **LIVELY_BOT,
            **self.options.bot_env,
            "DISCORD_TOKEN": self.emulator.token,
            "DISCORD_API_BASE": self.emulator.api_base,
            "DISCORD_GATEWAY_URL": self.emulator.gateway_url,
            "PIKA_PROVIDER": "webbot",
            "PIKA_API_BASE": self.simulator.webbot_base,
            "PIKA_API_KEY": api_key,
            "DATABASE_PATH": str(self.data_dir / "bot.sqlite3"),
            # The bot's own HTTP server on any free port (the page does not need it).
            "HTTP_LISTEN": "127.0.0.1:0",
        }

    async def _wait_until_ready(self) -> None:
        assert self.bot is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.ready_timeout
        commands = self.emulator.state.commands
        while not commands.list(None):
            if not self.bot.running:
                raise PlaygroundError(
                    f"the bot exited (status {self.bot.returncode}) before it was ready:\n"
                    f"{self.bot.log_tail()}"
                )
            if loop.time() > deadline:
                raise PlaygroundError(
                    f"the bot did not sync its commands within {self.options.ready_timeout:.0f}"
                    f" s; see {self.bot.log_path}"
                )
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        """Stop the bot first (it talks to both servers), then the servers."""
        if self.bot is not None:
            await self.bot.stop()
        await self.emulator.stop()
        await self.simulator.stop()


def parse_args(argv: list[str] | None) -> PlaygroundOptions:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bot playground",
        description="Try every command in a browser: a local Discord-like server, a Pika "
        "simulator and the real bot, with no Discord account and no Pika key.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port of the page on 127.0.0.1 (0: any)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="where the bot keeps its SQLite file and log (default: data/playground)",
    )
    parser.add_argument(
        "--job-seconds", type=float, default=5.0, help="how long the simulator takes per video"
    )
    args = parser.parse_args(argv)
    return PlaygroundOptions(port=args.port, data_dir=args.data_dir, job_seconds=args.job_seconds)


async def serve(options: PlaygroundOptions) -> int:
    """Run the playground until SIGINT or SIGTERM (0) or until the bot dies (1)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    playground = Playground(options)
    status = 0
    try:
        starting = asyncio.ensure_future(playground.start())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            # Ctrl-C while starting: abandon the start and clean up what exists.
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            return 0
        starting.result()
        print(
            f"Pika playground running: open {playground.url}  "
            f"(Ctrl-C to stop; bot log: {playground.data_dir / 'bot.log'})",
            flush=True,
        )
        assert playground.bot is not None
        bot_exit = asyncio.ensure_future(playground.bot.wait())
        await asyncio.wait({bot_exit, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if bot_exit.done() and not stop.is_set():
            print(
                f"The bot stopped unexpectedly (status {bot_exit.result()}):\n"
                f"{playground.bot.log_tail()}",
                file=sys.stderr,
            )
            status = 1
        bot_exit.cancel()
        stopped.cancel()
    except PlaygroundError as error:
        print(f"Cannot start the playground: {error}", file=sys.stderr)
        status = 1
    finally:
        await playground.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return status


def run(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and serve; return the exit status."""
    options = parse_args(argv)
    options.data_dir.mkdir(parents=True, exist_ok=True)
    # The terminal shows only the address; the servers' own messages go to a file.
    logging.basicConfig(
        filename=options.data_dir / "playground.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return asyncio.run(serve(options))
