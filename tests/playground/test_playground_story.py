"""A person plays with the bot in a real browser: alice makes videos, bob and the owner join in."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from playwright.async_api import Page, expect

from bot.pika.simulator.video import RenderSpec, render
from bot.playground.launcher import Playground
from tests.playground.browser import (
    PHONE,
    act_as,
    chromium,
    open_command,
    open_page,
    percentages,
    progress_of,
    progress_seen,
    result_of,
    shot,
    watch_progress,
)

VIDEO_TIMEOUT = 30_000


def photo(directory: Path) -> Path:
    """A real JPEG, as a person would pick from their disk."""
    made = render(
        RenderSpec(width=160, height=160, fps=12, seconds=1.0, content="photo", seed=7),
        directory / "media",
    )
    return made.poster


async def wait_until_playable(page: Page, job_id: int) -> None:
    """The result's inline video has decoded a frame (HAVE_CURRENT_DATA or better)."""
    video = result_of(page, job_id).locator("video")
    await expect(video).to_have_count(1, timeout=VIDEO_TIMEOUT)
    handle = await video.element_handle()
    await page.wait_for_function(
        "(v) => v.readyState >= 2 && v.videoWidth > 0", arg=handle, timeout=10_000
    )


async def test_alice_bob_and_the_owner_use_the_bot_in_a_browser(
    playground: Playground, tmp_path
) -> None:
    async with chromium(tmp_path / "profile") as context:
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        requests: Counter[str] = Counter()
        page.on(
            "request",
            lambda request: requests.update(
                ["messages"] if re.search(r"/_emulator/channels/\d+/messages", request.url) else []
            ),
        )
        await open_page(page, playground.url + "/?as=alice")
        await expect(page.locator("button.member.active")).to_have_attribute(
            "data-username", "alice"
        )

        # -- alice makes a video from the composer and watches it being made ----------------
        await open_command(page, "generate")
        await shot(page, "01-alice-generate-form")
        await page.fill("[data-option='prompt'] input", "a cat surfing a wave at sunset")
        await page.select_option("[data-option='aspect_ratio'] select", label="1:1")
        # The file picker: the picture travels as base64 and the bot must fetch it to start.
        await page.set_input_files("[data-option='image'] input", photo(tmp_path))
        await watch_progress(page, "Pika job #1")
        await page.click("#command-send")
        await expect(progress_of(page, 1)).to_have_count(1, timeout=10_000)
        sent = next(
            i.payload["data"]
            for i in playground.emulator.state.interactions.by_id.values()
            if i.command_name == "generate"
        )
        (picture,) = sent["resolved"]["attachments"].values()
        assert picture["size"] == photo(tmp_path).stat().st_size
        assert picture["content_type"] == "image/jpeg"
        await expect(progress_of(page, 1).locator(".interaction-header")).to_contain_text(
            "Alice used /generate"
        )
        await shot(page, "02-alice-progress")
        await wait_until_playable(page, 1)
        await expect(progress_of(page, 1).locator(".embed-title")).to_contain_text("Done")
        shown = percentages(await progress_seen(page, "Pika job #1"))
        assert len(shown) >= 2, f"the progress never moved on the page: {shown}"
        assert shown == sorted(shown) and shown[-1] == 100, shown
        result = result_of(page, 1)
        await expect(result.locator(".message-content")).to_contain_text("@Alice")
        await expect(result.locator(".embed-title")).to_have_text("Generate · Done")
        await shot(page, "03-alice-result-video")

        # -- Extend from the result's button -----------------------------------------------
        await result.locator("button.dc-button", has_text="Extend").click()
        await wait_until_playable(page, 2)
        await expect(result_of(page, 2).locator(".embed-title")).to_contain_text("Extend")
        await shot(page, "04-alice-extended")

        # -- Reprompt through the modal ----------------------------------------------------
        await result.locator("button.dc-button", has_text="Reprompt").click()
        dialog = page.locator("#modal-dialog[open]")
        await expect(dialog).to_be_visible(timeout=5_000)
        await expect(dialog.locator("h2")).to_have_text("Reprompt this video")
        prompt = dialog.locator("textarea, input").first
        await expect(prompt).to_have_value("a cat surfing a wave at sunset")
        await prompt.fill("a dog surfing a wave at dawn")
        await shot(page, "05-alice-reprompt-modal")
        await dialog.locator("button[type='submit']").click()
        await expect(dialog).to_have_count(0)
        await wait_until_playable(page, 3)
        await expect(result_of(page, 3).locator(".embed-description")).to_contain_text(
            "a dog surfing a wave at dawn"
        )
        await shot(page, "06-alice-reprompted")

        # -- autocomplete asks the bot while alice types --------------------------------------
        await open_command(page, "upscale")
        await page.click("[data-option='job'] input")
        await page.keyboard.type("dog")
        choices = page.locator("[data-option='job'] .ac-item")
        await expect(choices).to_have_count(1)
        await expect(choices).to_have_text("#3 · Reprompt · a dog surfing a wave at dawn")
        await choices.click()
        await expect(page.locator("[data-option='job'] input")).to_have_value(
            "#3 · Reprompt · a dog surfing a wave at dawn"
        )
        await shot(page, "06b-alice-autocomplete")
        await page.keyboard.press("Escape")
        await expect(page.locator("form.command-form")).to_have_count(0)

        # -- bob presses alice's button: a refusal only bob sees ---------------------------
        await act_as(page, "bob")
        await expect(page.locator("button.member[data-username='bob'] .role-chip")).to_have_text(
            "Supporter"
        )
        await result.locator("button.dc-button", has_text="Extend").click()
        refusal = page.locator("article.message.ephemeral").filter(has_text="can use the buttons")
        await expect(refusal).to_have_count(1, timeout=10_000)
        await expect(refusal.locator(".ephemeral-note")).to_contain_text("Only you can see this")
        await expect(refusal.locator(".message-content")).to_contain_text("Only @Alice")
        await refusal.scroll_into_view_if_needed()
        await shot(page, "07-bob-refused")
        await act_as(page, "alice")
        await expect(refusal).to_have_count(0)

        # -- /admin is hidden from alice, as Discord hides it ------------------------------
        await page.click("#composer-input")
        await page.keyboard.type("/admin")
        await expect(page.locator(".command-item")).to_have_count(0)
        await expect(page.locator("#command-popup")).to_contain_text("No command matches")
        await page.fill("#composer-input", "")

        # -- the owner caps alice's allowance; she is refused over it ----------------------
        await act_as(page, "owner")
        await expect(page.locator("button.member[data-username='owner'] .perm-chip")).to_have_text(
            "Manage Server"
        )
        await open_command(page, "admin allowance user")
        await page.select_option("[data-option='user'] select", label="Alice")
        await page.fill("[data-option='credits'] input", "-1")
        await page.click("#command-send")
        await expect(page.locator("[data-option='credits'] .field-error")).to_contain_text(
            "smallest allowed is 0"
        )
        await page.fill("[data-option='credits'] input", "2")
        await shot(page, "08-owner-admin-allowance")
        await page.click("#command-send")
        done = page.locator("article.message.ephemeral").filter(has_text="Alice")
        await expect(done.last).to_contain_text("✅", timeout=10_000)
        await shot(page, "09-owner-set-allowance")

        await act_as(page, "alice")
        await expect(done).to_have_count(0)
        await open_command(page, "generate")
        await page.fill("[data-option='prompt'] input", "one video too many")
        await page.click("#command-send")
        over = page.locator("article.message.ephemeral").filter(has_text="credits left")
        await expect(over).to_have_count(1, timeout=10_000)
        await expect(over.locator(".ephemeral-note")).to_contain_text("Only you can see this")
        await expect(page.locator("article.message .thinking")).to_have_count(0)
        await shot(page, "10-alice-over-allowance")

        # -- a phone-width window folds the sidebar away -----------------------------------
        await page.set_viewport_size(PHONE)
        await expect(page.locator("#toggle-sidebar")).to_be_visible()
        await expect(page.locator(".rail")).to_be_hidden()
        await shot(page, "11-phone")
        await page.click("#toggle-sidebar")
        await expect(page.locator("button.member[data-username='bob']")).to_be_in_viewport()
        await shot(page, "12-phone-sidebar")

        assert not errors, errors
        # Live by push: the page read each channel's messages once, when it loaded.
        assert requests["messages"] <= 2, requests
