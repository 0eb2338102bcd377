"""The one way the dialects talk HTTP: timeouts, auth, retries and typed errors.

Reads (status polls) are retried freely. Submissions are retried only when the provider certainly
did not take them, because a double submission bills the server owner twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from bot.pika.errors import (
    AuthenticationError,
    PikaError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

_REASON_KEYS = ("message", "error", "detail")
_REASON_LIMIT = 300


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    retry_after: float | None


class PikaHttp:
    """JSON over one shared ``aiohttp.ClientSession``, with the bot's retry rules."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        max_retry_after: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.attempts = attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._jitter = jitter

    def __repr__(self) -> str:
        # Never show the key, even in a debugger or a traceback's locals.
        return f"PikaHttp({self._base_url!r})"

    async def read(self, method: str, path: str, body: Any = None) -> Any:
        """Fetch JSON that changes nothing on the provider, retrying transient failures."""
        for attempt in range(1, self.attempts + 1):
            wait_hint: float | None = None
            try:
                answer = await self._send(method, path, body)
            except (aiohttp.ClientError, TimeoutError) as error:
                failure: PikaError = UnavailableError(f"Pika could not be reached ({_name(error)})")
            else:
                if 200 <= answer.status < 300:
                    try:
                        return json.loads(answer.body)
                    except ValueError:
                        failure = UnavailableError("Pika answered with malformed JSON")
                elif answer.status == 429:
                    failure = RateLimitedError(answer.retry_after)
                    wait_hint = answer.retry_after
                elif 400 <= answer.status < 500:
                    raise _refusal(answer)
                else:
                    failure = UnavailableError(f"Pika answered HTTP {answer.status}")
                    wait_hint = answer.retry_after
            await self._before_retry(attempt, wait_hint, failure, method, path)
        raise AssertionError("unreachable")  # _before_retry raises on the last attempt

    async def submit(self, path: str, body: Any) -> Any:
        """POST a new job, re-sending only when the provider certainly did not take it."""
        method = "POST"
        for attempt in range(1, self.attempts + 1):
            wait_hint: float | None = None
            try:
                answer = await self._send(method, path, body)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
                # No connection was made, so nothing was sent.
                failure: PikaError = UnavailableError(f"Pika could not be reached ({_name(error)})")
            except (aiohttp.ClientError, TimeoutError) as error:
                log.warning("POST %s failed after sending (%s); not re-sending", path, _name(error))
                raise UnavailableError(
                    "the connection to Pika was lost after the request was sent",
                    maybe_submitted=True,
                ) from None
            else:
                if 200 <= answer.status < 300:
                    try:
                        return json.loads(answer.body)
                    except ValueError:
                        raise UnavailableError(
                            "Pika accepted the request but its answer was malformed JSON",
                            maybe_submitted=True,
                        ) from None
                if answer.status == 429:
                    failure = RateLimitedError(answer.retry_after)
                    wait_hint = answer.retry_after
                elif answer.status == 503 and answer.retry_after is not None:
                    # A 503 that names a retry time is the provider saying "not taken, come back".
                    failure = UnavailableError(f"Pika answered HTTP {answer.status}")
                    wait_hint = answer.retry_after
                elif 400 <= answer.status < 500:
                    raise _refusal(answer)
                else:
                    log.warning("POST %s answered HTTP %d; not re-sending", path, answer.status)
                    raise UnavailableError(
                        f"Pika answered HTTP {answer.status}", maybe_submitted=True
                    )
            await self._before_retry(attempt, wait_hint, failure, method, path)
        raise AssertionError("unreachable")

    async def _send(self, method: str, path: str, body: Any) -> _Answer:
        url = f"{self._base_url}{path}"
        async with self._session.request(
            method, url, json=body, headers=self._headers, timeout=self._timeout
        ) as response:
            raw = await response.read()
            return _Answer(response.status, raw, _retry_after(response.headers.get("Retry-After")))

    async def _before_retry(
        self, attempt: int, wait_hint: float | None, failure: PikaError, method: str, path: str
    ) -> None:
        """Sleep before the next attempt, or raise ``failure`` when retrying is pointless."""
        if attempt >= self.attempts:
            log.warning("%s %s gave up after %d attempts: %s", method, path, attempt, failure)
            raise failure
        if wait_hint is not None and wait_hint > self._max_retry_after:
            # Waiting that long here would hold a user's command; let the caller reschedule.
            log.warning("%s %s asked to wait %.0f s; not waiting", method, path, wait_hint)
            raise failure
        delay = wait_hint if wait_hint is not None else self._backoff(attempt)
        log.info(
            "%s %s attempt %d/%d failed (%s); retrying in %.2f s",
            method,
            path,
            attempt,
            self.attempts,
            failure,
            delay,
        )
        await self._sleep(delay)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
        # Half fixed, half random: spread out retries without ever retrying instantly.
        return float(ceiling / 2 + self._jitter() * ceiling / 2)


def _refusal(answer: _Answer) -> PikaError:
    if answer.status in (401, 403):
        return AuthenticationError()
    return RejectedError(_reason(answer), answer.status)


def _reason(answer: _Answer) -> str:
    """Return the provider's own explanation from a JSON or text error body."""
    try:
        data = json.loads(answer.body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in _REASON_KEYS:
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, list) and value and isinstance(value[0], dict):
                value = value[0].get("msg")  # FastAPI-style validation details
            if isinstance(value, str) and value.strip():
                return value.strip()[:_REASON_LIMIT]
    text = answer.body.decode("utf-8", errors="replace").strip()
    if text and not text.startswith(("{", "[", "<")):
        return text[:_REASON_LIMIT]
    return f"Pika refused the request (HTTP {answer.status})"


def _retry_after(value: str | None) -> float | None:
    """Read ``Retry-After`` as seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _name(error: BaseException) -> str:
    return type(error).__name__
