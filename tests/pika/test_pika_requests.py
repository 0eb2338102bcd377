"""Request models: each rule's user-facing sentence, and the JSON round trip the store needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.pika.errors import InvalidRequestError
from bot.pika.job import Operation
from bot.pika.requests import (
    AspectRatio,
    Camera,
    GenerateRequest,
    GenerationOptions,
    IngredientsRequest,
    Model,
    Pikaffect,
    SwapRequest,
    parse_request,
    validate_request,
)

IMAGE = "https://cdn.example.com/attachments/1/2/cat.png?ex=65f&is=65e&hm=abc"
VIDEO = "https://cdn.example.com/v1/abc/result.mp4?token=x"
AUDIO = "https://cdn.example.com/voice.wav"

# One valid request per operation, with non-default values where there are any.
SAMPLES: dict[str, dict[str, Any]] = {
    "keyframes": {
        "op": "keyframes",
        "images": ["https://cdn.test/a.png", "https://cdn.test/b.png", "https://cdn.test/c.png"],
        "prompt": "a day turning to night",
        "transitions": ["", "the moon rises"],
        "length": 10,
        "resolution": "1080p",
    },
    "generate": {
        "op": "generate",
        "prompt": "robed villain lurking the streets",
        "model": "1.0",
        "image": IMAGE,
        "video": VIDEO,
        "sfx": True,
        "style": "Black & white",
        "options": {
            "frame_rate": 12,
            "aspect_ratio": "9:16",
            "motion": 3,
            "guidance": 20,
            "negative_prompt": "blur",
            "seed": 3183047765,
            "camera": {"zoom": "in", "pan": "left", "tilt": "down", "rotate": "ccw"},
            "extend": True,
        },
    },
    "pikaffect": {"op": "pikaffect", "pikaffect": "Cake-ify", "image": IMAGE, "prompt": "cake"},
    "ingredients": {
        "op": "ingredients",
        "ingredients": [IMAGE, "https://x.example/b.webp", "https://x.example/c.jpeg"],
        "model": "2.2",
        "ingredients_mode": "creative",
        "prompt": "pick it",
    },
    "additions": {"op": "additions", "prompt": "add a sword", "video": VIDEO, "image": IMAGE},
    "swap": {
        "op": "swap",
        "swap_prompt": "the red dress",
        "prompt": "a robe",
        "video": VIDEO,
        "image": IMAGE,
    },
    "reprompt": {"op": "reprompt", "prompt": "now at night", "video": VIDEO},
    "edit": {"op": "edit", "video": VIDEO, "style": "Anime", "options": {"motion": 4}},
    "inpaint": {
        "op": "inpaint",
        "video": VIDEO,
        "prompt": "people on the moon",
        "area": {"x": 80, "y": 80, "width": 20, "height": 20},
        "style": "Moody",
    },
    "outpaint": {
        "op": "outpaint",
        "video": VIDEO,
        "prompt": "people flying on a helicopter",
        "area": {"x": 0, "y": 0, "width": 100, "height": 100},
        "options": {"aspect_ratio": "1:1"},
    },
    "extend": {"op": "extend", "video": VIDEO},
    "upscale": {"op": "upscale", "video": VIDEO},
    "lipsync": {
        "op": "lipsync",
        "video": VIDEO,
        "speech": AUDIO,
        "speech_start": 2,
        "speech_end": 5.5,
    },
}


def refusal(data: Any) -> str:
    """Return the sentence(s) ``validate_request`` refuses ``data`` with."""
    with pytest.raises(InvalidRequestError) as caught:
        validate_request(data)
    return str(caught.value)


def sample(op: str, **changes: Any) -> dict[str, Any]:
    return {**SAMPLES[op], **changes}


def with_options(**options: Any) -> dict[str, Any]:
    return {"op": "generate", "prompt": "a cat", "options": options}


# Round trip -------------------------------------------------------------------------------


def test_samples_cover_every_operation():
    assert set(SAMPLES) == {operation.value for operation in Operation}


@pytest.mark.parametrize("op", list(SAMPLES))
def test_request_round_trips_through_json(op):
    request = validate_request(SAMPLES[op])
    stored = request.model_dump(mode="json")

    assert json.loads(json.dumps(stored)) == stored
    assert parse_request(stored) == request
    assert parse_request(json.dumps(stored)) == request
    assert parse_request(request.model_dump_json().encode()) == request
    assert request.operation is Operation(op)
    assert stored["op"] == op


def test_round_trip_keeps_every_choice():
    request = validate_request(SAMPLES["generate"])
    rebuilt = parse_request(request.model_dump_json())

    assert rebuilt.options.camera == Camera(zoom="in", pan="left", tilt="down", rotate="ccw")
    assert rebuilt.options.seed == 3183047765
    assert rebuilt.options.aspect_ratio is AspectRatio.TALL
    assert rebuilt.sfx is True
    assert rebuilt.image == IMAGE  # the query string is kept: signed CDN links need it


def test_defaults_match_the_reference():
    options = GenerationOptions()

    assert (options.frame_rate, options.aspect_ratio, options.motion, options.guidance) == (
        24,
        AspectRatio.WIDE,
        1,
        12,
    )
    assert (options.negative_prompt, options.seed, options.extend) == ("", None, False)
    assert options.camera.moves == {}
    assert GenerateRequest(prompt="x").model is Model.V1_0
    assert validate_request({"op": "pikaffect", "pikaffect": "Peel", "image": IMAGE}).model == "1.5"
    ingredients = validate_request({"op": "ingredients", "ingredients": [IMAGE]})
    assert (ingredients.model, ingredients.ingredients_mode) == ("2.0", "precise")
    assert validate_request(SAMPLES["additions"]).model is Model.TURBO
    assert validate_request(SAMPLES["swap"]).model is Model.TURBO


def test_create_and_replace_validate():
    request = GenerateRequest.create(prompt="a cat", options={"motion": 2})

    assert request.replace(prompt="a dog").prompt == "a dog"
    assert request.replace(prompt="a dog").options.motion == 2
    with pytest.raises(InvalidRequestError) as caught:
        request.replace(options={"motion": 9})
    assert str(caught.value) == "motion must be between 1 and 4"
    with pytest.raises(InvalidRequestError) as caught:
        GenerateRequest.create(prompt="x", model="2.0", style="Anime")
    assert str(caught.value) == "style is only available on model 1.0"


def test_choices_are_case_insensitive_and_models_may_be_numbers():
    request = validate_request(
        {
            "op": "generate",
            "prompt": "x",
            "model": 1.5,
            "options": {"camera": {"zoom": "IN"}, "aspect_ratio": "16:9"},
        }
    )
    assert request.model is Model.V1_5
    assert request.options.camera.moves == {"zoom": "in"}
    assert validate_request(sample("pikaffect", pikaffect="eye-pop")).pikaffect is (
        Pikaffect.EYE_POP
    )


def test_aspect_ratio_as_a_number():
    assert AspectRatio.WIDE.ratio == 1.7777777777777777
    assert AspectRatio.PORTRAIT.ratio == 0.8


def test_prompts_are_stripped():
    assert validate_request(with_options()).prompt == "a cat"
    assert validate_request({"op": "generate", "prompt": "  a cat \n"}).prompt == "a cat"


@pytest.mark.parametrize(
    "url",
    [
        "https://x.example/a.png",
        "https://x.example/a.JPG",
        "https://x.example/a.jpeg?x=1.mp4",
        "http://x.example/dir/a.webp#frag",
        "https://x.example/a.gif",
    ],
)
def test_image_kinds_accepted(url):
    assert validate_request({"op": "generate", "image": url}).image == url


# Every rule's sentence ---------------------------------------------------------------------

RULES: list[tuple[str, Any, str]] = [
    # Options
    ("motion low", with_options(motion=0), "motion must be between 1 and 4"),
    ("motion high", with_options(motion=5), "motion must be between 1 and 4"),
    ("motion fraction", with_options(motion=1.5), "motion must be a whole number"),
    ("motion text", with_options(motion="fast"), "motion must be a whole number"),
    ("motion bool", with_options(motion=True), "motion must be a whole number"),
    ("guidance low", with_options(guidance=4), "guidance must be between 5 and 25"),
    ("guidance high", with_options(guidance=26), "guidance must be between 5 and 25"),
    ("frame rate low", with_options(frame_rate=0), "frame rate must be between 1 and 24"),
    ("frame rate high", with_options(frame_rate=30), "frame rate must be between 1 and 24"),
    (
        "aspect ratio",
        with_options(aspect_ratio="21:9"),
        "aspect ratio must be one of 16:9, 9:16, 1:1, 5:2, 4:5, 4:3, 5:4, 3:2, 2:3",
    ),
    (
        "negative prompt length",
        with_options(negative_prompt="n" * 1001),
        "the negative prompt must be at most 1000 characters",
    ),
    ("negative prompt type", with_options(negative_prompt=3), "the negative prompt must be text"),
    ("seed negative", with_options(seed=-1), "seed must be between 0 and 4294967295"),
    ("seed too big", with_options(seed=2**32), "seed must be between 0 and 4294967295"),
    ("seed text", with_options(seed="lucky"), "seed must be a whole number"),
    ("zoom", with_options(camera={"zoom": "sideways"}), "camera zoom must be in or out"),
    ("pan", with_options(camera={"pan": "up"}), "camera pan must be left or right"),
    ("tilt", with_options(camera={"tilt": "left"}), "camera tilt must be up or down"),
    ("rotate", with_options(camera={"rotate": "spin"}), "camera rotate must be cw or ccw"),
    ("extend flag", with_options(extend="yes"), "extend must be true or false"),
    # Prompts
    (
        "prompt length",
        {"op": "generate", "prompt": "p" * 1001},
        "the prompt must be at most 1000 characters",
    ),
    ("prompt type", {"op": "generate", "prompt": 42}, "the prompt must be text"),
    (
        "swap prompt length",
        sample("swap", swap_prompt="s" * 1001),
        "the swap prompt must be at most 1000 characters",
    ),
    # Media
    (
        "image kind",
        {"op": "generate", "image": "https://x.example/a.bmp"},
        "the image must be a .png, .jpeg, .webp or .gif file",
    ),
    (
        "image kind ignores the query",
        {"op": "generate", "image": "https://x.example/a.mp4?name=a.png"},
        "the image must be a .png, .jpeg, .webp or .gif file",
    ),
    (
        "image not a link",
        {"op": "generate", "image": "C:/pictures/a.png"},
        "the image must be a web link (http:// or https://)",
    ),
    (
        "video kind",
        {"op": "extend", "video": "https://x.example/a.mov"},
        "the video must be an .mp4 file",
    ),
    (
        "audio kind",
        sample("lipsync", speech="https://x.example/a.mp3"),
        "the audio must be a .wav file",
    ),
    ("video blank", {"op": "extend", "video": " "}, "the video is required"),
    ("video missing", {"op": "upscale"}, "the video is required"),
    (
        "additions needs both",
        {"op": "additions", "prompt": "x"},
        "the video is required; the image is required",
    ),
    (
        "ingredient kind",
        sample("ingredients", ingredients=[IMAGE, "https://x.example/b.tiff"]),
        "every ingredient image must be a .png, .jpeg, .webp or .gif file",
    ),
    # Generate
    (
        "nothing to generate from",
        {"op": "generate", "prompt": "  "},
        "a prompt, an image or a video is required",
    ),
    (
        "unknown model",
        {"op": "generate", "prompt": "x", "model": "3.0"},
        "model must be one of 1.0, 1.5, 2.0, 2.1, 2.2 or Turbo",
    ),
    (
        "turbo on generate",
        {"op": "generate", "prompt": "x", "model": "Turbo"},
        "model Turbo is only for Pika Additions and Pika Swap",
    ),
    (
        "style on 1.5",
        {"op": "generate", "prompt": "x", "model": "1.5", "style": "Anime"},
        "style is only available on model 1.0",
    ),
    (
        "unknown style",
        {"op": "generate", "prompt": "x", "style": "Pixel"},
        "style must be one of Anime, Moody, 3D, Watercolor, Natural, Claymation or Black & white",
    ),
    (
        "sfx on 2.0",
        {"op": "generate", "prompt": "x", "model": "2.0", "sfx": True},
        "sound effects (sfx) are only available on model 1.0",
    ),
    ("sfx flag", {"op": "generate", "prompt": "x", "sfx": "on"}, "sfx must be true or false"),
    (
        "video on 2.1",
        {"op": "generate", "video": VIDEO, "model": "2.1"},
        "a video input is only available on models 1.0 and 1.5",
    ),
    # Pikaffect
    ("pikaffect model", sample("pikaffect", model="2.0"), "Pikaffects need model 1.5"),
    (
        "unknown pikaffect",
        sample("pikaffect", pikaffect="Wobble"),
        "Pikaffect must be one of Peel, Poke, Tear, Levitate, Decapitate, Eye-pop, Inflate, Melt,"
        " Explode, Squish, Crush, Cake-ify, Ta-da, Deflate, Crumble, Dissolve, Hearts Bouquet,"
        " Proposal, Love Bomb, Cupid Strike, Rose or Crazy in Love",
    ),
    ("pikaffect missing", {"op": "pikaffect", "image": IMAGE}, "a Pikaffect is required"),
    ("pikaffect needs image", {"op": "pikaffect", "pikaffect": "Peel"}, "the image is required"),
    # Ingredients
    (
        "ingredients model",
        sample("ingredients", model="1.5"),
        "ingredients need model 2.0 or newer",
    ),
    ("no ingredients", sample("ingredients", ingredients=[]), "add at least one ingredient image"),
    (
        "too many ingredients",
        sample("ingredients", ingredients=[IMAGE] * 6),
        "use at most 5 ingredient images",
    ),
    (
        "ingredients not a list",
        sample("ingredients", ingredients=IMAGE),
        "the ingredient images must be a list",
    ),
    (
        "ingredients mode",
        sample("ingredients", ingredients_mode="loose"),
        "ingredients mode must be precise or creative",
    ),
    # Additions and Swap
    ("additions model", sample("additions", model="2.0"), "Additions need model Turbo"),
    ("additions prompt", sample("additions", prompt=""), "a prompt is required for Pika Additions"),
    ("swap model", sample("swap", model="1.0"), "Swap needs model Turbo"),
    (
        "swap prompt missing",
        sample("swap", swap_prompt=""),
        "a swap prompt (what to replace) is required for Pika Swap",
    ),
    ("swap needs a prompt", sample("swap", prompt=""), "a prompt is required for Pika Swap"),
    # Editing an existing video
    ("reprompt prompt", sample("reprompt", prompt=""), "a prompt is required for reprompting"),
    ("outpaint prompt", sample("outpaint", prompt=""), "a prompt is required for outpainting"),
    ("inpaint area missing", {"op": "inpaint", "video": VIDEO}, "the area is required"),
    (
        "area x",
        sample("inpaint", area={"x": -1, "y": 0, "width": 10, "height": 10}),
        "the area's x must be between 0 and 100",
    ),
    (
        "area y",
        sample("inpaint", area={"x": 0, "y": 101, "width": 10, "height": 10}),
        "the area's y must be between 0 and 100",
    ),
    (
        "area width",
        sample("inpaint", area={"x": 0, "y": 0, "width": 150, "height": 10}),
        "the area's width must be between 0 and 100",
    ),
    (
        "area height",
        sample("inpaint", area={"x": 0, "y": 0, "width": 10, "height": -5}),
        "the area's height must be between 0 and 100",
    ),
    (
        "area not a number",
        sample("inpaint", area={"x": "left", "y": 0, "width": 10, "height": 10}),
        "the area's x must be a number",
    ),
    (
        "area empty",
        sample("inpaint", area={"x": 0, "y": 0, "width": 0, "height": 10}),
        "the area must have a width and a height above 0",
    ),
    (
        "area too wide",
        sample("outpaint", area={"x": 50, "y": 0, "width": 60, "height": 10}),
        "the area must fit inside the frame: x + width must be at most 100",
    ),
    (
        "area too tall",
        sample("outpaint", area={"x": 0, "y": 80, "width": 10, "height": 20.5}),
        "the area must fit inside the frame: y + height must be at most 100",
    ),
    # Lip sync
    (
        "speech order",
        sample("lipsync", speech_start=5, speech_end=5),
        "speech end must be after speech start",
    ),
    (
        "speech start negative",
        sample("lipsync", speech_start=-1),
        "speech start must be between 0 and 86400",
    ),
    ("speech end text", sample("lipsync", speech_end="late"), "speech end must be a number"),
    (
        "speech end missing",
        {key: value for key, value in SAMPLES["lipsync"].items() if key != "speech_end"},
        "the speech end is required",
    ),
    # The envelope
    ("unknown operation", {"op": "dance"}, "unknown operation: dance"),
    ("no operation", {"prompt": "x"}, "the request does not say which operation it is"),
    ("unknown field", sample("extend", colour="red"), "unknown field: colour"),
    ("broken json", '{"op": "generate", ', "the stored request is not valid JSON"),
    (
        "several problems",
        with_options(motion=9, guidance=1, frame_rate=0),
        "frame rate must be between 1 and 24; motion must be between 1 and 4;"
        " guidance must be between 5 and 25",
    ),
]


@pytest.mark.parametrize(
    ("data", "sentence"), [rule[1:] for rule in RULES], ids=[rule[0] for rule in RULES]
)
def test_rule_sentence(data, sentence):
    message = refusal(data)

    assert message == sentence
    assert "Value error" not in message
    assert "Input should" not in message


def test_area_edges_are_allowed():
    # A full-frame area and an area touching the bottom-right corner both fit.
    assert validate_request(SAMPLES["outpaint"]).area.width == 100
    assert (
        validate_request(
            sample("inpaint", area={"x": 99.5, "y": 99.5, "width": 0.5, "height": 0.5})
        ).area.x
        == 99.5
    )


@pytest.mark.parametrize("model", ["2.0", "2.1", "2.2"])
def test_ingredients_accept_every_2x_model(model):
    assert validate_request(sample("ingredients", model=model)).model == model


def test_five_ingredients_are_allowed():
    request = validate_request(sample("ingredients", ingredients=[IMAGE] * 5))
    assert isinstance(request, IngredientsRequest)
    assert len(request.ingredients) == 5


def test_video_input_is_allowed_on_1_0_and_1_5():
    for model in ("1.0", "1.5"):
        assert validate_request({"op": "generate", "video": VIDEO, "model": model}).video == VIDEO


def test_requests_are_immutable():
    request = validate_request(SAMPLES["swap"])
    assert isinstance(request, SwapRequest)
    with pytest.raises(ValueError):
        request.prompt = "changed"  # type: ignore[misc]
