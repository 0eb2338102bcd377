"""Retry, timeout and error rules of the shared Pika HTTP client, against a real local server."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest

from bot.pika.errors import (
    AuthenticationError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from bot.pika.http import PikaHttp, _retry_after
from tests.pika.test_pika_http_support import Reply, Sleeps, StubServer

KEY = "sk-test-secret-key-1234"
JOB = {"job": {"id": "j1"}}


@pytest.fixture
async def stub() -> AsyncIterator[StubServer]:
    server = StubServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client(
    session: aiohttp.ClientSession, base_url: str, sleeps: Sleeps, **options: object
) -> PikaHttp:
    settings: dict[str, object] = {"attempts": 4, "base_delay": 0.5, "timeout": 5.0}
    settings |= options
    return PikaHttp(session, base_url, KEY, sleep=sleeps, jitter=lambda: 0.5, **settings)  # type: ignore[arg-type]


# Reads ------------------------------------------------------------------------------------


async def test_poll_retries_500s_then_succeeds(stub, session, sleeps):
    stub.queue("GET", "/jobs/j1", Reply(500), Reply(502, text="bad gateway"))
    stub.always("GET", "/jobs/j1", Reply(200, JOB))

    answer = await client(session, stub.base_url, sleeps).read("GET", "/jobs/j1")

    assert answer == JOB
    assert len(stub.requests_to("GET", "/jobs/j1")) == 3
    # Jittered exponential backoff: ceilings 0.5 then 1.0, jitter 0.5 -> 3/4 of each.
    assert sleeps.delays == [0.375, 0.75]


async def test_poll_honours_retry_after_on_429(stub, session, sleeps):
    stub.queue(
        "GET", "/jobs/j1", Reply(429, {"message": "slow down"}, headers={"Retry-After": "7"})
    )
    stub.always("GET", "/jobs/j1", Reply(200, JOB))

    answer = await client(session, stub.base_url, sleeps).read("GET", "/jobs/j1")

    assert answer == JOB
    assert sleeps.delays == [7.0]


async def test_poll_honours_retry_after_on_503(stub, session, sleeps):
    stub.queue("GET", "/jobs/j1", Reply(503, headers={"Retry-After": "2"}))
    stub.always("GET", "/jobs/j1", Reply(200, JOB))

    assert await client(session, stub.base_url, sleeps).read("GET", "/jobs/j1") == JOB
    assert sleeps.delays == [2.0]


async def test_poll_gives_up_after_attempts_with_unavailable(stub, session, sleeps):
    stub.always("GET", "/jobs/j1", Reply(503))

    with pytest.raises(UnavailableError) as caught:
        await client(session, stub.base_url, sleeps, attempts=3).read("GET", "/jobs/j1")

    assert caught.value.maybe_submitted is False
    assert len(stub.seen) == 3
    assert len(sleeps.delays) == 2


async def test_poll_gives_up_on_persistent_429_with_rate_limited(stub, session, sleeps):
    stub.always("GET", "/jobs/j1", Reply(429, headers={"Retry-After": "3"}))

    with pytest.raises(RateLimitedError) as caught:
        await client(session, stub.base_url, sleeps, attempts=2).read("GET", "/jobs/j1")

    assert caught.value.retry_after == 3.0
    assert len(stub.seen) == 2


async def test_poll_does_not_wait_longer_than_allowed(stub, session, sleeps):
    stub.always("GET", "/jobs/j1", Reply(429, headers={"Retry-After": "120"}))

    with pytest.raises(RateLimitedError) as caught:
        await client(session, stub.base_url, sleeps, max_retry_after=30).read("GET", "/jobs/j1")

    assert caught.value.retry_after == 120.0
    assert len(stub.seen) == 1
    assert sleeps.delays == []


async def test_poll_retries_malformed_json(stub, session, sleeps):
    stub.queue("GET", "/jobs/j1", Reply(200, text="{not json"))
    stub.always("GET", "/jobs/j1", Reply(200, JOB))

    assert await client(session, stub.base_url, sleeps).read("GET", "/jobs/j1") == JOB
    assert len(stub.seen) == 2


async def test_poll_malformed_json_every_time_is_unavailable(stub, session, sleeps):
    stub.always("GET", "/jobs/j1", Reply(200, text="<html>oops</html>"))

    with pytest.raises(UnavailableError, match="malformed JSON"):
        await client(session, stub.base_url, sleeps, attempts=2).read("GET", "/jobs/j1")


async def test_poll_retries_a_timeout(stub, session, sleeps):
    stub.queue("GET", "/jobs/j1", Reply(hang=True))
    stub.always("GET", "/jobs/j1", Reply(200, JOB))

    answer = await client(session, stub.base_url, sleeps, timeout=0.3).read("GET", "/jobs/j1")

    assert answer == JOB
    assert len(stub.seen) == 2


async def test_poll_retries_a_dropped_connection(stub, session, sleeps):
    stub.queue("GET", "/jobs/j1", Reply(drop=True))
    stub.always("GET", "/jobs/j1", Reply(200, JOB))

    assert await client(session, stub.base_url, sleeps).read("GET", "/jobs/j1") == JOB


async def test_post_read_is_retried_like_a_poll(stub, session, sleeps):
    stub.queue("POST", "/jobs/upscaled", Reply(500))
    stub.always("POST", "/jobs/upscaled", Reply(200, JOB))

    http = client(session, stub.base_url, sleeps)
    answer = await http.read("POST", "/jobs/upscaled", {"video": "https://x/v.mp4"})

    assert answer == JOB
    assert [seen.json for seen in stub.seen] == [{"video": "https://x/v.mp4"}] * 2


async def test_poll_404_is_rejected_without_retry(stub, session, sleeps):
    stub.always("GET", "/jobs/nope", Reply(404, {"error": "job not found"}))

    with pytest.raises(RejectedError) as caught:
        await client(session, stub.base_url, sleeps).read("GET", "/jobs/nope")

    assert caught.value.reason == "job not found"
    assert caught.value.status == 404
    assert len(stub.seen) == 1


# Submissions ------------------------------------------------------------------------------


async def test_submit_answered_500_is_not_sent_twice(stub, session, sleeps):
    stub.always("POST", "/generate", Reply(500, {"message": "internal"}))

    with pytest.raises(UnavailableError) as caught:
        await client(session, stub.base_url, sleeps).submit("/generate", {"promptText": "a"})

    assert caught.value.maybe_submitted is True
    assert len(stub.seen) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_submit_other_5xx_without_retry_after_are_not_resent(stub, session, sleeps, status):
    stub.always("POST", "/generate", Reply(status))

    with pytest.raises(UnavailableError) as caught:
        await client(session, stub.base_url, sleeps).submit("/generate", {})

    assert caught.value.maybe_submitted is True
    assert len(stub.seen) == 1


async def test_submit_429_is_retried(stub, session, sleeps):
    stub.queue("POST", "/generate", Reply(429, headers={"Retry-After": "1"}))
    stub.always("POST", "/generate", Reply(200, JOB))

    answer = await client(session, stub.base_url, sleeps).submit("/generate", {"promptText": "a"})

    assert answer == JOB
    assert len(stub.seen) == 2
    assert sleeps.delays == [1.0]


async def test_submit_503_with_retry_after_is_retried(stub, session, sleeps):
    stub.queue("POST", "/generate", Reply(503, headers={"Retry-After": "4"}))
    stub.always("POST", "/generate", Reply(200, JOB))

    assert await client(session, stub.base_url, sleeps).submit("/generate", {}) == JOB
    assert sleeps.delays == [4.0]


async def test_submit_persistent_429_raises_rate_limited(stub, session, sleeps):
    stub.always("POST", "/generate", Reply(429))

    with pytest.raises(RateLimitedError) as caught:
        await client(session, stub.base_url, sleeps, attempts=3).submit("/generate", {})

    assert caught.value.retry_after is None
    assert len(stub.seen) == 3
    assert sleeps.delays == [0.375, 0.75]


async def test_submit_persistent_503_with_retry_after_was_not_taken(stub, session, sleeps):
    stub.always("POST", "/generate", Reply(503, headers={"Retry-After": "1"}))

    with pytest.raises(UnavailableError) as caught:
        await client(session, stub.base_url, sleeps, attempts=2).submit("/generate", {})

    assert caught.value.maybe_submitted is False
    assert len(stub.seen) == 2


async def test_submit_connection_refused_is_retried_then_unavailable(session, sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now, so every connect is refused.
    http = client(session, f"http://127.0.0.1:{port}", sleeps, attempts=3)

    with pytest.raises(UnavailableError) as caught:
        await http.submit("/generate", {})

    assert caught.value.maybe_submitted is False
    assert len(sleeps.delays) == 2


async def test_submit_timeout_after_sending_is_maybe_submitted(stub, session, sleeps):
    stub.always("POST", "/generate", Reply(hang=True))

    with pytest.raises(UnavailableError) as caught:
        await client(session, stub.base_url, sleeps, timeout=0.3).submit("/generate", {})

    assert caught.value.maybe_submitted is True
    assert len(stub.seen) == 1


async def test_submit_dropped_connection_is_maybe_submitted(stub, session, sleeps):
    stub.always("POST", "/generate", Reply(drop=True))

    with pytest.raises(UnavailableError) as caught:
        await client(session, stub.base_url, sleeps).submit("/generate", {})

    assert caught.value.maybe_submitted is True
    assert len(stub.seen) == 1


async def test_submit_malformed_json_is_maybe_submitted(stub, session, sleeps):
    stub.always("POST", "/generate", Reply(200, text='{"job": {"id": '))

    with pytest.raises(UnavailableError) as caught:
        await client(session, stub.base_url, sleeps).submit("/generate", {})

    assert caught.value.maybe_submitted is True
    assert len(stub.seen) == 1


# Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failures_raise_authentication_error(stub, session, sleeps, status):
    stub.always("POST", "/generate", Reply(status, {"message": "bad key"}))
    stub.always("GET", "/jobs/j1", Reply(status, {"message": "bad key"}))
    http = client(session, stub.base_url, sleeps)

    with pytest.raises(AuthenticationError):
        await http.submit("/generate", {})
    with pytest.raises(AuthenticationError):
        await http.read("GET", "/jobs/j1")

    assert len(stub.seen) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(400, {"message": "promptText is too long"}), "promptText is too long"),
        (Reply(422, {"error": "invalid model"}), "invalid model"),
        (Reply(400, {"error": {"message": "nested reason"}}), "nested reason"),
        (Reply(400, {"detail": "no credits left"}), "no credits left"),
        (Reply(400, {"detail": [{"msg": "field required"}]}), "field required"),
        (Reply(400, text="Bad video URL"), "Bad video URL"),
        (Reply(400, {"other": 1}), "Pika refused the request (HTTP 400)"),
    ],
)
async def test_4xx_raises_rejected_with_the_providers_reason(stub, session, sleeps, reply, reason):
    stub.always("POST", "/generate", reply)

    with pytest.raises(RejectedError) as caught:
        await client(session, stub.base_url, sleeps).submit("/generate", {})

    assert caught.value.reason == reason
    assert str(caught.value) == reason
    assert caught.value.status == reply.status
    assert len(stub.seen) == 1


# Headers and secrecy ----------------------------------------------------------------------


async def test_bearer_key_and_json_body_are_sent(stub, session, sleeps):
    stub.always("POST", "/generate", Reply(200, JOB))

    await client(session, stub.base_url + "/", sleeps).submit("/generate", {"promptText": "a"})

    (seen,) = stub.seen
    assert seen.path == "/generate"
    assert seen.headers["Authorization"] == f"Bearer {KEY}"
    assert seen.headers["Content-Type"].startswith("application/json")
    assert seen.json == {"promptText": "a"}


async def test_no_authorization_header_without_a_key(stub, session, sleeps):
    stub.always("GET", "/jobs/j1", Reply(200, JOB))

    await PikaHttp(session, stub.base_url, None, sleep=sleeps).read("GET", "/jobs/j1")

    assert "Authorization" not in stub.seen[0].headers


async def test_the_key_never_reaches_the_logs(stub, session, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    stub.queue("GET", "/jobs/j1", Reply(500), Reply(429))
    stub.always("GET", "/jobs/j1", Reply(200, JOB))
    stub.always("POST", "/generate", Reply(500))
    http = client(session, stub.base_url, sleeps)

    await http.read("GET", "/jobs/j1")
    with pytest.raises(UnavailableError):
        await http.submit("/generate", {})

    assert caplog.records, "the retries should have been logged"
    assert KEY not in caplog.text
    assert KEY not in repr(http)


# Small pure pieces ------------------------------------------------------------------------


def test_backoff_grows_exponentially_up_to_the_cap():
    http = PikaHttp(None, "http://x", None, base_delay=1.0, max_delay=5.0, jitter=lambda: 1.0)  # type: ignore[arg-type]

    assert [http._backoff(attempt) for attempt in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_backoff_jitter_keeps_half_of_the_delay():
    http = PikaHttp(None, "http://x", None, base_delay=1.0, jitter=lambda: 0.0)  # type: ignore[arg-type]

    assert http._backoff(3) == 2.0


def test_retry_after_reads_seconds_and_http_dates():
    assert _retry_after("12") == 12.0
    assert _retry_after("1.5") == 1.5
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= _retry_after(in_a_minute) <= 60
    a_while_ago = format_datetime(datetime.now(UTC) - timedelta(seconds=60), usegmt=True)
    assert _retry_after(a_while_ago) == 0.0
