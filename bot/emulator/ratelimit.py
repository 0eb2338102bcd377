"""Per-route rate-limit buckets with Discord's headers, and injectable faults."""

from __future__ import annotations

import hashlib
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.config import RateLimitRule

# A request this close to a window's end counts in the next window, so a client that
# sleeps exactly Reset-After is not refused because of rounding.
_GRACE = 0.02


@dataclass
class _Bucket:
    limit: int
    per: float
    count: int = 0
    reset_at: float = 0.0


@dataclass
class Decision:
    """The outcome of one request against its bucket."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0


class RateLimiter:
    """Fixed-window buckets keyed by rule and major parameters, on real time."""

    def __init__(self, rules: list[RateLimitRule], default_limit: int, default_per: float) -> None:
        self._rules = {(r.method, r.route): r for r in rules}
        self._default = (default_limit, default_per)
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def check(self, method: str, template: str, major: str) -> Decision:
        """Count one request; refuse it when its bucket is exhausted."""
        rule = self._rules.get((method, template))
        if rule is not None:
            name, limit, per = rule.name, rule.limit, rule.per
        else:
            name = f"{method} {template}"
            limit, per = self._default
        key = (name, major)
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset_at - _GRACE:
            bucket = self._buckets[key] = _Bucket(limit=limit, per=per, reset_at=now + per)
        reset_after = max(bucket.reset_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Bucket": _bucket_hash(name),
            "X-RateLimit-Reset-After": f"{math.ceil(reset_after * 1000) / 1000:.3f}",
            "X-RateLimit-Reset": f"{math.ceil((time.time() + reset_after) * 1000) / 1000:.3f}",
        }
        if bucket.count >= limit:
            headers["X-RateLimit-Remaining"] = "0"
            return Decision(allowed=False, headers=headers, retry_after=reset_after)
        bucket.count += 1
        headers["X-RateLimit-Remaining"] = str(limit - bucket.count)
        return Decision(allowed=True, headers=headers)

    def unlimited_headers(self, template: str) -> dict[str, str]:
        """Return headers for a route Discord does not limit (interaction callbacks)."""
        return {
            "X-RateLimit-Limit": "1000",
            "X-RateLimit-Remaining": "999",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": _bucket_hash(template),
        }

    def clear(self) -> None:
        """Forget every bucket."""
        self._buckets.clear()


def _bucket_hash(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:32]


def too_many_requests_headers(retry_after: float, *, scope: str) -> dict[str, str]:
    """Return the extra headers of a 429: ``Via`` marks it as Discord's own, not Cloudflare's."""
    return {
        "Via": "1.1 google",
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Scope": scope,
    }


def too_many_requests_body(retry_after: float, *, is_global: bool = False) -> dict[str, Any]:
    """Return the JSON body of a 429."""
    return {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
        "code": 0,
    }


@dataclass
class Fault:
    """Answer the next ``count`` matching requests with ``status`` instead of handling them."""

    id: int
    route: str
    status: int
    count: int
    retry_after: float = 1.0
    message: str | None = None
    code: int = 0
    is_global: bool = False
    hits: int = 0
    remaining: int = field(init=False)

    def __post_init__(self) -> None:
        self.remaining = self.count

    def matches(self, method: str, template: str, path: str) -> bool:
        """Match ``"<METHOD> <template or substring>"`` (or a bare substring) to a request."""
        spec = self.route.strip()
        head, sep, rest = spec.partition(" ")
        if sep and (head == "*" or (head.isalpha() and head.isupper())):
            if head not in ("*", method):
                return False
            pattern = rest.strip()
        else:
            pattern = spec
        return pattern == template or pattern in template or pattern in path

    def to_json(self) -> dict[str, Any]:
        """Return the fault as the control API shows it."""
        return {
            "id": self.id,
            "route": self.route,
            "status": self.status,
            "count": self.count,
            "remaining": self.remaining,
            "hits": self.hits,
            "retry_after": self.retry_after,
        }


class Faults:
    """The list of injected faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, **kwargs: Any) -> Fault:
        """Register a fault (see :class:`Fault` for the fields)."""
        fault = Fault(id=next(self._ids), **kwargs)
        self._faults.append(fault)
        return fault

    def take(self, method: str, template: str, path: str) -> Fault | None:
        """Return (and use up one count of) the first fault matching this request."""
        for fault in self._faults:
            if fault.remaining > 0 and fault.matches(method, template, path):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    def list(self) -> list[dict[str, Any]]:
        """Return every fault, used up or not."""
        return [f.to_json() for f in self._faults]

    def clear(self) -> None:
        """Remove every fault."""
        self._faults.clear()
