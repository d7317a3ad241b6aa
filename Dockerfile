# lighter-bot image for Railway (and any Docker host).
# Build: docker build -t lighter-bot .     Run: docker run --env-file .env -p 8000:8000 -v "$PWD/data:/app/data" lighter-bot
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TELEMETRY_HOST=0.0.0.0 \
    TELEMETRY_PORT=8000 \
    PORT=8000 \
    LIGHTER_CONFIG=/app/config.yaml \
    LIGHTER_DATA_DIR=/app/data

# curl: the HEALTHCHECK and the operator's `railway ssh ... -- curl -sf http://127.0.0.1:8000/health`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The exact pinned set the tests ran with (requirements.lock), in its own layer for build caching.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --no-deps . && rm -rf src build

COPY config.yaml ./
COPY profiles ./profiles
COPY scripts ./scripts

# Unprivileged runtime user; data/ (ledger, instruments) is the Railway volume mount point.
RUN useradd --system --create-home --uid 10001 --user-group bot \
 && mkdir -p /app/data \
 && chown -R bot:bot /app/data
USER bot

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/health || exit 1

# The entrypoint makes data/ writable (a Railway volume is root-owned: set RAILWAY_RUN_UID=0) and
# runs the command as `bot`; SIGTERM reaches the bot directly (exec), which cancels its orders.
ENTRYPOINT ["python", "-m", "lighter_bot.ops.container"]
CMD ["lighter-bot", "run", "--venue", "lighter"]
