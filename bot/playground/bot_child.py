"""The real bot as a child process (``python -m bot``), started and stopped by the playground."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
from pathlib import Path
from typing import IO

import bot as bot_package

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
# Where ``import bot`` resolves, so the child finds the same code even when not installed.
_CODE_ROOT = Path(bot_package.__file__).resolve().parents[1]


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the child if the playground itself is killed (no orphan bot)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class BotChild:
    """``python -m bot`` with a given environment; its output goes to ``log_path``."""

    def __init__(self, env: dict[str, str], workdir: Path, log_path: Path) -> None:
        self._env = env
        self._workdir = workdir
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def running(self) -> bool:
        """Return whether the child is alive."""
        return self._process is not None and self._process.returncode is None

    @property
    def returncode(self) -> int | None:
        """Return the exit status once the child has exited."""
        return self._process.returncode if self._process is not None else None

    async def start(self) -> None:
        """Start the bot; the environment given replaces any setting the user has exported."""
        python_path = os.pathsep.join(
            p for p in (str(_CODE_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        environment = {
            **os.environ,
            "PYTHONPATH": python_path,
            "PYTHONUNBUFFERED": "1",
            **self._env,
        }
        self._log = self.log_path.open("ab")
        self._log.write(b"\n===== playground: starting the bot =====\n")
        self._log.flush()
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=self._workdir,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            # Its own session: a Ctrl-C in the terminal reaches only the playground, which
            # then stops the bot in order (bot first, then the servers it talks to).
            start_new_session=True,
            preexec_fn=preexec,
        )
        log.info("Started the bot (pid %s), log in %s", self._process.pid, self.log_path)

    async def wait(self) -> int:
        """Wait for the child to exit and return its status."""
        assert self._process is not None
        return await self._process.wait()

    async def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM the bot, give it ``timeout`` seconds to finish cleanly, then SIGKILL it."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                log.warning("The bot did not stop within %.0f s; killing it", timeout)
                process.kill()
                await process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return process.returncode

    def log_tail(self, lines: int = 20) -> str:
        """Return the last lines the bot wrote, for an error message."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
