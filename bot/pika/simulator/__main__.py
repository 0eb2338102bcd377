"""``python -m bot.pika.simulator``: serve the Pika simulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from bot.pika.simulator.app import Simulator
from bot.pika.simulator.config import SimulatorConfig
from bot.pika.simulator.faults import FaultConfig, FaultConfigError

log = logging.getLogger(__name__)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.pika.simulator",
        description=(
            "A local Pika service speaking the webbot (/web), feed (/pika), Pika developer API"
            " (/pikadev) and fal queue (/fal) dialects."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument(
        "--api-key",
        default=None,
        help="require this key (Bearer for webbot/feed, X-API-KEY for pikadev, Key for fal)",
    )
    parser.add_argument("--job-seconds", type=float, default=4.0, help="submission to finished")
    parser.add_argument("--video-seconds", type=float, default=3.0, help="length of a new video")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of jobs that fail")
    parser.add_argument(
        "--fal-concurrency", type=int, default=2, help="fal requests run at once (0: no limit)"
    )
    parser.add_argument(
        "--fal-ignores-cancel",
        action="store_true",
        help="running fal requests carry on when cancelled",
    )
    parser.add_argument(
        "--hd-fps", type=float, default=8.0, help="frame rate of pikadev/fal videos"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault dice")
    parser.add_argument("--large-video", action="store_true", help="make ~15 MB results")
    parser.add_argument("--output-dir", type=Path, default=None, help="keep results here")
    parser.add_argument("--public-base-url", default=None, help="base of URLs handed out")
    parser.add_argument(
        "--faults",
        default=None,
        help='initial faults as JSON, e.g. \'{"status_500": {"rate": 0.1}}\'',
    )
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> SimulatorConfig:
    """Turn the command line into a ``SimulatorConfig``."""
    faults = FaultConfig.from_json(json.loads(args.faults)) if args.faults else FaultConfig()
    return SimulatorConfig(
        job_seconds=args.job_seconds,
        api_key=args.api_key,
        large_video=args.large_video,
        fail_rate=args.fail_rate,
        seed=args.seed,
        output_dir=args.output_dir,
        public_base_url=args.public_base_url,
        video_seconds=args.video_seconds,
        fal_concurrency=args.fal_concurrency,
        fal_honours_cancel=not args.fal_ignores_cancel,
        hd_fps=args.hd_fps,
        faults=faults,
    )


async def serve(config: SimulatorConfig, host: str, port: int) -> None:
    """Run the simulator until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    simulator = Simulator(config)
    await simulator.start(host=host, port=port)
    print(
        f"Pika simulator on {simulator.base_url}\n"
        f"  webbot base:  {simulator.webbot_base}  (POST /generate, GET /jobs/{{id}}, ...)\n"
        f"  feed base:    {simulator.feed_base}  (POST /pika/generate, GET /pika/feed/{{id}})\n"
        f"  pikadev base: {simulator.pikadev_base}  (POST /generate/2.2/t2v, ...,"
        f" GET /videos/{{id}})\n"
        f"  fal base:     {simulator.fal_base}  (POST /fal-ai/pika/v2.2/text-to-video, ...,"
        f" GET /fal-ai/pika/requests/{{id}}/status)\n"
        f"  fal JWKS:     {simulator.fal_jwks_url}\n"
        f"  control:      {simulator.base_url}/_sim/faults, /_sim/requests, /_sim/reset",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await simulator.stop()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and serve; return the exit status."""
    args = parse_args(argv)
    try:
        config = build_config(args)
    except (ValueError, FaultConfigError) as error:
        print(f"invalid --faults: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(serve(config, args.host, args.port))
    except OSError as error:
        print(f"could not serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
