"""The whole world for end-to-end tests: emulator and simulator in-process, the bot a process."""

from __future__ import annotations

import asyncio
import io
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import av

from bot.emulator.config import EmulatorConfig
from bot.emulator.driver import EmulatorDriver
from bot.emulator.server import Emulator
from bot.jobs.push import WebhookSigner
from bot.pika.simulator import Simulator, SimulatorConfig
from bot.pika.simulator.video import RenderSpec, render
from bot.store import JobStore, QuotaDefaults, QuotaEngine, open_database
from harness.process import BotProcess
from harness.world import PIKA_KEY, bot_env, free_port

PUSH_SECRET = "push-test-secret"


@dataclass
class Media:
    """Real files users attach: a PNG-compatible JPEG image, an MP4 video and a WAV clip."""

    image: bytes
    video: bytes
    audio: bytes

    def attach(self, kind: str, name: str | None = None) -> dict[str, Any]:
        data = {"image": self.image, "video": self.video, "audio": self.audio}[kind]
        filename = name or {"image": "photo.jpg", "video": "clip.mp4", "audio": "speech.wav"}[kind]
        content_type = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/wav"}[kind]
        import base64

        return {
            "filename": filename,
            "content_type": content_type,
            "data_base64": base64.b64encode(data).decode(),
        }


def make_media(directory: Path) -> Media:
    result = render(
        RenderSpec(width=128, height=72, fps=12, seconds=2.0, content="fixture", seed=1),
        directory / "media",
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 8000)
    return Media(
        image=result.poster.read_bytes(), video=result.video.read_bytes(), audio=buffer.getvalue()
    )


def decode_video(data: bytes) -> dict[str, Any]:
    """Decode an MP4 fully; return what a viewer would notice."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return {
            "frames": frames,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "seconds": float(stream.duration * stream.time_base) if stream.duration else None,
        }


@dataclass
class Stack:
    emulator: Emulator
    simulator: Simulator
    emu: EmulatorDriver
    bot: BotProcess
    database_path: Path
    media: Media
    dialect: str
    signer: WebhookSigner | None = None
    """With push: signs webhook URLs as the bot does (the test knows its secret)."""
    _store: tuple[Any, JobStore, QuotaEngine] | None = field(default=None, repr=False)

    # -- users ---------------------------------------------------------------------------

    async def slash(
        self,
        user: str,
        command: str,
        options: dict[str, Any] | None = None,
        attachments: dict[str, Any] | None = None,
        channel: str = "general",
    ) -> str:
        return await self.emu.slash(user, channel, command, options or {}, attachments or {})

    async def answer_of(self, interaction_id: str, timeout: float = 20.0) -> dict[str, Any]:
        """The first message the bot produced for an interaction (ephemeral or not)."""
        state = await self.emu.wait_for_interaction(
            interaction_id,
            lambda i: any(settled(m) for m in i.get("messages", [])),
            timeout=timeout,
        )
        return next(m for m in state["messages"] if settled(m))

    async def result_for(
        self, job_id: int, channel: str = "general", timeout: float = 45.0
    ) -> dict[str, Any]:
        """Wait for the posted result (or failure) message of a job."""

        def is_result(message: dict[str, Any]) -> bool:
            return any(
                _footer(embed) in (f"Pika job #{job_id} · result", f"Pika job #{job_id} · failed")
                for embed in message.get("embeds", [])
            )

        return await self.emu.wait_for_message(channel, is_result, timeout=timeout)

    async def results(self, channel: str = "general") -> list[dict[str, Any]]:
        return [
            m
            for m in await self.emu.messages(channel)
            if any(_footer(e).endswith(" · result") for e in m.get("embeds", []))
        ]

    async def clear_discord_faults(self) -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.delete(f"{self.emulator.base_url}/_emulator/faults") as response,
        ):
            assert response.status == 200, await response.text()

    # -- the database, read as an auditor would --------------------------------------------

    async def store(self) -> tuple[JobStore, QuotaEngine]:
        if self._store is None:
            database = await open_database(self.database_path)
            quota = QuotaEngine(database, QuotaDefaults())
            self._store = (database, JobStore(database, quota), quota)
        return self._store[1], self._store[2]

    async def job_ids(self) -> list[int]:
        store, _ = await self.store()
        guild = await self.guild_id()
        return [job.id for job in await store.recent_jobs(guild, None, limit=1000)]

    async def wait_for_job(self, predicate: Callable[[Any], bool], timeout: float = 30.0) -> Any:
        store, _ = await self.store()
        guild = await self.guild_id()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for job in await store.recent_jobs(guild, None, limit=1000):
                if predicate(job):
                    return job
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"no job matched within {timeout}s\n{self.bot.log_text()[-3000:]}"
                )
            await asyncio.sleep(0.05)

    async def wait_for_job_in(
        self, scope: int, job_id: int, status: str, timeout: float = 30.0
    ) -> Any:
        """Wait for job ``job_id`` of ``scope`` (a server, or personal use) to reach ``status``."""
        store, _ = await self.store()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            job = await store.get_job(job_id)
            if job is not None and job.guild_id == scope and job.status == status:
                return job
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"job {job_id} is {job}\n{self.bot.log_text()[-3000:]}")
            await asyncio.sleep(0.05)

    async def guild_id(self) -> int:
        world = await self.emu.world()
        return int(world["guilds"][0]["id"])

    async def user_id(self, name: str) -> int:
        world = await self.emu.world()
        return int(next(u["id"] for u in world["users"] if u["username"] == name))

    async def close(self) -> None:
        if self._store is not None:
            await self._store[0].close()


def _footer(embed: dict[str, Any]) -> str:
    return (embed.get("footer") or {}).get("text", "")


def settled(message: dict[str, Any]) -> bool:
    """A deferred "thinking..." message has not said anything yet."""
    return (
        not message.get("loading")
        and not message.get("deleted")
        and bool(message.get("content") or message.get("embeds"))
    )


async def start_stack(
    tmp_path: Path,
    *,
    dialect: str = "webbot",
    job_seconds: float = 1.2,
    bot_extra: dict[str, str] | None = None,
    emulator_config: EmulatorConfig | None = None,
    simulator_config: SimulatorConfig | None = None,
    push: bool = False,
) -> Stack:
    """The world; with ``push`` the bot's HTTP server gets a fixed port Pika pushes to."""
    simulator = Simulator(
        simulator_config or SimulatorConfig(job_seconds=job_seconds, api_key=PIKA_KEY)
    )
    await simulator.start(host="127.0.0.1", port=0)
    emulator = Emulator(emulator_config or EmulatorConfig())
    await emulator.start(host="127.0.0.1", port=0)
    driver = EmulatorDriver(emulator.base_url)
    await driver.__aenter__()
    database_path = tmp_path / "data" / "bot.sqlite3"
    extra = dict(bot_extra or {})
    signer = None
    if push:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        extra = {
            "HTTP_LISTEN": f"127.0.0.1:{port}",
            "PIKA_WEBHOOK_URL": url,
            "PIKA_WEBHOOK_SECRET": PUSH_SECRET,
            **extra,
        }
        signer = WebhookSigner(url, PUSH_SECRET)
    bot = BotProcess(bot_env(emulator, simulator, database_path, dialect, **extra), tmp_path)
    await bot.start()
    await bot.wait_for_log("Logged in as", timeout=60)
    return Stack(
        emulator, simulator, driver, bot, database_path, make_media(tmp_path), dialect, signer
    )


async def stop_stack(stack: Stack) -> None:
    if stack.bot.running:
        await stack.bot.terminate()
    await stack.close()
    await stack.emu.close()
    await stack.emulator.stop()
    await stack.simulator.stop()
