"""Settings, read from the environment and an optional ``.env`` file."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.periods import QuotaPeriod


class PikaProvider(StrEnum):
    SIMULATOR = "simulator"
    WEBBOT = "webbot"
    FEED = "feed"
    PIKA = "pika"
    """Pika's developer API (devapi.pika.art)."""
    FAL = "fal"
    """fal's queue in front of Pika (queue.fal.run)."""


PIKA_DEV_BASE = "https://devapi.pika.art"
FAL_QUEUE_BASE = "https://queue.fal.run"
FAL_JWKS = "https://rest.alpha.fal.ai/.well-known/jwks.json"


class Settings(BaseSettings):
    """Everything the bot can be told; each field is documented in the README's table."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # NAME= is unset, not an empty value: compose files and .env templates write
        # ${NAME:-} for what they do not set, and an empty webhook secret would sign with no key.
        env_ignore_empty=True,
    )

    discord_token: SecretStr = Field(
        description="The bot's token from the Discord developer portal."
    )
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"

    pika_provider: PikaProvider = PikaProvider.SIMULATOR
    pika_api_base: str | None = None
    pika_api_key: SecretStr | None = None
    pika_webhook_url: str | None = None
    """The public base URL at which Pika reaches the bot's HTTP server; unset: no push."""
    pika_webhook_secret: SecretStr | None = None
    """Signs each job's webhook URL; made once and kept in the database when unset."""
    pika_timeout_seconds: float = Field(30.0, gt=0)
    pika_polls_per_second: float = Field(50.0, gt=0)
    """The ceiling of the adaptive poll budget."""
    pika_fallback_poll_seconds: float = Field(30.0, gt=0)
    """With push, the slow interval of the safety-net polls."""
    pika_failed_statuses: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["failed", "cancelled", "canceled", "error"]
    )
    """PIKA_PROVIDER=pika: the status words that mean a video failed (undocumented)."""
    pika_max_keyframes: int = Field(5, ge=2, le=5)
    """PIKA_PROVIDER=pika: the most keyframe images sent (ComfyUI proves 2; fal takes 5)."""

    fal_key: SecretStr | None = None
    fal_api_base: str = FAL_QUEUE_BASE
    fal_jwks_url: str = FAL_JWKS
    """Where fal publishes the keys its webhook pushes are signed with."""
    fal_cancel_wait_seconds: float = Field(5.0, ge=0)
    """How long /cancel waits for fal to confirm that a running request stopped."""

    http_listen: str = "127.0.0.1:8088"
    """host:port of the bot's HTTP server (webhooks, /healthz, /metrics), or "off"."""

    simulator_job_seconds: float = Field(4.0, ge=0)

    database_path: Path = Path("data/bot.sqlite3")
    """The SQLite file, used when DATABASE_URL is unset."""
    database_url: SecretStr | None = None
    """A postgresql:// URL: PostgreSQL instead of SQLite (a secret: it may hold a password)."""
    log_level: str = "INFO"
    locales_dir: Path | None = None
    """The folder of the gettext catalogs ``<locale>.po``; unset: ``data/locales`` by the code."""

    quota_default_allowance: int = Field(10, ge=0)
    quota_default_period: QuotaPeriod = QuotaPeriod.DAY
    quota_max_in_flight_user: int = Field(2, ge=1)
    quota_max_in_flight_guild: int = Field(10, ge=1)
    quota_max_queued_user: int = Field(3, ge=0)
    quota_personal_allowance: int = Field(3, ge=0)
    """Credits per period for use outside a server that installed the bot; 0 turns it off."""

    progress_edit_interval_seconds: float = Field(3.0, ge=0)
    poll_interval_seconds: float = Field(3.0, gt=0)
    job_deadline_minutes: float = Field(30.0, gt=0)

    extra_extensions: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Additional extensions to load (comma separated), e.g. diagnostics in tests."""

    shard_count: int | None = Field(None, ge=1)
    """How many gateway shards the bot has in all (unset: one process, Discord's count)."""
    shard_ids: Annotated[list[int] | None, NoDecode] = None
    """The shards this process connects (e.g. ``0,1``); needs SHARD_COUNT."""
    instance_name: str | None = None
    """This process's name in job leases (default: from its shards, else "main"); each of
    several processes sharing a database needs its own."""
    job_lease_seconds: float = Field(30.0, ge=3)
    """How long a process that stopped renewing keeps its jobs before others take them."""

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(" ", "").split(",") if part]
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT (the number of shards in all)")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad or not self.shard_ids:
                raise ValueError(
                    f"SHARD_IDS must be between 0 and {self.shard_count - 1} (SHARD_COUNT - 1)"
                )
        return self

    @property
    def instance(self) -> str:
        """This process's name in job leases."""
        if self.instance_name:
            return self.instance_name
        if self.shard_ids is not None:
            return "shards-" + "-".join(str(i) for i in sorted(self.shard_ids))
        return "main"

    @field_validator("extra_extensions", "pika_failed_statuses", mode="before")
    @classmethod
    def _split_extensions(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("http_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        value = value.strip()
        if value.lower() == "off":
            return "off"
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError('must be host:port (e.g. 127.0.0.1:8088) or "off"')
        return value

    @property
    def http_address(self) -> tuple[str, int] | None:
        """Where the HTTP server listens; None when it is off."""
        if self.http_listen == "off":
            return None
        host, _, port = self.http_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("postgres://", "postgresql://")):
            raise ValueError("must be a postgresql:// URL, e.g. postgresql://bot:secret@db/pika")
        return value

    @field_validator(
        "discord_api_base", "pika_api_base", "pika_webhook_url", "fal_api_base", "fal_jwks_url"
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws:// or wss:// URL")
        return value

    @field_validator("discord_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _push_needs_the_server(self) -> Settings:
        if self.pika_webhook_url and self.http_listen == "off":
            raise ValueError("PIKA_WEBHOOK_URL needs HTTP_LISTEN (the server Pika pushes to)")
        return self

    @property
    def provider_base(self) -> str | None:
        """The configured provider's base URL, its documented one when unset."""
        match self.pika_provider:
            case PikaProvider.FAL:
                return self.fal_api_base
            case PikaProvider.PIKA:
                return self.pika_api_base or PIKA_DEV_BASE
        return self.pika_api_base

    @model_validator(mode="after")
    def _provider_needs_key(self) -> Settings:
        provider = self.pika_provider
        if provider is PikaProvider.FAL:
            if self.fal_key is None or not self.fal_key.get_secret_value().strip():
                raise ValueError(
                    "FAL_KEY is required when PIKA_PROVIDER=fal (the key from fal.ai's dashboard)"
                )
            if not self.fal_api_base or not self.fal_jwks_url:
                raise ValueError("FAL_API_BASE and FAL_JWKS_URL must not be empty")
            return self
        if provider is PikaProvider.PIKA:
            if self.pika_api_key is None or not self.pika_api_key.get_secret_value().strip():
                raise ValueError(
                    "PIKA_API_KEY is required when PIKA_PROVIDER=pika "
                    "(the developer API key Pika gave you)"
                )
            return self
        if provider is not PikaProvider.SIMULATOR:
            if self.pika_api_key is None or not self.pika_api_key.get_secret_value():
                raise ValueError(
                    f"PIKA_API_KEY is required when PIKA_PROVIDER={self.pika_provider.value}"
                )
            if self.pika_api_base is None:
                raise ValueError(
                    f"PIKA_API_BASE is required when PIKA_PROVIDER={self.pika_provider.value}"
                    " (the service's base URL)"
                )
        return self


class SettingsError(Exception):
    """Settings are missing or invalid; the message is one line naming the variable."""


def describe_validation_error(error: ValidationError) -> str:
    """Turn pydantic's report into one line per problem, naming the environment variable."""
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ())]
        message = str(problem.get("msg", "is invalid")).removeprefix("Value error, ")
        if not location:
            lines.append(message)
            continue
        variable = location[0].upper()
        if problem.get("type") == "missing":
            message = "is required"
        lines.append(f"{variable} {message}")
    return "; ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Read settings, raising ``SettingsError`` with a one-line explanation on failure."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
