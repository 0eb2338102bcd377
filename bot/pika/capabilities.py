"""What a provider can serve, and the refusal (before any spending) of what it cannot."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.operations import Operation
from bot.pika.errors import UnsupportedOperationError
from bot.pika.fields import one_of
from bot.pika.requests import GenerateRequest, PikaffectRequest, PikaRequest, model_of


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
    model = model_of(request)
    if models is not None and model is not None and str(model) not in models:
        raise UnsupportedOperationError(
            f"this Pika service has no model {model} for {_OPERATION_NAMES[operation]};"
            f" choose {one_of(models)}"
        )
    if not isinstance(capabilities, DialectCapabilities):
        return
    if isinstance(request, GenerateRequest) and request.video and not capabilities.video_input:
        raise UnsupportedOperationError(
            "this Pika service cannot start from a video; attach an image instead"
        )
    offered = capabilities.pikaffects
    if (
        isinstance(request, PikaffectRequest)
        and offered is not None
        and request.pikaffect not in offered
    ):
        raise UnsupportedOperationError(
            f"this Pika service does not offer the {request.pikaffect} Pikaffect;"
            f" choose {one_of(sorted(offered))}"
        )


_OPERATION_NAMES = {
    Operation.GENERATE: "generating",
    Operation.PIKAFFECT: "Pikaffects",
    Operation.INGREDIENTS: "ingredients",
    Operation.ADDITIONS: "Pika Additions",
    Operation.SWAP: "Pika Swap",
}
