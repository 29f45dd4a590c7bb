# socialbot — slim image, non-root, database on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SOCIALBOT_DB=/data/socialbot.db

RUN groupadd --system socialbot && useradd --system --gid socialbot --home /app socialbot \
    && mkdir -p /data && chown socialbot:socialbot /data

WORKDIR /app
# Exact versions with hashes (make lock), then the project without resolving anything.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY commands ./commands
COPY adapters ./adapters
RUN pip install --no-cache-dir --no-deps .

USER socialbot
VOLUME ["/data"]
EXPOSE 3000 8080

# /healthz answers where the bot serves health: SOCIALBOT_HEALTH_PORT, else SOCIALBOT_METRICS_PORT,
# else the public port 3000 (bot/runner.py: _serve_http) — set ports with these variables, not flags.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os,urllib.request,sys; e=os.environ; p=e.get('SOCIALBOT_HEALTH_PORT') or e.get('SOCIALBOT_METRICS_PORT') or '3000'; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=4).status == 200 else 1)"

ENTRYPOINT ["socialbot", "run"]
