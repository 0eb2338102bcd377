"""The one way the dialects talk HTTP: timeouts, auth, retries and typed errors.

Reads (status polls) are retried freely. Submissions are retried only when the provider certainly
did not take them, because a double submission bills the server owner twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
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
BodyOpener = Callable[[], AbstractAsyncContextManager[Any]]
"""Builds a request body afresh for each attempt (e.g. a form streaming downloads)."""

_REASON_KEYS = ("message", "error", "detail")
_REASON_LIMIT = 300


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: its status, raw body and ``Retry-After`` (seconds), if any."""

    status: int
    body: bytes
    retry_after: float | None

    def json(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


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
        auth_headers: Mapping[str, str] | None = None,
        key_setting: str = "PIKA_API_KEY",
        service: str = "Pika",
    ) -> None:
        """``auth_headers`` carry the key in the service's own way (default: Bearer)."""
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if auth_headers is not None:
            self._headers.update(auth_headers)
        elif api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self.key_setting = key_setting
        """The setting that holds the key, named (never the key) when the key is refused."""
        self.service = service
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

    @property
    def base_url(self) -> str:
        return self._base_url

    async def read(self, method: str, path: str, body: Any = None) -> Any:
        """Fetch JSON that changes nothing on the provider, retrying transient failures."""
        answer = await self._call(method, path, body, json_only=True)
        return json.loads(answer.body)

    async def exchange(self, method: str, path: str, body: Any = None) -> Answer:
        """A call that may be repeated safely, whose 4xx answers the caller reads itself.

        Network errors, 429 and 5xx are retried; 401/403 raise ``AuthenticationError``.
        """
        return await self._call(method, path, body, json_only=False)

    async def _call(self, method: str, path: str, body: Any, *, json_only: bool) -> Answer:
        for attempt in range(1, self.attempts + 1):
            wait_hint: float | None = None
            try:
                answer = await self._send(method, path, body)
            except (aiohttp.ClientError, TimeoutError) as error:
                failure: PikaError = UnavailableError(
                    f"{self.service} could not be reached ({_name(error)})"
                )
            else:
                if 200 <= answer.status < 300:
                    if not json_only:
                        return answer
                    try:
                        json.loads(answer.body)
                    except ValueError:
                        failure = UnavailableError(f"{self.service} answered with malformed JSON")
                    else:
                        return answer
                elif answer.status == 429:
                    failure = RateLimitedError(answer.retry_after)
                    wait_hint = answer.retry_after
                elif 400 <= answer.status < 500:
                    if json_only or answer.status in (401, 403):
                        raise self._refusal(answer)
                    return answer
                else:
                    failure = UnavailableError(f"{self.service} answered HTTP {answer.status}")
                    wait_hint = answer.retry_after
            await self._before_retry(attempt, wait_hint, failure, method, path)
        raise AssertionError("unreachable")  # _before_retry raises on the last attempt

    async def submit(self, path: str, body: Any = None, *, form: BodyOpener | None = None) -> Any:
        """POST a new job, re-sending only when the provider certainly did not take it.

        ``body`` goes as JSON; ``form`` instead opens a form body (urlencoded or multipart)
        afresh for each attempt, so a form that streams files can be sent again.
        """
        method = "POST"
        for attempt in range(1, self.attempts + 1):
            wait_hint: float | None = None
            try:
                if form is None:
                    answer = await self._send(method, path, body)
                else:
                    async with form() as data:
                        answer = await self._send(method, path, data=data)
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
                # No connection was made, so nothing was sent.
                failure: PikaError = UnavailableError(
                    f"{self.service} could not be reached ({_name(error)})"
                )
            except PikaError:
                raise  # the form could not be made (e.g. a file could not be fetched): not sent
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
                    raise self._refusal(answer)
                else:
                    log.warning("POST %s answered HTTP %d; not re-sending", path, answer.status)
                    raise UnavailableError(
                        f"Pika answered HTTP {answer.status}", maybe_submitted=True
                    )
            await self._before_retry(attempt, wait_hint, failure, method, path)
        raise AssertionError("unreachable")

    async def _send(self, method: str, path: str, body: Any = None, *, data: Any = None) -> Answer:
        # An absolute URL is one the service handed out (its caller checked the host).
        url = path if path.startswith(("http://", "https://")) else f"{self._base_url}{path}"
        async with self._session.request(
            method,
            url,
            json=body if data is None else None,
            data=data,
            headers=self._headers,
            timeout=self._timeout,
        ) as response:
            raw = await response.read()
            return Answer(response.status, raw, _retry_after(response.headers.get("Retry-After")))

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

    def _refusal(self, answer: Answer) -> PikaError:
        if answer.status in (401, 403):
            # Name the setting, never the key: this is the operator's one line about it.
            return AuthenticationError(
                f"{self.service} refused {self.key_setting} (HTTP {answer.status}); "
                f"check the key in {self.key_setting}",
                setting=self.key_setting,
            )
        return RejectedError(reason_of(answer), answer.status)


def reason_of(answer: Answer) -> str:
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
