"""What a provider can serve, and the refusal (before any spending) of what it cannot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.domain.operations import Operation
from bot.pika.errors import UnsupportedOperationError
from bot.pika.fields import one_of

if TYPE_CHECKING:
    from bot.pika.requests import PikaRequest


@dataclass(frozen=True)
class Capabilities:
    """Which operations, and which models for them, a dialect can serve."""

    operations: frozenset[Operation]
    models: dict[Operation, tuple[str, ...]] = field(default_factory=dict)
    """Models accepted per operation; an operation missing here takes no model choice."""

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
}


@dataclass(frozen=True)
class DialectCapabilities(Capabilities):
    """Capabilities plus the limits a dialect has inside an operation it does offer."""

    pikaffects: frozenset[str] | None = None
    """The Pikaffects offered; None means all of them."""
    video_input: bool = True
    """Whether generate may start from a video."""


def check_supported(capabilities: Capabilities, request: PikaRequest) -> None:
    """Refuse, with a user sentence, a request the provider cannot serve (before any spending)."""
    operation = request.operation
    if not capabilities.supports(operation):
        raise UnsupportedOperationError(CANNOT[operation])
    models = capabilities.models.get(operation)
    model = getattr(request, "model", None)
    if models is not None and model is not None and str(model) not in models:
        raise UnsupportedOperationError(
            f"this Pika service has no model {model} for {_OPERATION_NAMES[operation]};"
            f" choose {one_of(models)}"
        )
    if not isinstance(capabilities, DialectCapabilities):
        return
    video = getattr(request, "video", None)
    if operation is Operation.GENERATE and video and not capabilities.video_input:
        raise UnsupportedOperationError(
            "this Pika service cannot start from a video; attach an image instead"
        )
    pikaffect = getattr(request, "pikaffect", None)
    offered = capabilities.pikaffects
    if operation is Operation.PIKAFFECT and offered is not None and pikaffect not in offered:
        raise UnsupportedOperationError(
            f"this Pika service does not offer the {pikaffect} Pikaffect;"
            f" choose {one_of(sorted(offered))}"
        )


_OPERATION_NAMES = {
    Operation.GENERATE: "generating",
    Operation.PIKAFFECT: "Pikaffects",
    Operation.INGREDIENTS: "ingredients",
    Operation.ADDITIONS: "Pika Additions",
    Operation.SWAP: "Pika Swap",
}
