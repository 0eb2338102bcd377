FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_PATH=/app/data/bot.sqlite3

WORKDIR /app
RUN useradd --create-home --uid 10001 bot

COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY cogs ./cogs
# The catalogs live outside /app/data, which is a volume and would hide them.
COPY data/locales ./locales
ENV LOCALES_DIR=/app/locales
RUN pip install . && mkdir -p /app/data && chown bot:bot /app/data

USER bot
VOLUME ["/app/data"]

# Healthy while the gateway is connected and the database answers (the bot's GET /healthz).
ENV HTTP_LISTEN=0.0.0.0:8088
EXPOSE 8088
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -m bot.healthcheck || exit 1

# Docker stop sends SIGTERM: the bot stops taking commands and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "bot"]
