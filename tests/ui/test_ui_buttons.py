"""Result buttons: the request each starts, and only the buttons the provider can serve."""

from __future__ import annotations

import json
import re

from bot.domain import Operation, StoredStatus
from bot.pika.capabilities import Capabilities
from bot.pika.requests import ExtendRequest, GenerateRequest, UpscaleRequest
from bot.ui.buttons import ResultButton, follow_up_request, result_view
from tests.ui.test_ui_render import _record

REQUEST = GenerateRequest.create(
    prompt="a lighthouse", model="1.5", options={"seed": 5, "motion": 3, "aspect_ratio": "1:1"}
)
PARENT = _record(request_json=REQUEST.model_dump_json(), status=StoredStatus.SUCCEEDED)


def test_extend_keeps_the_prompt_and_options_of_the_parent():
    request = follow_up_request("extend", PARENT)
    assert isinstance(request, ExtendRequest)
    assert (request.video, request.prompt) == ("https://cdn/v.mp4", "a lighthouse")
    assert (request.options.motion, request.options.aspect_ratio) == (3, "1:1")


def test_upscale_takes_the_result_and_reroll_only_changes_the_seed():
    assert follow_up_request("upscale", PARENT) == UpscaleRequest.create(video="https://cdn/v.mp4")
    reroll = follow_up_request("reroll", PARENT)
    assert isinstance(reroll, GenerateRequest)
    assert reroll.prompt == "a lighthouse" and reroll.model.value == "1.5"
    assert reroll.options.motion == 3 and reroll.options.seed != 5
    assert json.loads(reroll.model_dump_json())["options"]["aspect_ratio"] == "1:1"


def test_a_provider_gets_only_the_buttons_it_can_serve():
    everything = result_view(12, Capabilities(operations=frozenset(Operation)))
    assert [item.custom_id for item in everything.children] == [
        "pika:extend:12",
        "pika:upscale:12",
        "pika:reprompt:12",
        "pika:reroll:12",
    ]
    feed_like = Capabilities(operations=frozenset({Operation.GENERATE}))
    assert [item.item.label for item in result_view(12, feed_like).children] == ["Reroll"]


def test_button_ids_carry_only_the_action_and_the_job():
    template = ResultButton.__discord_ui_compiled_template__
    match = re.fullmatch(template, "pika:reprompt:12")
    assert match is not None and (match["action"], match["job_id"]) == ("reprompt", "12")
    assert re.fullmatch(template, "pika:delete:12") is None
