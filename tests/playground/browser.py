"""Headless Debian Chromium driven by Playwright, and what a person sees on the playground page."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, async_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "playground"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def require_chromium() -> None:
    """Skip when Debian's chromium is absent, unless CI says it must be there."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install -y chromium"
    if os.environ.get("PLAYGROUND_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[BrowserContext]:
    """Start Chromium with a new empty profile; close it however the test ends."""
    require_chromium()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=LAPTOP,
        )
        try:
            yield context
        finally:
            await context.close()


async def shot(page: Page, name: str) -> Path:
    """Save a screenshot for people to look at (test-artifacts/ is git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def open_page(page: Page, url: str) -> None:
    """Load the page and wait until it has the world, the commands and the messages."""
    await page.goto(url)
    await page.wait_for_selector("body[data-ready='1']", state="attached", timeout=15_000)


async def act_as(page: Page, username: str) -> None:
    """Switch the member the page acts as."""
    await page.click(f"button.member[data-username='{username}']")
    await page.wait_for_selector(
        f"button.member.active[data-username='{username}']", state="attached"
    )


async def open_command(page: Page, command: str) -> None:
    """Type ``/`` and the command, and pick it from the list, as a person would."""
    await page.click("#composer-input")
    await page.fill("#composer-input", "")
    await page.keyboard.type("/" + command.split()[0])
    await page.click(f".command-item[data-command='{command}']")
    await page.wait_for_selector(f"form.command-form[data-command='{command}']")


def message_with_footer(page: Page, footer: str) -> Locator:
    """The message whose embed footer reads exactly ``footer``."""
    exact = re.compile(rf"^\s*{re.escape(footer)}\s*$")
    return page.locator("article.message").filter(has=page.locator(".embed-footer", has_text=exact))


def result_of(page: Page, job_id: int) -> Locator:
    return message_with_footer(page, f"Pika job #{job_id} · result")


def progress_of(page: Page, job_id: int) -> Locator:
    return message_with_footer(page, f"Pika job #{job_id}")


# Records every state of a progress message the page shows, from the DOM as it changes.
WATCH_PROGRESS = """
(footer) => {
  window.__progress = window.__progress || {};
  const seen = (window.__progress[footer] = []);
  const look = () => {
    for (const article of document.querySelectorAll("article.message")) {
      const foot = article.querySelector(".embed-footer");
      if (!foot || foot.textContent.trim() !== footer) continue;
      const text = article.querySelector(".embed")?.innerText || "";
      if (seen[seen.length - 1] !== text) seen.push(text);
    }
  };
  new MutationObserver(look).observe(document.getElementById("messages"),
    { childList: true, subtree: true, characterData: true });
}
"""


async def watch_progress(page: Page, footer: str) -> None:
    await page.evaluate(WATCH_PROGRESS, footer)


async def progress_seen(page: Page, footer: str) -> list[str]:
    return await page.evaluate("(footer) => window.__progress[footer]", footer)


def percentages(states: list[str]) -> list[int]:
    """The distinct percentages shown, in order."""
    found: list[int] = []
    for state in states:
        match = re.search(r"(\d+)%", state)
        if match and (not found or found[-1] != int(match.group(1))):
            found.append(int(match.group(1)))
    return found
