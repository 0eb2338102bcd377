"""The bot's Prometheus metrics (``GET /metrics``), in one registry of their own.

The engine, the webhook receiver and the Discord client count into these; job counts by
state are read from the database when scraped.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

JOBS = Gauge("pika_bot_jobs", "Jobs in the database by state.", ["state"], registry=REGISTRY)
QUEUE_DEPTH = Gauge(
    "pika_bot_queue_depth", "Jobs waiting in servers' queues for a slot.", registry=REGISTRY
)
POLLS = Counter(
    "pika_bot_polls",
    "Status requests to Pika, by outcome (ok, error, rate_limited; confirm = after a push).",
    ["outcome"],
    registry=REGISTRY,
)
POLL_BUDGET = Gauge(
    "pika_bot_poll_budget", "The adaptive poll budget now, in polls per second.", registry=REGISTRY
)
PUSHES = Counter(
    "pika_bot_pushes",
    "Webhook pushes received, by result (accepted, bad_token, bad_signature, unknown_job, late).",
    ["result"],
    registry=REGISTRY,
)
FINISH_TO_POSTED = Histogram(
    "pika_bot_finish_to_posted_seconds",
    "From the bot learning a job finished (its push or poll) to the result being posted.",
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120),
    registry=REGISTRY,
)
DISCORD_429 = Counter(
    "pika_bot_discord_429", "429 answers the bot received from Discord.", registry=REGISTRY
)
LOOP_LAG = Histogram(
    "pika_bot_event_loop_lag_seconds",
    "How late the event loop ran a timer it was given (sampled ten times a second).",
    buckets=(0.001, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
