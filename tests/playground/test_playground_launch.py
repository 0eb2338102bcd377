"""A newcomer runs the README's first command and has the page up, commands listed, in 30 s."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

from playwright.async_api import expect

from tests.playground.browser import REPO, chromium, open_page, shot

STARTUP_LIMIT = 30.0
URL_LINE = re.compile(r"open (http://127\.0\.0\.1:(\d+))\b")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def launch(workdir: Path, *args: str) -> asyncio.subprocess.Process:
    """``python -m bot playground`` from a directory with nothing configured."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "PYTHONPATH": str(REPO),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "playground",
        *args,
        cwd=workdir,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_url(process: asyncio.subprocess.Process) -> str:
    """Wait for the one line that says where to go; fail after the newcomer's patience."""
    assert process.stdout is not None

    async def first_url() -> str:
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise AssertionError("the playground exited before printing its address")
            found = URL_LINE.search(line)
            if found:
                return found.group(1)

    try:
        return await asyncio.wait_for(first_url(), STARTUP_LIMIT)
    except TimeoutError:
        process.kill()
        raise AssertionError(f"no address printed within {STARTUP_LIMIT:.0f} s") from None


async def stop(process: asyncio.subprocess.Process, signum: int) -> tuple[int, str]:
    process.send_signal(signum)
    try:
        _, errors = await asyncio.wait_for(process.communicate(), 30)
    except TimeoutError:
        process.kill()
        raise AssertionError("the playground did not stop within 30 s") from None
    return process.returncode, errors.decode()


async def test_a_newcomer_sees_the_commands_within_30_seconds(tmp_path) -> None:
    port = free_port()
    loop = asyncio.get_running_loop()
    started = loop.time()
    process = await launch(tmp_path, "--port", str(port))
    try:
        url = await read_url(process)
        assert url == f"http://127.0.0.1:{port}"
        async with chromium(tmp_path / "profile") as context:
            page = await context.new_page()
            await open_page(page, url)
            await page.click("#composer-input")
            await page.keyboard.type("/")
            items = page.locator(".command-item")
            await expect(items.first).to_be_visible()
            names = await items.evaluate_all("(all) => all.map((i) => i.dataset.command)")
            assert {"generate", "extend", "quota", "jobs"} <= set(names), names
            # alice is no server manager: Discord would not show her /admin.
            assert not [n for n in names if n.startswith("admin")], names
            await expect(
                page.locator(".command-item[data-command='generate'] .command-item-desc")
            ).to_have_text("Make a video from a prompt, an image or a video")
            elapsed = loop.time() - started
            await shot(page, "00-newcomer-commands")
        assert elapsed < STARTUP_LIMIT, f"the commands were listed after {elapsed:.1f} s"
    finally:
        status, errors = await stop(process, signal.SIGINT)
    assert status == 0, errors
    data = tmp_path / "data" / "playground"
    assert (data / "bot.sqlite3").is_file()
    log = (data / "bot.log").read_text()
    assert "Stopped cleanly" in log, log[-3000:]


async def test_sigterm_stops_the_bot_and_the_servers(tmp_path) -> None:
    process = await launch(tmp_path, "--port", "0", "--data-dir", "state")
    url = await read_url(process)
    port = int(url.rsplit(":", 1)[1])
    status, errors = await stop(process, signal.SIGTERM)
    assert status == 0, errors
    assert "Stopped cleanly" in (tmp_path / "state" / "bot.log").read_text()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the page is still served"


async def test_a_busy_port_is_explained(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await launch(tmp_path, "--port", str(port))
        _, errors = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in errors.decode()
    assert "--port" in errors.decode()
