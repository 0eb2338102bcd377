"""The bot's own HTTP server: Pika's webhook pushes, /healthz and /metrics."""
