"""FastAPI-style validation answers: HTTP 422 ``{"detail": [{"loc", "msg", "type"}, ...]}``.

Both official services are FastAPI/pydantic apps, so their refusals list every problem at once
with pydantic v2's ``type`` codes and message wording. Only ``loc``, ``msg`` and ``type`` are
given (pydantic's ``input``/``ctx``/``url`` extras are left out: no source shows them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Loc = tuple[str | int, ...]


class UnprocessableError(Exception):
    """The request is refused with 422 and this ``detail`` list."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, d['loc']))}: {d['msg']}" for d in detail))
        self.detail = detail


class Problems:
    """Collects the problems of one request, in the order found."""

    def __init__(self) -> None:
        self.detail: list[dict[str, Any]] = []

    def add(self, loc: Loc, msg: str, type_: str) -> None:
        self.detail.append({"loc": list(loc), "msg": msg, "type": type_})

    def missing(self, loc: Loc) -> None:
        self.add(loc, "Field required", "missing")

    def value_error(self, loc: Loc, text: str) -> None:
        self.add(loc, f"Value error, {text}", "value_error")

    def literal(self, loc: Loc, choices: Sequence[object]) -> None:
        self.add(loc, f"Input should be {choice_list(choices)}", "literal_error")

    def bounds(self, loc: Loc, value: float, low: float | None, high: float | None) -> bool:
        """Add a range problem when ``value`` is outside [low, high]; return whether it fits."""
        if low is not None and not value >= low:
            self.add(loc, f"Input should be greater than or equal to {low}", "greater_than_equal")
            return False
        if high is not None and not value <= high:
            self.add(loc, f"Input should be less than or equal to {high}", "less_than_equal")
            return False
        return True

    def length(self, loc: Loc, actual: int, low: int, high: int | None) -> None:
        """Add a list-length problem when ``actual`` is outside [low, high]."""
        if actual < low:
            self.add(
                loc,
                f"List should have at least {_items(low)} after validation, not {actual}",
                "too_short",
            )
        elif high is not None and actual > high:
            self.add(
                loc,
                f"List should have at most {_items(high)} after validation, not {actual}",
                "too_long",
            )

    def __bool__(self) -> bool:
        return bool(self.detail)

    def raise_if_any(self) -> None:
        if self.detail:
            raise UnprocessableError(self.detail)


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def choice_list(choices: Sequence[object]) -> str:
    """Spell choices as pydantic does: ``'a', 'b' or 'c'`` (numbers unquoted)."""
    spelled = [repr(choice) if isinstance(choice, str) else str(choice) for choice in choices]
    if len(spelled) == 1:
        return spelled[0]
    return ", ".join(spelled[:-1]) + " or " + spelled[-1]


def body_error(loc: Loc, msg: str, type_: str) -> UnprocessableError:
    """Return a single-problem refusal (for bodies that cannot be read at all)."""
    return UnprocessableError([{"loc": list(loc), "msg": msg, "type": type_}])


class NotFoundError(Exception):
    """The job or file asked for does not exist; answered with 404 in the dialect's shape."""
