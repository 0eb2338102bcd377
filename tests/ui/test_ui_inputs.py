"""Attachments are judged by size and content before anything is spent; each refusal names it."""

import discord
import pytest

from bot.errors import BadInput
from bot.media.probe import Probe
from bot.media.sniff import identify
from bot.ui.inputs import AUDIO, IMAGE, VIDEO, MediaInput, check_probed, media_input, speech_window

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 20
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 20
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 30
TEXT = b"just some words in a text file\n" * 4


def attachment(filename: str, size: int, content_type: str | None = None) -> discord.Attachment:
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


def test_names_and_declared_types_decide_nothing_up_front():
    # A PNG named .jpg, an MP4 named .MP4 and a file with a wrong declared type all pass the
    # instant check; their bytes decide.
    assert media_input(attachment("cat.jpg", 1000, "image/jpeg"), IMAGE, "image").url.endswith(
        "cat.jpg"
    )
    assert media_input(attachment("CLIP.MP4", 1000), VIDEO, "video").filename == "CLIP.MP4"
    assert media_input(attachment("a.png", 10, "text/plain"), IMAGE, "image").size == 10


@pytest.mark.parametrize(
    ("item", "kind", "message"),
    [
        (attachment("empty.png", 0), IMAGE, "`empty.png` is empty (0 bytes); attach the image"),
        (attachment("empty.wav", 0), AUDIO, "`empty.wav` is empty (0 bytes)"),
        (
            attachment("big.png", 11 * 1024 * 1024, "image/png"),
            IMAGE,
            "`image` is 11.0 MB; image files can be at most 10 MB.",
        ),
    ],
)
def test_sizes_are_refused_at_once(item, kind, message):
    with pytest.raises(BadInput) as refused:
        media_input(item, kind, kind.noun)
    assert message in refused.value.message


def _item(filename: str, kind) -> MediaInput:
    return MediaInput(kind.noun, filename, f"https://cdn.test/{filename}", 100, kind)


@pytest.mark.parametrize(
    ("filename", "kind", "head", "message"),
    [
        (
            "photo.png",
            IMAGE,
            MP4,
            "`photo.png` is not a PNG, JPEG, WebP or GIF image (it is an MP4 video); "
            "`image` must be a PNG, JPEG, WebP or GIF image.",
        ),
        ("speech.wav", AUDIO, TEXT, "`speech.wav` is not a WAV audio file; `audio` must be"),
        ("clip.mp4", VIDEO, TEXT, "`clip.mp4` is not an MP4 video; `video` must be an MP4"),
        ("clip.mp4", VIDEO, PNG, "`clip.mp4` is not an MP4 video (it is a PNG image)"),
        ("photo.png", IMAGE, WAV, "(it is WAV audio)"),
        ("photo.png", IMAGE, PNG[:2], "`photo.png` is not a PNG, JPEG, WebP or GIF image;"),
    ],
)
def test_content_that_is_not_the_right_kind_is_refused(filename, kind, head, message):
    with pytest.raises(BadInput) as refused:
        check_probed(_item(filename, kind), Probe(identify(head)))
    assert message in refused.value.message


def test_the_right_content_passes_whatever_its_name():
    check_probed(_item("cat.jpg", IMAGE), Probe(identify(PNG)))
    check_probed(_item("CLIP.MP4", VIDEO), Probe(identify(MP4), seconds=2.0))
    check_probed(_item("clip.mov", VIDEO), Probe(identify(MOV), seconds=2.0))


def test_a_cut_short_file_is_refused():
    with pytest.raises(BadInput) as refused:
        check_probed(_item("cut.mp4", VIDEO), Probe(identify(MP4), None, complete=False))
    assert "`cut.mp4` is cut short or damaged" in refused.value.message


AUDIO_ITEM = MediaInput("audio", "speech.wav", "https://cdn.test/speech.wav", 100, AUDIO)


def test_the_speech_defaults_to_its_own_length_cut_to_the_video():
    assert speech_window(AUDIO_ITEM, 3.0, 5.0, 0.0, None) == (0.0, 3.0)
    assert speech_window(AUDIO_ITEM, 8.0, 5.0, 1.0, None) == (1.0, 6.0)
    assert speech_window(AUDIO_ITEM, 8.0, 5.0, 1.0, 4.0) == (1.0, 4.0)
    assert speech_window(AUDIO_ITEM, 1.0, 5.0, 0.0, 2.0) == (0.0, 1.0)  # ends with the clip


@pytest.mark.parametrize(
    ("audio_seconds", "video_seconds", "start", "end", "message"),
    [
        (2.0, 5.0, 3.0, None, "`speech.wav` is 2.0s long; `start` (3s) must be before its end."),
        (9.0, 3.0, 0.0, 6.0, "The speech (6s) must fit in the video (3s)"),
        (None, None, 0.0, None, "Give `end`"),
    ],
)
def test_speech_that_cannot_fit_is_refused(audio_seconds, video_seconds, start, end, message):
    with pytest.raises(BadInput) as refused:
        speech_window(AUDIO_ITEM, audio_seconds, video_seconds, start, end)
    assert message in refused.value.message
