"""Settings of one emulator instance: limits, deadlines, rate-limit buckets and the seed world."""

from __future__ import annotations

from dataclasses import dataclass, field

MIB = 1024 * 1024


@dataclass(frozen=True)
class RateLimitRule:
    """One Discord-style bucket: ``limit`` requests per ``per`` seconds for a route.

    The bucket is shared by requests with the same major parameters (channel, guild,
    or webhook id + token), as on Discord.
    """

    name: str
    method: str
    route: str
    limit: int
    per: float


def default_rate_limits() -> list[RateLimitRule]:
    """Return buckets close to the ones Discord reports for the routes a bot uses most."""
    return [
        RateLimitRule("message-create", "POST", "/channels/{channel_id}/messages", 5, 5.0),
        RateLimitRule(
            "message-edit", "PATCH", "/channels/{channel_id}/messages/{message_id}", 5, 5.0
        ),
        RateLimitRule(
            "message-delete", "DELETE", "/channels/{channel_id}/messages/{message_id}", 5, 1.0
        ),
        RateLimitRule(
            "webhook-message-edit",
            "PATCH",
            "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
            5,
            2.0,
        ),
        RateLimitRule("webhook-execute", "POST", "/webhooks/{webhook_id}/{webhook_token}", 5, 2.0),
    ]


@dataclass
class EmulatorConfig:
    """Everything an emulator instance can be told; tests override single fields."""

    # None accepts any token; a string makes every other token fail with 401 / close 4004.
    token: str | None = None
    bot_name: str = "Pika"
    guild_name: str = "Test Server"
    # Seed the default world (owner, alice, bob, Supporter, #general, #videos).
    seed_world: bool = True
    # Per-attachment limit sent in interactions and used for channel messages.
    attachment_size_limit: int = 10 * MIB
    # Whole request body limit.
    max_request_size: int = 25 * MIB
    # Seconds to the first interaction callback, and the interaction token's lifetime.
    ack_deadline: float = 3.0
    token_lifetime: float = 15 * 60.0
    # How long /_emulator/autocomplete waits for the bot's choices.
    autocomplete_timeout: float = 5.0
    heartbeat_interval_ms: int = 41_250
    # Seconds a disconnected gateway session stays resumable.
    resume_window: float = 120.0
    # Refuse IDENTIFY with privileged intents (close 4014) when False.
    privileged_intents: bool = True
    rate_limits: list[RateLimitRule] = field(default_factory=default_rate_limits)
    # Every other route: this many requests per window per route and major parameters.
    default_limit: int = 50
    default_per: float = 1.0
    # Absolute base used in attachment URLs; defaults to the address the server bound.
    public_url: str | None = None
    # Events kept per gateway session for RESUME replay.
    replay_buffer: int = 2000
    # Seed "Art Club" and "Film Club" (shards 1 and 2 of 3; the default server is on 0) and
    # "Outside" (the app is not installed there; alice has it on her account).
    extra_guilds: bool = False
    # ``shards`` of GET /gateway/bot; None: one per 1000 guilds of the bot, at least one.
    recommended_shards: int | None = None
    # More guilds than this on one session's shard closes IDENTIFY with 4011 (Discord: 2500).
    max_guilds_per_shard: int = 2500
    # Keep every API request and answer body and every gateway dispatch (GET/POST
    # /_emulator/recording), for checking them against Discord's OpenAPI spec.
    record_traffic: bool = False
