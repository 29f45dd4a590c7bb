"""Health and metrics endpoints: ``/healthz`` (alive), ``/readyz`` (ready), ``/metrics``.

Where they are served (``bot.runner``): with neither ``--health-port`` / ``SOCIALBOT_HEALTH_PORT``
nor ``--metrics-port`` / ``SOCIALBOT_METRICS_PORT`` all three share ``--port``; otherwise health
goes to the health port (else the metrics port), ``/metrics`` (with health) to the metrics port,
and the public port keeps ``/slack/events`` only.

Components register readiness probes (``async () -> (ok, detail)``); ``/readyz`` answers 200
when every probe is ok and 503 otherwise, with a JSON body naming each probe.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import REGISTRY

Probe = Callable[[], Awaitable[tuple[bool, str]]]


class Health:
    def __init__(self) -> None:
        self.probes: dict[str, Probe] = {}
        self.stopping = False

    def add(self, name: str, probe: Probe) -> None:
        self.probes[name] = probe

    async def readiness(self) -> tuple[bool, dict[str, dict[str, object]]]:
        out: dict[str, dict[str, object]] = {}
        all_ok = not self.stopping
        for name, probe in self.probes.items():
            try:
                ok, detail = await probe()
            except Exception as e:  # a probe that raises is simply not ready
                ok, detail = False, f"{type(e).__name__}"
            out[name] = {"ok": ok, "detail": detail}
            all_ok = all_ok and ok
        if self.stopping:
            out["shutdown"] = {"ok": False, "detail": "shutting down"}
        return all_ok, out

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        ok, checks = await self.readiness()
        return web.Response(
            status=200 if ok else 503,
            text=json.dumps({"ready": ok, "checks": checks}, indent=2) + "\n",
            content_type="application/json",
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def install(self, app: web.Application, *, health: bool = True, metrics: bool = True) -> None:
        if health:
            app.router.add_get("/healthz", self._healthz)
            app.router.add_get("/readyz", self._readyz)
        if metrics:
            app.router.add_get("/metrics", self._metrics)
