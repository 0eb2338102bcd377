"""Fault injection: which answers go wrong, and how, scoped by route.

A rule fires for the next ``count`` matching requests first, then for a share ``rate`` of them.
Scopes: ``submit`` (every POST that starts work), ``poll`` (job status reads, fal's result
and cancel calls included), ``files`` (result downloads) and ``any`` (submit and poll;
downloads only fail when ``files`` is named). ``fail_jobs`` and ``drop_webhooks`` are not
about requests: the first decides at submission, the second when a push is due.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Self

SCOPES = ("submit", "poll", "files")
DEFAULT_FAIL_MESSAGE = "The video could not be generated (simulated failure)"
DEFAULT_FAIL_TYPE = "no_media_generated"


class FaultConfigError(ValueError):
    """A fault description could not be understood."""


@dataclass
class FaultRule:
    """Fire for the next ``count`` matching requests, then for a share ``rate`` of them."""

    rate: float = 0.0
    count: int = 0
    routes: tuple[str, ...] = ("any",)

    def applies_to(self, scope: str) -> bool:
        if scope in self.routes:
            return True
        return "any" in self.routes and scope != "files"

    def fire(self, scope: str, rng: random.Random) -> bool:
        """Decide for one request, consuming a counted fault when it fires."""
        if not self.applies_to(scope):
            return False
        if self.count > 0:
            self.count -= 1
            return True
        return self.rate > 0 and rng.random() < self.rate

    @property
    def active(self) -> bool:
        return self.count > 0 or self.rate > 0

    def check(self) -> None:
        """Raise ``FaultConfigError`` when a field is out of range."""
        if not 0 <= self.rate <= 1:
            raise FaultConfigError("rate must be between 0 and 1")
        if self.count < 0:
            raise FaultConfigError("count must not be negative")
        unknown = set(self.routes) - {*SCOPES, "any"}
        if unknown:
            raise FaultConfigError(
                f"unknown routes {sorted(unknown)}; use submit, poll, files, any"
            )


@dataclass
class ServerErrorRule(FaultRule):
    """Answer 500; with ``after_handler`` the request takes effect and only the answer is lost."""

    after_handler: bool = False


@dataclass
class RateLimitRule(FaultRule):
    """Answer 429 with a ``Retry-After`` header of ``retry_after`` seconds."""

    retry_after: float = 1.0


@dataclass
class SlowRule(FaultRule):
    """Wait ``seconds`` before answering.

    By default the wait comes before the request is handled (a slow network or a busy
    gateway). With ``after_handler`` the request takes effect at once (a submission's job
    exists and runs) and only its answer is late: the window in which a client that dies has
    spent a submission without learning its id.
    """

    seconds: float = 1.0
    after_handler: bool = False


@dataclass
class MalformedRule(FaultRule):
    """Answer 200 with a body that is not valid JSON (after the request took effect)."""


@dataclass
class OmitProgressRule(FaultRule):
    """Leave ``progress`` out of status answers."""

    routes: tuple[str, ...] = ("poll",)


@dataclass
class JobFailureRule:
    """Make jobs end in failure: the next ``count``, a share ``rate``, or those with ``marker``.

    ``error_type`` is what fal reports for the failure (its ``error_type`` and the ``type`` of
    the 422 detail); the other dialects only show ``message``.
    """

    rate: float = 0.0
    count: int = 0
    marker: str = "[fail]"
    message: str = DEFAULT_FAIL_MESSAGE
    error_type: str = DEFAULT_FAIL_TYPE

    def fire(self, prompt: str, rng: random.Random) -> bool:
        """Decide whether a new job with this prompt fails, consuming a counted failure."""
        if self.marker and self.marker.lower() in prompt.lower():
            return True
        if self.count > 0:
            self.count -= 1
            return True
        return self.rate > 0 and rng.random() < self.rate

    def check(self) -> None:
        if not 0 <= self.rate <= 1:
            raise FaultConfigError("rate must be between 0 and 1")
        if self.count < 0:
            raise FaultConfigError("count must not be negative")


@dataclass
class WebhookDropRule:
    """Do not send the next ``count`` webhook pushes, then a share ``rate`` of them.

    A dropped push is recorded (``WebhookDelivery.dropped``) but never leaves the simulator,
    as when the provider loses it or gives up on it: the client must notice by polling.
    """

    rate: float = 0.0
    count: int = 0

    def fire(self, rng: random.Random) -> bool:
        """Decide for one push, consuming a counted drop when it fires."""
        if self.count > 0:
            self.count -= 1
            return True
        return self.rate > 0 and rng.random() < self.rate

    def check(self) -> None:
        if not 0 <= self.rate <= 1:
            raise FaultConfigError("rate must be between 0 and 1")
        if self.count < 0:
            raise FaultConfigError("count must not be negative")


@dataclass(frozen=True)
class Decision:
    """What the faults decided for one request."""

    delay: float = 0.0
    delay_after_handler: bool = False
    """Wait ``delay`` after the request took effect rather than before handling it."""
    status: int | None = None
    """500 or 429 answered instead of (or, with ``after_handler``, after) the real answer."""
    after_handler: bool = False
    retry_after: float | None = None
    malformed: bool = False
    omit_progress: bool = False


@dataclass
class FaultConfig:
    """All fault rules; mutable at run time (``sim.faults`` or ``POST /_sim/faults``)."""

    status_500: ServerErrorRule = field(default_factory=ServerErrorRule)
    status_429: RateLimitRule = field(default_factory=RateLimitRule)
    slow: SlowRule = field(default_factory=SlowRule)
    malformed: MalformedRule = field(default_factory=MalformedRule)
    omit_progress: OmitProgressRule = field(default_factory=OmitProgressRule)
    fail_jobs: JobFailureRule = field(default_factory=JobFailureRule)
    drop_webhooks: WebhookDropRule = field(default_factory=WebhookDropRule)

    _RULES: ClassVar[dict[str, type]] = {
        "status_500": ServerErrorRule,
        "status_429": RateLimitRule,
        "slow": SlowRule,
        "malformed": MalformedRule,
        "omit_progress": OmitProgressRule,
        "fail_jobs": JobFailureRule,
        "drop_webhooks": WebhookDropRule,
    }

    def decide(self, scope: str, rng: random.Random) -> Decision:
        """Roll every rule for one request in scope ``scope``."""
        slow = self.slow.fire(scope, rng)
        delay = self.slow.seconds if slow else 0.0
        delay_after_handler = slow and self.slow.after_handler
        status: int | None = None
        after_handler = False
        retry_after: float | None = None
        if self.status_500.fire(scope, rng):
            status = 500
            after_handler = self.status_500.after_handler
        elif self.status_429.fire(scope, rng):
            status = 429
            retry_after = self.status_429.retry_after
        malformed = status is None and self.malformed.fire(scope, rng)
        omit_progress = self.omit_progress.fire(scope, rng)
        return Decision(
            delay,
            delay_after_handler,
            status,
            after_handler,
            retry_after,
            malformed,
            omit_progress,
        )

    def update(self, changes: dict[str, Any]) -> None:
        """Replace the named rules; ``null`` resets a rule to its harmless default."""
        if not isinstance(changes, dict):
            raise FaultConfigError("faults must be a JSON object")
        built = {}
        for name, value in changes.items():
            rule_type = self._RULES.get(name)
            if rule_type is None:
                raise FaultConfigError(f"unknown fault {name!r}; known: {sorted(self._RULES)}")
            built[name] = _build_rule(rule_type, name, value)
        for name, rule in built.items():
            setattr(self, name, rule)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Build a config from the JSON accepted by ``POST /_sim/faults``."""
        config = cls()
        config.update(data)
        return config

    def to_json(self) -> dict[str, Any]:
        """Return the rules as JSON-ready data."""
        return {name: asdict(getattr(self, name)) for name in self._RULES}


def _build_rule(rule_type: type, name: str, value: Any) -> Any:
    if value is None:
        return rule_type()
    if not isinstance(value, dict):
        raise FaultConfigError(f"{name} must be an object or null")
    known = {item.name: item for item in fields(rule_type)}
    unknown = set(value) - set(known)
    if unknown:
        raise FaultConfigError(f"{name}: unknown fields {sorted(unknown)}; known: {sorted(known)}")
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        if key == "routes":
            if isinstance(item, str):
                item = [item]
            if not isinstance(item, list) or not all(isinstance(r, str) for r in item):
                raise FaultConfigError(f"{name}.routes must be a list of route names")
            item = tuple(item)
        elif key in ("rate", "retry_after", "seconds"):
            if isinstance(item, bool) or not isinstance(item, int | float) or item < 0:
                raise FaultConfigError(f"{name}.{key} must be a non-negative number")
            item = float(item)
        elif key == "count":
            if isinstance(item, bool) or not isinstance(item, int):
                raise FaultConfigError(f"{name}.count must be an integer")
        elif key == "after_handler":
            if not isinstance(item, bool):
                raise FaultConfigError(f"{name}.after_handler must be true or false")
        elif not isinstance(item, str):
            raise FaultConfigError(f"{name}.{key} must be a string")
        kwargs[key] = item
    rule = rule_type(**kwargs)
    try:
        rule.check()
    except FaultConfigError as error:
        raise FaultConfigError(f"{name}: {error}") from None
    return rule
