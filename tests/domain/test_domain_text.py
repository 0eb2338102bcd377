"""What members type is cleaned before it is stored or sent, and invisible text is refused."""

import pytest

from bot.domain.text import clean_text, has_visible_text
from bot.pika.errors import InvalidRequestError
from bot.pika.requests import GenerateRequest, RepromptRequest


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("a cat", "a cat"),
        ("  a cat \n", "a cat"),
        ("e\u0301clair", "\u00e9clair"),  # NFC: e + combining acute -> é
        ("a\x00b\x07c\x1bd", "abcd"),
        ("tab\there", "tab here"),
        ("line one\r\nline two", "line one\nline two"),
        ("zero\u200bwidth\u2060joiner\ufeff", "zerowidthjoiner"),
        ("bidi \u202eevil\u202c text", "bidi evil text"),
        ("family 👨\u200d👩\u200d👧", "family 👨\u200d👩\u200d👧"),  # ZWJ kept inside emoji
    ],
)
def test_text_is_cleaned(raw, cleaned):
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize("raw", ["", "   ", "\x01\x02\x03", "\u200b\u200d\u2060", "\t\n\u202e"])
def test_invisible_text_has_nothing_visible(raw):
    assert not has_visible_text(clean_text(raw))


def test_a_prompt_of_control_characters_is_refused_as_empty():
    with pytest.raises(InvalidRequestError) as refused:
        GenerateRequest.create(prompt="\x01\x02\u200b\x7f")
    assert "the prompt is empty once its invisible characters are removed" in str(refused.value)
    with pytest.raises(InvalidRequestError) as refused:
        GenerateRequest.create(prompt="a cat", options={"negative_prompt": "\u200b\u200b"})
    assert "the negative prompt is empty" in str(refused.value)


def test_a_modal_prompt_is_cleaned_the_same_way():
    request = RepromptRequest.create(video="https://cdn.test/a.mp4", prompt="new\u200b \x08idea")
    assert request.prompt == "new idea"
    with pytest.raises(InvalidRequestError):
        RepromptRequest.create(video="https://cdn.test/a.mp4", prompt="\u200b\u200c")


def test_a_blank_optional_prompt_stays_absent():
    assert GenerateRequest.create(prompt="   ", image="https://cdn.test/a.png").prompt == ""


def test_the_limit_counts_what_is_sent():
    # 1000 visible characters plus invisible padding are within the 1000-character limit.
    assert len(GenerateRequest.create(prompt="x" * 1000 + "\u200b" * 50).prompt) == 1000
