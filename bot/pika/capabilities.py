"""What a provider can serve, and the refusal (before any spending) of what it cannot."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.operations import Operation
from bot.pika.errors import UnsupportedOperationError
from bot.pika.fields import one_of
from bot.pika.requests import (
    GenerateRequest,
    IngredientsRequest,
    KeyframesRequest,
    PikaffectRequest,
    PikaRequest,
    model_of,
    options_of,
    prompt_of,
    size_of,
)

CLASSIC_RATIOS = frozenset({"16:9", "9:16", "1:1", "5:2", "4:5", "4:3"})
"""The aspect ratios of the reseller dialects (and of the bot's first commands)."""


class CommandSet(StrEnum):
    """Which commands suit the service: the resellers' options, or Pika 2.2's."""

    CLASSIC = "classic"
    """Models 1.0-2.2 with motion, guidance, camera moves, styles (webbot, feed)."""
    OFFICIAL = "official"
    """Pika 2.2 as sold today (Pika's developer API, fal): resolution, length, keyframes."""


@dataclass(frozen=True)
class Capabilities:
    """Which operations a service can serve, and its limits inside those it does."""

    operations: frozenset[Operation]
    models: dict[Operation, tuple[str, ...]] = field(default_factory=dict)
    """Models accepted per operation; an operation missing here takes no model choice."""
    pikaffects: frozenset[str] | None = None
    """The Pikaffects offered; None means all of them."""
    video_input: bool = True
    """Whether generate may start from a video."""
    aspect_ratios: frozenset[str] = CLASSIC_RATIOS
    resolutions: tuple[str, ...] = ()
    """Resolutions a member may choose; empty: none (the service's own)."""
    durations: tuple[int, ...] = ()
    """Clip lengths (seconds) a member may choose; empty: none."""
    keyframe_seconds: tuple[int, int] = (5, 10)
    """The shortest and longest keyframe video."""
    max_keyframes: int = 5
    """The most keyframe images one video may go through."""
    transition_prompts: bool = False
    """Whether each keyframe transition may have its own prompt."""
    prompt_required: frozenset[str] = frozenset()
    """Where the service insists on a prompt: "generate", "generate_image", "ingredients"."""
    command_set: CommandSet = CommandSet.CLASSIC
    webhooks: bool = False
    """Whether the service pushes to a webhook URL given with each submission."""

    def supports(self, operation: Operation) -> bool:
        return operation in self.operations


# What a user reads when the provider lacks a whole operation.
CANNOT = {
    Operation.GENERATE: "this Pika service cannot generate videos",
    Operation.PIKAFFECT: "this Pika service cannot apply Pikaffects",
    Operation.INGREDIENTS: "this Pika service cannot make videos from ingredients",
    Operation.ADDITIONS: "this Pika service cannot do Pika Additions",
    Operation.SWAP: "this Pika service cannot do Pika Swap",
    Operation.REPROMPT: "this Pika service cannot reprompt videos",
    Operation.EDIT: "this Pika service cannot edit videos",
    Operation.INPAINT: "this Pika service cannot inpaint (modify a region of) videos",
    Operation.OUTPAINT: "this Pika service cannot outpaint (extend the canvas of) videos",
    Operation.EXTEND: "this Pika service cannot extend videos",
    Operation.UPSCALE: "this Pika service cannot upscale videos",
    Operation.LIPSYNC: "this Pika service cannot lip sync videos",
    Operation.KEYFRAMES: "this Pika service cannot make videos from keyframes (Pikaframes)",
}


NO_VIDEO_INPUT = "this Pika service cannot start from a video; attach an image instead"
ONE_KEYFRAME_PROMPT = "this Pika service takes one prompt for the whole keyframe video"


def check_supported(capabilities: Capabilities, request: PikaRequest) -> None:
    """Refuse, with a user sentence, a request the provider cannot serve (before any spending)."""
    operation = request.operation
    if not capabilities.supports(operation):
        raise UnsupportedOperationError.because(
            CANNOT[operation], "pika.cannot", operation=operation.value
        )
    models = capabilities.models.get(operation)
    model = model_of(request)
    if models is not None and model is not None and str(model) not in models:
        raise UnsupportedOperationError.because(
            f"this Pika service has no model {model} for {_OPERATION_NAMES[operation]};"
            f" choose {one_of(models)}",
            "pika.no_model",
            model=str(model),
            choices=models,
        )
    _check_sizes(capabilities, request)
    if isinstance(request, GenerateRequest) and request.video and not capabilities.video_input:
        raise UnsupportedOperationError.because(NO_VIDEO_INPUT, "pika.no_video_input")
    offered = capabilities.pikaffects
    if (
        isinstance(request, PikaffectRequest)
        and offered is not None
        and request.pikaffect not in offered
    ):
        raise UnsupportedOperationError.because(
            f"this Pika service does not offer the {request.pikaffect} Pikaffect;"
            f" choose {one_of(sorted(offered))}",
            "pika.no_effect",
            effect=request.pikaffect.value,
            choices=tuple(sorted(offered)),
        )


def _check_sizes(capabilities: Capabilities, request: PikaRequest) -> None:
    """Refuse an aspect ratio, resolution, length or prompt the service does not take."""
    options = options_of(request)
    ratio = options.aspect_ratio.value if options is not None else None
    if ratio is not None and ratio not in capabilities.aspect_ratios:
        raise UnsupportedOperationError.because(
            f"this Pika service cannot make {ratio} videos; choose "
            f"{one_of(sorted(capabilities.aspect_ratios))}",
            "pika.no_ratio",
            ratio=ratio,
            choices=tuple(sorted(capabilities.aspect_ratios)),
        )
    resolution, seconds = size_of(request)
    if resolution is not None and resolution not in capabilities.resolutions:
        raise UnsupportedOperationError.because(
            "this Pika service has no choice of resolution", "pika.no_resolution"
        )
    if isinstance(request, KeyframesRequest):
        low, high = capabilities.keyframe_seconds
        if not low <= request.length <= high:
            raise UnsupportedOperationError.because(
                f"keyframe videos here are {low} to {high} seconds long",
                "pika.keyframes_length",
                low=low,
                high=high,
            )
        if len(request.images) > capabilities.max_keyframes:
            raise UnsupportedOperationError.because(
                f"this Pika service takes at most {capabilities.max_keyframes} keyframe images",
                "pika.keyframes_max",
                count=capabilities.max_keyframes,
            )
        count = len(request.images)
        if request.length < count - 1:
            raise UnsupportedOperationError.because(
                f"{count} keyframes need at least {count - 1} seconds (one per transition)",
                "pika.keyframes_seconds",
                count=count,
                least=count - 1,
            )
        if any(request.transitions) and not capabilities.transition_prompts:
            raise UnsupportedOperationError.because(ONE_KEYFRAME_PROMPT, "pika.one_keyframe_prompt")
    elif seconds is not None and seconds not in capabilities.durations:
        raise UnsupportedOperationError.because(
            "this Pika service has no choice of length", "pika.no_length"
        )
    needs = capabilities.prompt_required
    if not prompt_of(request):
        if isinstance(request, GenerateRequest):
            tag = "generate_image" if request.image else "generate"
            if tag in needs:
                raise UnsupportedOperationError.because(
                    "this Pika service needs a prompt for that", "pika.needs_prompt"
                )
        elif isinstance(request, IngredientsRequest) and "ingredients" in needs:
            raise UnsupportedOperationError.because(
                "this Pika service needs a prompt for ingredients", "pika.needs_prompt"
            )


_OPERATION_NAMES = {
    Operation.GENERATE: "generating",
    Operation.PIKAFFECT: "Pikaffects",
    Operation.INGREDIENTS: "ingredients",
    Operation.ADDITIONS: "Pika Additions",
    Operation.SWAP: "Pika Swap",
}
