"""Several bot processes on one PostgreSQL database: the end-to-end proof and the benchmark
of issue 12 share this.

One emulator with a server per shard ("Pika Lab"-like default on shard 0, "Art Club" on 1,
"Film Club" on 2 of 3), one simulator, N real ``python -m bot`` processes each connecting its
own shards, and a round-robin front for Pika's pushes: as behind a load balancer, a push
reaches any live process, not necessarily the one holding the job.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.emulator.config import EmulatorConfig
from bot.emulator.driver import EmulatorDriver
from bot.emulator.server import Emulator
from bot.pika.simulator import Simulator, SimulatorConfig
from harness.process import BotProcess
from harness.world import PIKA_KEY, bot_env, free_port

SHARD_GUILDS = 3
"""The emulator's extra-guild world has one installed server on each of 3 shards."""

PUSH_SECRET = "fleet-push-secret"


class PushFront:
    """A tiny load balancer: forwards each push to the next live bot, skipping dead ones.

    ``pinned`` sends every push to that one backend instead (to prove that a push reaching a
    process that does not hold the job still gets it acted on); ``forwarded`` counts the
    pushes each backend answered.
    """

    def __init__(self) -> None:
        self.backends: list[str] = []
        self.pinned: int | None = None
        self.forwarded: Counter[int] = Counter()
        self._next = itertools.count()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._forward)
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        for _ in range(len(self.backends)):
            index = next(self._next) % len(self.backends) if self.pinned is None else self.pinned
            try:
                async with self._http.post(
                    self.backends[index] + request.path_qs, data=body, headers=headers
                ) as answer:
                    self.forwarded[index] += 1
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientError:
                continue  # that process is gone: the next one answers
        return web.Response(status=502)


@dataclass
class Fleet:
    emulator: Emulator
    simulator: Simulator
    emu: EmulatorDriver
    front: PushFront
    bots: list[BotProcess]
    guild_names: list[str]
    """The installed servers, one per shard."""

    async def guild_ids(self) -> dict[str, int]:
        world = await self.emu.world()
        return {g["name"]: int(g["id"]) for g in world["guilds"]}

    def logs(self) -> str:
        return "\n".join(f"--- {bot.log_path.name}\n{bot.log_text()[-3000:]}" for bot in self.bots)

    async def add_members(self, per_guild: int, prefix: str = "m") -> dict[str, list[str]]:
        """``per_guild`` new members in each installed server; their names by server."""
        members: dict[str, list[str]] = {}
        for index, guild in enumerate(self.guild_names):
            names = [f"{prefix}{index}x{n}" for n in range(per_guild)]
            for name in names:
                await self.emu.add_user(name, guild=guild)
            members[guild] = names
        return members

    async def stop(self) -> None:
        for bot in self.bots:
            if bot.running:
                await bot.terminate(timeout=30)
        await self.front.stop()
        await self.emu.close()
        await self.emulator.stop()
        await self.simulator.stop()


async def start_fleet(
    workdir: Path,
    database_url: str,
    *,
    processes: int = 3,
    job_seconds: float = 3.0,
    lease_seconds: float = 30.0,
    poll_seconds: float = 2.0,
    extra: dict[str, str] | None = None,
    fast: bool = True,
) -> Fleet:
    """Start the world and ``processes`` bots sharing the 3 shards (round robin)."""
    simulator = Simulator(
        SimulatorConfig(job_seconds=job_seconds, api_key=PIKA_KEY, render_concurrency=2)
    )
    await simulator.start(host="127.0.0.1", port=0)
    emulator = Emulator(EmulatorConfig(extra_guilds=True))
    await emulator.start(host="127.0.0.1", port=0)
    emu = EmulatorDriver(emulator.base_url)
    await emu.__aenter__()
    front = PushFront()
    await front.start()
    world = await emu.world()
    installed = [g["name"] for g in world["guilds"] if g["name"] != "Outside"][:SHARD_GUILDS]
    bots: list[BotProcess] = []
    shards: list[list[int]] = [[] for _ in range(processes)]
    for shard in range(SHARD_GUILDS):
        shards[shard % processes].append(shard)
    for index in range(processes):
        port = free_port()
        env = bot_env(
            emulator,
            simulator,
            workdir / "unused.sqlite3",
            "webbot",
            DATABASE_URL=database_url,
            SHARD_COUNT=str(SHARD_GUILDS),
            SHARD_IDS=",".join(str(s) for s in shards[index]),
            JOB_LEASE_SECONDS=str(lease_seconds),
            POLL_INTERVAL_SECONDS=str(poll_seconds),
            HTTP_LISTEN=f"127.0.0.1:{port}",
            PIKA_WEBHOOK_URL=front.url,
            PIKA_WEBHOOK_SECRET=PUSH_SECRET,
            **(extra or {}),
        )
        if not fast:
            for name in ("PROGRESS_EDIT_INTERVAL_SECONDS", "PIKA_POLLS_PER_SECOND"):
                if name not in (extra or {}):
                    env.pop(name, None)
        env.pop("DATABASE_PATH", None)
        bots.append(BotProcess(env, workdir, name=f"bot-{index}"))
        front.backends.append(f"http://127.0.0.1:{port}")
    await asyncio.gather(*(bot.start() for bot in bots))
    await asyncio.gather(*(bot.wait_for_log("Logged in as", timeout=90) for bot in bots))
    await emu.wait_for(
        emu.commands, lambda c: len(c.get("global", [])) > 5, timeout=60, what="commands synced"
    )
    return Fleet(emulator, simulator, emu, front, bots, installed)
