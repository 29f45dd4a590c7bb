"""Prometheus metrics (served at /metrics). One registry per process, names prefixed socialbot_."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

COMMANDS = Counter(
    "socialbot_commands_total",
    "Commands handled, by name and outcome (ok, user_error, error, duplicate)",
    ["command", "outcome"],
    registry=REGISTRY,
)
APPROVALS = Counter(
    "socialbot_approvals_total",
    "Approval decisions, by decision (approved, rejected, expired, changes_requested)",
    ["decision"],
    registry=REGISTRY,
)
ANNOUNCEMENTS = Counter(
    "socialbot_announcements_total",
    "Announcements delivered, by result (published, partial, failed, canceled, digest), or given up after repeated send failures (abandoned)",
    ["result"],
    registry=REGISTRY,
)
API_REQUESTS = Counter(
    "socialbot_api_requests_total",
    "Social API requests, by endpoint (method and path template, ids as {id}) and HTTP status (or 'error' for transport failures)",
    ["endpoint", "status"],
    registry=REGISTRY,
)
API_429 = Counter(
    "socialbot_api_rate_limited_total", "429 answers from the Social API", registry=REGISTRY
)
POLL_DURATION = Histogram(
    "socialbot_poll_duration_seconds", "Duration of one notifier poll", registry=REGISTRY
)
OUTBOX_DEPTH = Gauge(
    "socialbot_outbox_depth", "Announcements waiting to be sent", registry=REGISTRY
)
OUTBOX_OLDEST_AGE = Gauge(
    "socialbot_outbox_oldest_age_seconds",
    "Age of the oldest unsent announcement (0 when empty)",
    registry=REGISTRY,
)
