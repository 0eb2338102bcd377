"""What both HTTP dialects share: one ``PikaHttp`` client and the capability check."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import ClassVar

import aiohttp

from bot.pika.capabilities import Capabilities, check_supported
from bot.pika.http import PikaHttp, Sleep
from bot.pika.job import Job
from bot.pika.requests import PikaRequest


class HttpDialect:
    """A Pika service reached over HTTP; subclasses convert requests and answers."""

    name: ClassVar[str]
    capabilities: Capabilities

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        attempts: int = 4,
        base_delay: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        auth_headers: Mapping[str, str] | None = None,
        key_setting: str = "PIKA_API_KEY",
        service: str = "Pika",
    ) -> None:
        self._http = PikaHttp(
            session,
            base_url,
            api_key,
            timeout=timeout,
            attempts=attempts,
            base_delay=base_delay,
            sleep=sleep,
            auth_headers=auth_headers,
            key_setting=key_setting,
            service=service,
        )

    async def recover(self, ref: str, request: PikaRequest) -> str | None:
        """No dialect documents a lookup by reference, so a lost submission cannot be found."""
        return None

    def pushed_job_id(self, payload: object) -> str | None:
        """This dialect takes no webhook, so no push names a job of its."""
        return None

    async def claim(self, provider_job_id: str, request: PikaRequest) -> Job | None:
        """Without pushes there is nothing to claim."""
        return None

    async def cancel(self, provider_job_id: str) -> bool:
        """Neither reseller dialect documents a cancel: the job will still be made."""
        return False

    async def verify_push(self, headers: Mapping[str, str], body: bytes) -> bool:
        """This dialect signs no pushes: the bot's own per-job token is the whole check."""
        return True

    def check(self, request: PikaRequest) -> None:
        """Raise ``UnsupportedOperationError`` if this service cannot serve ``request``."""
        check_supported(self.capabilities, request)
