"""Run the real bot as a subprocess, the way a server owner starts it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_LISTENING = re.compile(r"HTTP server listening on (http://\S+)")


class BotProcess:
    """``python -m bot`` with the given environment; its output goes to a log file."""

    def __init__(
        self, env: dict[str, str], workdir: Path, name: str = "bot", *, repo: Path = REPO
    ) -> None:
        """``repo`` is the checkout whose bot runs (a benchmark may run an older one)."""
        self.env = env
        self.repo = repo
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None
        self._log_handle = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(self.repo),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self._log_handle = self.log_path.open("ab")
        self._log_handle.write(f"\n===== start #{self.starts} =====\n".encode())
        self._log_handle.flush()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self.workdir,
            env=environment,
            stdout=self._log_handle,
            stderr=asyncio.subprocess.STDOUT,
        )

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def http_base(self) -> str:
        """The base URL of the bot's HTTP server, as it logged it on its latest start."""
        found = _LISTENING.findall(self.log_text())
        if not found:
            raise AssertionError(f"the bot logged no HTTP server:\n{self.log_text()[-2000:]}")
        return str(found[-1])

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def wait_for_log(self, text: str, timeout: float = 30.0, *, occurrences: int = 1) -> None:
        """Wait until the bot has logged ``text`` (at least ``occurrences`` times)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self.log_text().count(text) < occurrences:
            if not self.running:
                raise AssertionError(f"bot exited while waiting for {text!r}:\n{self.log_text()}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"bot never logged {text!r}:\n{self.log_text()[-4000:]}")
            await asyncio.sleep(0.05)

    async def terminate(self, timeout: float = 10.0) -> int:
        """Send SIGTERM, as Docker does, and return the exit code."""
        return await self._stop(signal.SIGTERM, timeout)

    async def kill(self) -> int:
        """SIGKILL: no clean-up at all, like a power cut."""
        return await self._stop(signal.SIGKILL, 10.0)

    async def _stop(self, signum: int, timeout: float) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signum)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
                raise AssertionError(
                    f"bot did not stop within {timeout}s:\n{self.log_text()}"
                ) from None
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None
        return self.process.returncode
