"""Every attachment is looked at before anything is held: bad files are refused privately, free.

Each kind of bad input a mischievous member tried, given to every command that takes that kind
of file, must be answered privately with a sentence naming the file, reach Pika zero times and
leave the balance whole; genuine files with odd names are accepted.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.e2e.helpers import job_id_of, text_of
from tests.e2e.stack import start_stack, stop_stack

TEXT = b"This is a plain text file that somebody renamed.\n" * 20
MANY = {"QUOTA_MAX_IN_FLIGHT_USER": "5", "QUOTA_DEFAULT_ALLOWANCE": "10"}


def _file(filename: str, data: bytes, content_type: str) -> dict[str, Any]:
    return {
        "filename": filename,
        "content_type": content_type,
        "data_base64": base64.b64encode(data).decode(),
    }


# Per command: the options it needs besides the file under test, and its good files.
COMMANDS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "generate": ({"prompt": "a cat", "model": "1.0"}, ()),
    "pikaffect": ({"effect": "Squish"}, ()),
    "ingredients": ({"prompt": "a scene"}, ()),
    "additions": ({"prompt": "add it"}, ("video", "image")),
    "swap": ({"swap": "the cup", "prompt": "a mug"}, ("video", "image")),
    "lipsync": ({"end": 1.0}, ("video", "audio")),
    "inpaint": ({"x": 10, "y": 10, "width": 20, "height": 20}, ()),
    "outpaint": ({"aspect_ratio": "1:1", "prompt": "more sky"}, ()),
    "extend": ({}, ()),
    "upscale": ({}, ()),
    "reprompt": ({"prompt": "at night"}, ()),
    "edit": ({"motion": 2}, ()),
}
IMAGE_OPTIONS = {
    "generate": "image",
    "pikaffect": "image",
    "ingredients": "image1",
    "additions": "image",
    "swap": "image",
}
VIDEO_COMMANDS = (
    "generate",
    "additions",
    "swap",
    "lipsync",
    "inpaint",
    "outpaint",
    "extend",
    "upscale",
    "reprompt",
    "edit",
)


def _cases(stack) -> list[tuple[str, dict[str, Any], dict[str, Any], str]]:
    """(command, options, attachments, words the refusal must contain)."""
    media = stack.media
    good = {kind: media.attach(kind) for kind in ("image", "video", "audio")}
    bad_images = [
        (_file("empty.png", b"", "image/png"), "`empty.png` is empty (0 bytes)"),
        (_file("photo.png", media.video, "image/png"), "`photo.png` is not a PNG, JPEG, WebP"),
    ]
    bad_videos = [
        (_file("empty.mp4", b"", "video/mp4"), "`empty.mp4` is empty (0 bytes)"),
        (_file("notes.mp4", TEXT, "video/mp4"), "`notes.mp4` is not an MP4 video"),
    ]
    bad_audio = [
        (_file("empty.wav", b"", "audio/wav"), "`empty.wav` is empty (0 bytes)"),
        (_file("notes.wav", TEXT, "audio/wav"), "`notes.wav` is not a WAV audio file"),
    ]
    cases = []
    for command, option in IMAGE_OPTIONS.items():
        options, needs = COMMANDS[command]
        for bad, words in bad_images:
            files = {kind: good[kind] for kind in needs if kind != "image"}
            cases.append((command, options, {**files, option: bad}, words))
    for command in VIDEO_COMMANDS:
        options, needs = COMMANDS[command]
        for bad, words in bad_videos:
            files = {kind: good[kind] for kind in needs if kind != "video"}
            cases.append((command, options, {**files, "video": bad}, words))
    for bad, words in bad_audio:
        cases.append(("lipsync", {"end": 1.0}, {"video": good["video"], "audio": bad}, words))
    invisible = "\x01\x02\u200b\u202e\x7f"
    empty = "is empty once its invisible characters are removed"
    cases += [
        ("generate", {"prompt": invisible}, {}, empty),
        (
            "additions",
            {"prompt": invisible},
            {"video": good["video"], "image": good["image"]},
            empty,
        ),
        ("reprompt", {"prompt": invisible}, {"video": good["video"]}, empty),
        ("generate", {"prompt": "a cat", "negative_prompt": "\u200b\u200b"}, {}, empty),
    ]
    return cases


async def test_bad_files_and_invisible_prompts_are_refused_privately_for_free(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=1.0, bot_extra=MANY)
    try:
        before = len(stack.simulator.requests)
        cases = _cases(stack)
        assert len(cases) == 36
        for command, options, attachments, words in cases:
            interaction = await stack.slash("alice", command, options, attachments)
            answer = await stack.answer_of(interaction)
            said = text_of(answer)
            assert answer["flags"] & 64, f"/{command} {list(attachments)}: public answer {said}"
            assert words in said, f"/{command} {list(attachments)}: {said}"
            state = await stack.emu.interaction(interaction)
            public = [m for m in state["messages"] if not m["flags"] & 64]
            assert all(m.get("deleted") for m in public), f"/{command} left a public message"
        assert len(stack.simulator.requests) == before, "a bad input reached Pika"
        assert await stack.job_ids() == []
        quota = await stack.answer_of(await stack.slash("alice", "quota"))
        assert "**10 credits** left of 10" in text_of(quota)
    finally:
        await stop_stack(stack)


async def test_a_file_that_cannot_be_read_is_refused_and_genuine_files_pass(tmp_path):
    stack = await start_stack(tmp_path, job_seconds=1.0, bot_extra=MANY)
    try:
        media = stack.media
        await stack.emu.fault("GET /cdn/attachments", 500, count=1)
        answer = await stack.answer_of(
            await stack.slash(
                "alice", "pikaffect", {"effect": "Melt"}, {"image": media.attach("image")}
            )
        )
        assert answer["flags"] & 64
        assert "Couldn't read `photo.jpg` from Discord" in text_of(answer), text_of(answer)
        assert await stack.job_ids() == []

        # A JPEG named .png (the name lies, the bytes are an image) and an MP4 named .MP4.
        renamed_image = _file("renamed.png", media.image, "image/png")
        upper_case = _file("HOLIDAY.MP4", media.video, "video/mp4")
        image_run = await stack.answer_of(
            await stack.slash("alice", "pikaffect", {"effect": "Melt"}, {"image": renamed_image})
        )
        video_run = await stack.answer_of(
            await stack.slash("alice", "extend", {"prompt": "on and on"}, {"video": upper_case})
        )
        for run in (image_run, video_run):
            assert not run["flags"] & 64, text_of(run)
            result = await stack.result_for(job_id_of(run), timeout=40)
            assert "· result" in text_of(result), text_of(result)
        submissions = [r for r in stack.simulator.requests if r.method == "POST"]
        assert len(submissions) == 2
    finally:
        await stop_stack(stack)
