"""``python -m bot.emulator`` serves standalone and prints what the bot needs."""

from __future__ import annotations

import asyncio
import sys

import aiohttp


async def test_standalone_server_prints_its_addresses_and_serves():
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        "--port",
        "0",
        "--token",
        "cli-token",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        printed: dict[str, str] = {}
        assert process.stdout is not None
        while len(printed) < 3:
            line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode().strip()
            assert line, "the emulator exited before printing its addresses"
            key, sep, value = line.partition("=")
            if sep:
                printed[key] = value
        headers = {"Authorization": "Bot cli-token"}
        async with aiohttp.ClientSession() as http:
            async with http.get(printed["DISCORD_API_BASE"] + "/users/@me", headers=headers) as r:
                me = (r.status, await r.json())
            async with http.get(printed["DISCORD_API_BASE"] + "/users/@me") as r:
                anonymous = r.status
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
    assert printed["DISCORD_TOKEN"] == "cli-token"
    assert printed["DISCORD_GATEWAY_URL"].startswith("ws://127.0.0.1:")
    assert printed["DISCORD_GATEWAY_URL"].endswith("/gateway")
    assert me[0] == 200 and me[1]["bot"] is True
    assert anonymous == 401
    assert process.returncode == 0
