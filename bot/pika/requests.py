"""One validated request model per Pika operation, stored as JSON and rebuilt after a restart.

Every rule fails with a ``RequestInvalid``: an English sentence plus a message id and values, so
the bot can word it in the member's language; ranges and choices are checked by our own
validators instead of ``Field(ge=..., le=...)`` (whose wording is pydantic's).
Build requests with ``validate_request`` / ``parse_request`` or ``SomeRequest.create(...)``: they
raise ``InvalidRequestError`` whose text is the plain sentence(s) and whose ``problems`` are the
refusals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum, StrEnum
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from bot.domain.operations import Operation
from bot.pika.errors import InvalidRequestError, RequestInvalid
from bot.pika.fields import (
    audio_url,
    choice,
    decimal_number,
    friendly_problems,
    image_url,
    one_of,
    text,
    true_or_false,
    video_url,
    whole_number,
)

PROMPT_LIMIT = 1000
MAX_INGREDIENTS = 5
SEED_MAX = 2**32 - 1


class Model(StrEnum):
    """Pika model versions, as both dialects spell them."""

    V1_0 = "1.0"
    V1_5 = "1.5"
    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_2 = "2.2"
    TURBO = "Turbo"


class Pikaffect(StrEnum):
    """The webbot dialect's Pikaffects (the feed dialect accepts only ``FEED_PIKAFFECTS``)."""

    PEEL = "Peel"
    POKE = "Poke"
    TEAR = "Tear"
    LEVITATE = "Levitate"
    DECAPITATE = "Decapitate"
    EYE_POP = "Eye-pop"
    INFLATE = "Inflate"
    MELT = "Melt"
    EXPLODE = "Explode"
    SQUISH = "Squish"
    CRUSH = "Crush"
    CAKE_IFY = "Cake-ify"
    TA_DA = "Ta-da"
    DEFLATE = "Deflate"
    CRUMBLE = "Crumble"
    DISSOLVE = "Dissolve"
    HEARTS_BOUQUET = "Hearts Bouquet"
    PROPOSAL = "Proposal"
    LOVE_BOMB = "Love Bomb"
    CUPID_STRIKE = "Cupid Strike"
    ROSE = "Rose"
    CRAZY_IN_LOVE = "Crazy in Love"


FEED_PIKAFFECTS = frozenset(
    {
        Pikaffect.LEVITATE,
        Pikaffect.DECAPITATE,
        Pikaffect.EYE_POP,
        Pikaffect.TA_DA,
        Pikaffect.DEFLATE,
        Pikaffect.CRUMBLE,
        Pikaffect.DISSOLVE,
        Pikaffect.SQUISH,
        Pikaffect.INFLATE,
        Pikaffect.MELT,
        Pikaffect.CRUSH,
        Pikaffect.CAKE_IFY,
        Pikaffect.EXPLODE,
    }
)


OFFICIAL_PIKAFFECTS = frozenset(
    {
        Pikaffect.CAKE_IFY,
        Pikaffect.CRUMBLE,
        Pikaffect.CRUSH,
        Pikaffect.DECAPITATE,
        Pikaffect.DEFLATE,
        Pikaffect.DISSOLVE,
        Pikaffect.EXPLODE,
        Pikaffect.EYE_POP,
        Pikaffect.INFLATE,
        Pikaffect.LEVITATE,
        Pikaffect.MELT,
        Pikaffect.PEEL,
        Pikaffect.POKE,
        Pikaffect.SQUISH,
        Pikaffect.TA_DA,
        Pikaffect.TEAR,
    }
)
"""The 16 Pikaffects of Pika's developer API and of fal."""


class Style(StrEnum):
    """Looks available on model 1.0."""

    ANIME = "Anime"
    MOODY = "Moody"
    THREE_D = "3D"
    WATERCOLOR = "Watercolor"
    NATURAL = "Natural"
    CLAYMATION = "Claymation"
    BLACK_AND_WHITE = "Black & white"


class AspectRatio(StrEnum):
    WIDE = "16:9"
    TALL = "9:16"
    SQUARE = "1:1"
    CINEMA = "5:2"
    PORTRAIT = "4:5"
    CLASSIC = "4:3"
    LANDSCAPE = "5:4"
    PHOTO = "3:2"
    PHOTO_TALL = "2:3"

    @property
    def ratio(self) -> float:
        """Return width / height, the number the feed dialect sends."""
        width, height = self.value.split(":")
        return int(width) / int(height)


class Resolution(StrEnum):
    """The resolutions Pika's 2.2 models make (the short side, in pixels)."""

    SD = "720p"
    HD = "1080p"


DURATIONS = (5, 10)
"""Clip lengths, in seconds, that Pika's 2.2 models make."""
MAX_KEYFRAMES = 5


class Zoom(StrEnum):
    IN = "in"
    OUT = "out"


class Pan(StrEnum):
    LEFT = "left"
    RIGHT = "right"


class Tilt(StrEnum):
    UP = "up"
    DOWN = "down"


class Rotate(StrEnum):
    CW = "cw"
    CCW = "ccw"


class IngredientsMode(StrEnum):
    PRECISE = "precise"
    CREATIVE = "creative"


E = TypeVar("E", bound=Enum)


def _pick(enum: type[E], sentence: str, *, optional: bool = False) -> BeforeValidator:
    name = sentence.split(" must be ")[0]

    def check(value: object) -> E | None:
        if optional and value in (None, ""):
            return None
        return choice(value, enum, sentence, name=name)

    return BeforeValidator(check)


def _optional(check: Callable[[object], Any]) -> BeforeValidator:
    return BeforeValidator(lambda value: None if value in (None, "") else check(value))


def _bounded(low: int, high: int, name: str) -> BeforeValidator:
    return BeforeValidator(lambda value: whole_number(value, low, high, name))


def _seed(value: object) -> int | None:
    if value is None or value == "":
        return None
    return whole_number(value, 0, SEED_MAX, "seed")


def _between(low: float, high: float, name: str) -> BeforeValidator:
    return BeforeValidator(lambda value: decimal_number(value, low, high, name))


def _text(name: str) -> BeforeValidator:
    return BeforeValidator(lambda value: text(value, name, limit=PROMPT_LIMIT))


def _duration(value: object) -> int | None:
    if value in (None, ""):
        return None
    seconds = whole_number(value, 1, 60, "duration")
    if seconds not in DURATIONS:
        raise RequestInvalid(
            "duration must be 5 or 10 seconds",
            "pika.duration",
            name="duration",
            choices=tuple(map(str, DURATIONS)),
        )
    return seconds


OptionalResolution = Annotated[
    Resolution | None, _pick(Resolution, "resolution must be 720p or 1080p", optional=True)
]
OptionalDuration = Annotated[int | None, BeforeValidator(_duration)]


Prompt = Annotated[str, _text("prompt")]
ImageUrl = Annotated[str, BeforeValidator(image_url)]
OptionalImageUrl = Annotated[str | None, _optional(image_url)]
VideoUrl = Annotated[str, BeforeValidator(video_url)]
OptionalVideoUrl = Annotated[str | None, _optional(video_url)]
AudioUrl = Annotated[str, BeforeValidator(audio_url)]
AnyModel = Annotated[Model, _pick(Model, f"model must be one of {one_of(Model)}")]
OptionalStyle = Annotated[
    Style | None, _pick(Style, f"style must be one of {one_of(Style)}", optional=True)
]


class _Frozen(BaseModel):
    # Unknown keys are refused: a typo in a cog must not silently drop a user's choice.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Camera(_Frozen):
    """Camera moves; each is optional and unset ones mean "no move"."""

    zoom: Annotated[Zoom | None, _pick(Zoom, "camera zoom must be in or out", optional=True)] = None
    pan: Annotated[Pan | None, _pick(Pan, "camera pan must be left or right", optional=True)] = None
    tilt: Annotated[Tilt | None, _pick(Tilt, "camera tilt must be up or down", optional=True)] = (
        None
    )
    rotate: Annotated[
        Rotate | None, _pick(Rotate, "camera rotate must be cw or ccw", optional=True)
    ] = None

    @property
    def moves(self) -> dict[str, str]:
        """Return only the moves that are set, by name."""
        return {name: str(value) for name, value in self if value is not None}


class GenerationOptions(_Frozen):
    """The options every video-making request carries."""

    frame_rate: Annotated[int, _bounded(1, 24, "frame rate")] = 24
    aspect_ratio: Annotated[
        AspectRatio,
        _pick(AspectRatio, f"aspect ratio must be one of {', '.join(AspectRatio)}"),
    ] = AspectRatio.WIDE
    motion: Annotated[int, _bounded(1, 4, "motion")] = 1
    guidance: Annotated[int, _bounded(5, 25, "guidance")] = 12
    negative_prompt: Annotated[str, _text("negative prompt")] = ""
    seed: Annotated[int | None, BeforeValidator(_seed)] = None
    camera: Camera = Field(default_factory=Camera)
    extend: Annotated[bool, BeforeValidator(lambda value: _flag(value, "extend"))] = False


def _flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise true_or_false(name)


class Area(_Frozen):
    """A rectangle over the video, in percent of its width and height."""

    x: Annotated[float, _between(0, 100, "the area's x")]
    y: Annotated[float, _between(0, 100, "the area's y")]
    width: Annotated[float, _between(0, 100, "the area's width")]
    height: Annotated[float, _between(0, 100, "the area's height")]

    @model_validator(mode="after")
    def _inside_frame(self) -> Self:
        if self.width <= 0 or self.height <= 0:
            raise RequestInvalid(
                "the area must have a width and a height above 0", "pika.area_empty"
            )
        if self.x + self.width > 100:
            raise RequestInvalid(
                "the area must fit inside the frame: x + width must be at most 100",
                "pika.area_width",
            )
        if self.y + self.height > 100:
            raise RequestInvalid(
                "the area must fit inside the frame: y + height must be at most 100",
                "pika.area_height",
            )
        return self


class _Request(_Frozen):
    op: str

    @property
    def operation(self) -> Operation:
        """Return the operation this request asks for."""
        return Operation(self.op)

    @classmethod
    def create(cls, **fields: Any) -> Self:
        """Build the request, raising ``InvalidRequestError`` with the user's sentence(s)."""
        try:
            return cls(**fields)
        except ValidationError as error:
            raise InvalidRequestError(problems=friendly_problems(error)) from None

    def replace(self, **changes: Any) -> Self:
        """Return a validated copy with ``changes`` applied (``model_copy`` would skip checks)."""
        return self.create(**{**self.model_dump(), **changes})


def _require_prompt(prompt: str, what: str, operation: Operation) -> None:
    if not prompt:
        raise RequestInvalid(
            f"a prompt is required for {what}", "pika.prompt_required", operation=operation.value
        )


class GenerateRequest(_Request):
    """Text, image or video to video."""

    op: Literal["generate"] = "generate"
    prompt: Prompt = ""
    model: AnyModel = Model.V1_0
    options: GenerationOptions = Field(default_factory=GenerationOptions)
    image: OptionalImageUrl = None
    video: OptionalVideoUrl = None
    sfx: Annotated[bool, BeforeValidator(lambda value: _flag(value, "sfx"))] = False
    style: OptionalStyle = None
    resolution: OptionalResolution = None
    duration: OptionalDuration = None
    """Seconds (5 or 10); None: the service's own length."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.model is Model.TURBO:
            raise RequestInvalid(
                "model Turbo is only for Pika Additions and Pika Swap", "pika.turbo_only"
            )
        if (self.resolution or self.duration) and self.model is not Model.V2_2:
            raise RequestInvalid("resolution and duration need model 2.2", "pika.size_model")
        if not (self.prompt or self.image or self.video):
            raise RequestInvalid("a prompt, an image or a video is required", "pika.need_input")
        if self.style is not None and self.model is not Model.V1_0:
            raise RequestInvalid("style is only available on model 1.0", "pika.style_model")
        if self.sfx and self.model is not Model.V1_0:
            raise RequestInvalid(
                "sound effects (sfx) are only available on model 1.0", "pika.sfx_model"
            )
        if self.video and self.model not in (Model.V1_0, Model.V1_5):
            raise RequestInvalid(
                "a video input is only available on models 1.0 and 1.5", "pika.video_model"
            )
        return self


class PikaffectRequest(_Request):
    """A Pikaffect (Squish, Melt...) applied to the subject of an image."""

    op: Literal["pikaffect"] = "pikaffect"
    pikaffect: Annotated[
        Pikaffect, _pick(Pikaffect, f"Pikaffect must be one of {one_of(Pikaffect)}")
    ]
    image: ImageUrl
    prompt: Prompt = ""
    model: AnyModel = Model.V1_5
    options: GenerationOptions = Field(default_factory=GenerationOptions)

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.model is not Model.V1_5:
            raise RequestInvalid("Pikaffects need model 1.5", "pika.pikaffect_model")
        return self


def _ingredient(value: object) -> str:
    return image_url(value, "every ingredient image")


class IngredientsRequest(_Request):
    """A video composed from up to five images (people, objects, places)."""

    op: Literal["ingredients"] = "ingredients"
    ingredients: tuple[Annotated[str, BeforeValidator(_ingredient)], ...]
    prompt: Prompt = ""
    model: AnyModel = Model.V2_0
    ingredients_mode: Annotated[
        IngredientsMode,
        _pick(IngredientsMode, "ingredients mode must be precise or creative"),
    ] = IngredientsMode.PRECISE
    options: GenerationOptions = Field(default_factory=GenerationOptions)
    resolution: OptionalResolution = None
    duration: OptionalDuration = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.model not in (Model.V2_0, Model.V2_1, Model.V2_2):
            raise RequestInvalid("ingredients need model 2.0 or newer", "pika.ingredients_model")
        if (self.resolution or self.duration) and self.model is not Model.V2_2:
            raise RequestInvalid("resolution and duration need model 2.2", "pika.size_model")
        if not self.ingredients:
            raise RequestInvalid("add at least one ingredient image", "pika.no_ingredients")
        if len(self.ingredients) > MAX_INGREDIENTS:
            raise RequestInvalid(
                f"use at most {MAX_INGREDIENTS} ingredient images",
                "pika.ingredients_max",
                count=MAX_INGREDIENTS,
            )
        return self


def _keyframe(value: object) -> str:
    return image_url(value, "every keyframe image")


def _transition(value: object) -> str:
    return text(value, "transition prompt", limit=PROMPT_LIMIT)


class KeyframesRequest(_Request):
    """Pikaframes (model 2.2): a video that moves through 2 to 5 images, in order."""

    op: Literal["keyframes"] = "keyframes"
    images: tuple[Annotated[str, BeforeValidator(_keyframe)], ...]
    prompt: Prompt = ""
    """What happens, for every transition that has no prompt of its own."""
    transitions: tuple[Annotated[str, BeforeValidator(_transition)], ...] = ()
    """One prompt per transition (between image n and n+1); "" keeps ``prompt``."""
    length: Annotated[int, _bounded(2, 25, "length")] = 5
    """The whole video, in seconds."""
    resolution: OptionalResolution = None
    model: AnyModel = Model.V2_2
    options: GenerationOptions = Field(default_factory=GenerationOptions)

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.model is not Model.V2_2:
            raise RequestInvalid("keyframes need model 2.2", "pika.keyframes_model")
        if not 2 <= len(self.images) <= MAX_KEYFRAMES:
            raise RequestInvalid(
                f"give 2 to {MAX_KEYFRAMES} keyframe images",
                "pika.keyframes_count",
                low=2,
                high=MAX_KEYFRAMES,
            )
        if len(self.transitions) > len(self.images) - 1:
            raise RequestInvalid(
                "give at most one transition prompt per pair of images", "pika.transitions_max"
            )
        _require_prompt(self.prompt or "".join(self.transitions), "keyframes", self.operation)
        return self

    def transition_prompts(self) -> list[str]:
        """The prompt of each transition: its own, else the video's."""
        given = list(self.transitions) + [""] * (len(self.images) - 1 - len(self.transitions))
        return [own or self.prompt for own in given]

    def transition_seconds(self) -> list[int]:
        """The length split over the transitions, in whole seconds, the first ones longer."""
        count = len(self.images) - 1
        base, extra = divmod(self.length, count)
        return [base + (1 if index < extra else 0) for index in range(count)]


class AdditionsRequest(_Request):
    """Pika Additions: put the content of an image into a video (always model Turbo)."""

    op: Literal["additions"] = "additions"
    prompt: Prompt = ""
    video: VideoUrl
    image: ImageUrl
    model: AnyModel = Model.TURBO
    options: GenerationOptions = Field(default_factory=GenerationOptions)

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.model is not Model.TURBO:
            raise RequestInvalid("Additions need model Turbo", "pika.additions_model")
        _require_prompt(self.prompt, "Pika Additions", self.operation)
        return self


class SwapRequest(_Request):
    """Pika Swap: replace something in a video, guided by an image (always model Turbo)."""

    op: Literal["swap"] = "swap"
    swap_prompt: Annotated[str, _text("swap prompt")] = ""
    prompt: Prompt = ""
    video: VideoUrl
    image: ImageUrl
    model: AnyModel = Model.TURBO
    options: GenerationOptions = Field(default_factory=GenerationOptions)

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.model is not Model.TURBO:
            raise RequestInvalid("Swap needs model Turbo", "pika.swap_model")
        if not self.swap_prompt:
            raise RequestInvalid(
                "a swap prompt (what to replace) is required for Pika Swap", "pika.swap_prompt"
            )
        _require_prompt(self.prompt, "Pika Swap", self.operation)
        return self


class _ChangesVideo(_Request):
    """A request that remakes an earlier video, keeping or changing its prompt and options."""

    prompt: Prompt = ""
    video: VideoUrl
    options: GenerationOptions = Field(default_factory=GenerationOptions)


class RepromptRequest(_ChangesVideo):
    """Regenerate an earlier video with a new prompt (model 1.0 service feature)."""

    op: Literal["reprompt"] = "reprompt"

    @model_validator(mode="after")
    def _rules(self) -> Self:
        # The reference marks promptText optional, but a reprompt without one is a reroll.
        _require_prompt(self.prompt, "reprompting", self.operation)
        return self


class EditRequest(_ChangesVideo):
    """Remake an earlier video with new options and the same prompt."""

    op: Literal["edit"] = "edit"
    style: OptionalStyle = None


class InpaintRequest(_ChangesVideo):
    """Modify a region of an earlier video."""

    op: Literal["inpaint"] = "inpaint"
    area: Area
    style: OptionalStyle = None


class OutpaintRequest(_ChangesVideo):
    """Extend the canvas of an earlier video, possibly to a new aspect ratio."""

    op: Literal["outpaint"] = "outpaint"
    area: Area

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _require_prompt(self.prompt, "outpainting", self.operation)
        return self


class ExtendRequest(_ChangesVideo):
    """Add four seconds to an earlier video."""

    op: Literal["extend"] = "extend"


class UpscaleRequest(_Request):
    """Upscale a video this service made."""

    op: Literal["upscale"] = "upscale"
    video: VideoUrl


class LipsyncRequest(_Request):
    """Make the people in a video speak an audio clip (from ``speech_start`` to ``speech_end``)."""

    op: Literal["lipsync"] = "lipsync"
    video: VideoUrl
    speech: AudioUrl
    speech_start: Annotated[float, _between(0, 24 * 3600, "speech start")] = 0.0
    speech_end: Annotated[float, _between(0, 24 * 3600, "speech end")]

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.speech_end <= self.speech_start:
            raise RequestInvalid("speech end must be after speech start", "pika.speech_order")
        return self


PikaRequest = Annotated[
    GenerateRequest
    | PikaffectRequest
    | IngredientsRequest
    | AdditionsRequest
    | SwapRequest
    | RepromptRequest
    | EditRequest
    | InpaintRequest
    | OutpaintRequest
    | ExtendRequest
    | UpscaleRequest
    | LipsyncRequest
    | KeyframesRequest,
    Field(discriminator="op"),
]

_ADAPTER: TypeAdapter[PikaRequest] = TypeAdapter(PikaRequest)


def validate_request(data: Mapping[str, Any] | str | bytes) -> PikaRequest:
    """Build the request named by ``data["op"]`` from a dict or stored JSON text.

    Raises ``InvalidRequestError`` whose text is the user-facing sentence(s), joined by "; ".
    """
    try:
        if isinstance(data, str | bytes):
            return _ADAPTER.validate_json(data)
        return _ADAPTER.validate_python(dict(data))
    except ValidationError as error:
        raise InvalidRequestError(problems=friendly_problems(error)) from None


parse_request = validate_request
"""Rebuild a stored request (``model_dump(mode="json")`` or its JSON text)."""


_PROMPTED = (
    KeyframesRequest,
    GenerateRequest,
    PikaffectRequest,
    IngredientsRequest,
    AdditionsRequest,
    SwapRequest,
    _ChangesVideo,
)
_MODELLED = (
    GenerateRequest,
    PikaffectRequest,
    IngredientsRequest,
    AdditionsRequest,
    SwapRequest,
    KeyframesRequest,
)
_WITH_OPTIONS = (*_MODELLED, _ChangesVideo)


def prompt_of(request: PikaRequest) -> str:
    """The request's prompt, or "" for operations that take none (upscale, lip sync)."""
    return request.prompt if isinstance(request, _PROMPTED) else ""


def model_of(request: PikaRequest) -> Model | None:
    """The model the request asks for; None where the operation takes no model choice."""
    return request.model if isinstance(request, _MODELLED) else None


def options_of(request: PikaRequest) -> GenerationOptions | None:
    """The generation options, for operations that carry them."""
    return request.options if isinstance(request, _WITH_OPTIONS) else None


def size_of(request: PikaRequest) -> tuple[str | None, int | None]:
    """The resolution and the length (seconds) the request asks for, where it says."""
    if isinstance(request, GenerateRequest | IngredientsRequest):
        return (request.resolution.value if request.resolution else None), request.duration
    if isinstance(request, KeyframesRequest):
        return (request.resolution.value if request.resolution else None), request.length
    return None, None


FREE_TEXT_FIELDS = frozenset({"prompt", "negative_prompt", "swap_prompt", "transitions"})


def texts_of(request: PikaRequest) -> list[str]:
    """Every piece of free text a member wrote into the request (prompts, the negative
    prompt, transition prompts, what to swap), for a server's word filter; files and choices
    from fixed lists are left out."""
    texts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                if name in FREE_TEXT_FIELDS:
                    texts.extend(_strings(item))
                else:
                    walk(item)

    walk(request.model_dump(mode="json"))
    return texts


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str) and item]
    return []
