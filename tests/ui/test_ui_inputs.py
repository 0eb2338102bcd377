"""Attachments are checked for kind and size before anything is spent."""

import discord
import pytest

from bot.errors import BadInput
from bot.ui.inputs import AUDIO, IMAGE, VIDEO, attachment_url


def attachment(filename: str, size: int, content_type: str | None) -> discord.Attachment:
    data = {
        "id": 1,
        "filename": filename,
        "size": size,
        "url": f"https://cdn.test/{filename}",
        "proxy_url": f"https://cdn.test/{filename}",
    }
    if content_type:
        data["content_type"] = content_type
    state = type("State", (), {"http": None})()
    return discord.Attachment(data=data, state=state)  # type: ignore[arg-type]


def test_a_good_attachment_gives_its_url():
    assert attachment_url(attachment("cat.PNG", 1000, "image/png"), IMAGE, "image") == (
        "https://cdn.test/cat.PNG"
    )
    assert attachment_url(attachment("a.mp4", 1000, "video/mp4"), VIDEO, "video")
    assert attachment_url(attachment("a.wav", 1000, None), AUDIO, "audio")


@pytest.mark.parametrize(
    ("item", "kind", "message"),
    [
        (
            attachment("a.mov", 10, "video/quicktime"),
            VIDEO,
            "`video` must be an MP4 video; `a.mov`",
        ),
        (attachment("a.mp3", 10, "audio/mpeg"), AUDIO, "`audio` must be a WAV audio file"),
        (attachment("a.png", 10, "text/plain"), IMAGE, "`image` must be a PNG, JPEG, WebP or GIF"),
        (
            attachment("big.png", 11 * 1024 * 1024, "image/png"),
            IMAGE,
            "`image` is 11.0 MB; image files can be at most 10 MB.",
        ),
    ],
)
def test_a_bad_attachment_says_what_to_change(item, kind, message):
    with pytest.raises(BadInput) as refused:
        attachment_url(item, kind, kind.noun)
    assert message in refused.value.message
