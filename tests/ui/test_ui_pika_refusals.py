"""The Pika layer's refusals reach a zh-CN member in Chinese, naming the options as their client
shows them, while an English member reads the same English sentence as before."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from bot.domain.operations import Operation
from bot.pika import requests
from bot.pika.capabilities import Capabilities, check_supported
from bot.pika.errors import PikaError
from bot.pika.requests import (
    AdditionsRequest,
    GenerateRequest,
    IngredientsRequest,
    KeyframesRequest,
    LipsyncRequest,
    OutpaintRequest,
    PikaffectRequest,
    SwapRequest,
    validate_request,
)
from bot.ui.errors import FIELD_NAMES, user_message_for
from bot.ui.i18n import Locale, catalogs

IMAGE = "https://cdn.test/a.png"
VIDEO = "https://cdn.test/v.mp4"
AUDIO = "https://cdn.test/s.wav"
ALL = Capabilities(operations=frozenset(Operation), keyframe_seconds=(2, 25))
# What may stay Latin in a Chinese sentence: product and model names.
ALLOWED = {"Pika", "Turbo"}


def english_words(text: str) -> list[str]:
    """Latin words of 4+ letters outside code spans, links' schemes and file suffixes."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"https?://\S*", " ", text)
    text = re.sub(r"\.[a-z0-9]+\b", " ", text)
    return [word for word in re.findall(r"[A-Za-z]{4,}", text) if word not in ALLOWED]


def _keyframes_too_short() -> None:
    check_supported(ALL, KeyframesRequest.create(images=(IMAGE,) * 5, prompt="a", length=3))


CASES: list[tuple[Callable[[], Any], str, str]] = [
    (
        lambda: GenerateRequest.create(prompt="a", model="2.2", duration=7),
        "Duration must be 5 or 10 seconds.",
        "时长",
    ),
    (
        lambda: LipsyncRequest.create(video=VIDEO, speech=AUDIO, speech_end="soon"),
        "Speech end must be a number.",
        "结束",
    ),
    (
        lambda: GenerateRequest.create(prompt="a", sfx="yes"),
        "Sfx must be true or false.",
        "音效",
    ),
    (
        lambda: IngredientsRequest.create(ingredients=5),
        "The ingredient images must be a list.",
        "素材图片",
    ),
    (lambda: AdditionsRequest.create(prompt="a", image=IMAGE), "The video is required.", "视频"),
    (
        lambda: GenerateRequest.create(prompt="a", options=5),
        "The video options are not valid.",
        "视频选项",
    ),
    (
        lambda: GenerateRequest.create(prompt="a", colour="red"),
        "Unknown field: colour.",
        "`colour`",
    ),
    (lambda: validate_request({"op": "dance"}), "Unknown operation: dance.", "`dance`"),
    (lambda: validate_request("{not json"), "The stored request is not valid JSON.", "请求"),
    (
        lambda: GenerateRequest.create(prompt="a", image="ftp://cdn.test/a.png"),
        "The image must be a web link (http:// or https://).",
        "图片",
    ),
    (
        lambda: GenerateRequest.create(prompt="a", image="https://cdn.test/a.bmp"),
        "The image must be a .png, .jpeg, .webp or .gif file.",
        ".png",
    ),
    (
        lambda: IngredientsRequest.create(ingredients=(IMAGE, "https://cdn.test/b.txt")),
        "Every ingredient image must be a .png, .jpeg, .webp or .gif file.",
        "素材图片",
    ),
    (
        lambda: IngredientsRequest.create(ingredients=()),
        "Add at least one ingredient image.",
        "素材图片",
    ),
    (
        lambda: IngredientsRequest.create(ingredients=(IMAGE,) * 6),
        "Use at most 5 ingredient images.",
        "5",
    ),
    (
        lambda: KeyframesRequest.create(images=(IMAGE, IMAGE), prompt="a", model="2.1"),
        "Keyframes need model 2.2.",
        "2.2",
    ),
    (
        lambda: KeyframesRequest.create(images=(IMAGE,), prompt="a"),
        "Give 2 to 5 keyframe images.",
        "2 到 5",
    ),
    (
        lambda: KeyframesRequest.create(images=(IMAGE, IMAGE), prompt="a", transitions=("a", "b")),
        "Give at most one transition prompt per pair of images.",
        "过渡提示词",
    ),
    (
        lambda: AdditionsRequest.create(prompt="a", image=IMAGE, video=VIDEO, model="2.2"),
        "Additions need model Turbo.",
        "Turbo",
    ),
    (
        lambda: SwapRequest.create(
            prompt="a", swap_prompt="b", image=IMAGE, video=VIDEO, model="2.2"
        ),
        "Swap needs model Turbo.",
        "Turbo",
    ),
    (
        _keyframes_too_short,
        "5 keyframes need at least 4 seconds (one per transition).",
        "4 秒",
    ),
    # Sentences the catalog already had, now with the option named as the member sees it.
    (
        lambda: GenerateRequest.create(prompt="a", options={"motion": 9, "frame_rate": 99}),
        "Frame rate must be between 1 and 24; motion must be between 1 and 4.",
        "帧率 必须在 1 到 24 之间。 运动强度 必须在 1 到 4 之间。",
    ),
    (
        lambda: GenerateRequest.create(prompt="a", options={"camera": {"pan": "up"}}),
        "Camera pan must be left or right.",
        "镜头平移",
    ),
    (
        lambda: KeyframesRequest.create(images=(IMAGE, IMAGE)),
        "A prompt is required for keyframes.",
        "关键帧 需要提示词",
    ),
    (
        lambda: OutpaintRequest.create(video=VIDEO, area={"x": 1, "y": 1, "width": 1, "height": 1}),
        "A prompt is required for outpainting.",
        "扩展画面",
    ),
    (
        lambda: PikaffectRequest.create(image=IMAGE, pikaffect="Boom"),
        "Pikaffect must be one of Peel, Poke, Tear, Levitate, Decapitate, Eye-pop, Inflate, "
        "Melt, Explode, Squish, Crush, Cake-ify, Ta-da, Deflate, Crumble, Dissolve, "
        "Hearts Bouquet, Proposal, Love Bomb, Cupid Strike, Rose or Crazy in Love.",
        "挤压",
    ),
    (
        lambda: GenerateRequest.create(prompt="a", options={"seed": -1}),
        "Seed must be between 0 and 4294967295.",
        "种子",
    ),
]


def _refusal(make: Callable[[], Any]) -> PikaError:
    with pytest.raises(PikaError) as raised:
        make()
    return raised.value


@pytest.mark.parametrize(("make", "english", "words"), CASES)
def test_a_pika_refusal_reads_in_chinese_and_stays_the_same_in_english(make, english, words):
    refusal = _refusal(make)
    assert user_message_for(refusal, Locale.EN_US) == english
    chinese = user_message_for(refusal, Locale.ZH_CN) or ""
    assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
    assert not english_words(chinese), (english_words(chinese), chinese)
    assert words in chinese, chinese
    assert not chinese.startswith(catalogs()[Locale.ZH_CN]["pika.unmapped"][:4]), chinese


def _fields(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields) - {"op"}
    for info in model.model_fields.values():
        for inner in (info.annotation, *getattr(info.annotation, "__args__", ())):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                names |= _fields(inner)
    return names


def test_every_request_field_has_a_name_a_member_knows():
    fields: set[str] = set()
    for model in vars(requests).values():
        if isinstance(model, type) and issubclass(model, requests._Request):
            fields |= _fields(model)
    assert "frame_rate" in fields and "zoom" in fields and "x" in fields
    assert not fields - set(FIELD_NAMES), sorted(fields - set(FIELD_NAMES))
    for msgid in FIELD_NAMES.values():
        assert msgid in catalogs()[Locale.ZH_CN], msgid
