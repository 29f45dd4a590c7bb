"""--db persistence across a restart; the ``socialbot sandbox`` command."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.cli import build_parser
from bot.clock import FakeClock
from bot.sandbox import SandboxOptions, start_sandbox
from bot.sandbox.cli import run_sandbox
from tests.sandbox.conftest import KEY, create, http, image

ROOT = Path(__file__).resolve().parents[2]


async def test_state_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    db = str(tmp_path / "sandbox.db")
    opts = SandboxOptions(clock=clock, db_path=db, keys=["sk_two"])
    async with (
        start_sandbox(opts) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        img = await image(c)
        sched = (
            await create(
                c, accountIds=["acc_ig_1"], mediaIds=[img], scheduledAt="2026-06-01T13:00:00Z"
            )
        ).json()["postId"]
        live = (await create(c, accountIds=["acc_x_1"], content="live")).json()["postId"]
        clock.advance(2)
        live_target = (await c.get(f"/v1/posts/{live}")).json()["targets"][0]
        gone = (await create(c, accountIds=["acc_x_1"], content="gone", draft=True)).json()[
            "postId"
        ]
        await c.delete(f"/v1/posts/{gone}")
        seeded = next(
            p for p in (await c.get("/v1/accounts/acc_x_1/posts")).json()["posts"] if not p["inDb"]
        )
        await c.delete(f"/v1/accounts/acc_x_1/posts/{seeded['platformPostId']}")
        pending = (
            await c.post(
                "/v1/media/upload-url", json={"filename": "v.mp4", "contentType": "video/mp4"}
            )
        ).json()
    async with (
        start_sandbox(opts) as sb,
        http(base_url=sb.url, headers={"X-Api-Key": KEY}) as c,
    ):
        posts = {p["postId"]: p for p in (await c.get("/v1/posts")).json()["posts"]}
        assert posts[sched]["status"] == "scheduled"
        assert posts[live]["status"] == "published"
        assert posts[gone]["status"] == "canceled"
        assert (await c.get(f"/v1/posts/{live}")).json()["targets"][0] == live_target
        media = {m["mediaId"]: m["status"] for m in (await c.get("/v1/media")).json()["media"]}
        assert media == {img: "uploaded", pending["mediaId"]: "pending"}
        native = [
            p["platformPostId"] for p in (await c.get("/v1/accounts/acc_x_1/posts")).json()["posts"]
        ]
        assert seeded["platformPostId"] not in native
        # A presigned URL from before the restart still works (the signing secret persisted).
        async with http() as raw:
            put = await raw.put(
                pending["uploadUrl"].replace(
                    str(pending["uploadUrl"]).split("/_upload")[0], sb.url
                ),
                content=b"v",
                headers={"Content-Type": "video/mp4"},
            )
        assert put.status_code == 200
        clock.advance(3600)
        assert (await c.get(f"/v1/posts/{sched}/status")).json()["status"] == "published"
        async with http(base_url=sb.url, headers={"X-Api-Key": "sk_two"}) as two:
            assert (await two.get("/v1/posts")).json()["posts"] == []


def test_bad_flags_exit_2(capsys: object) -> None:
    for argv in (
        ["sandbox", "--fail", "myspace"],
        ["sandbox", "--timezone", "Mars/Base"],
        ["sandbox", "--key", "sk:posts:fly"],
    ):
        assert run_sandbox(build_parser().parse_args(argv)) == 2


def test_cli_subprocess_serves_openapi_and_exits_0_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "sandbox",
            "--port",
            "0",
            "--key",
            "sk_cli:posts:read",
            "--db",
            str(tmp_path / "s.db"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            deadline = time.monotonic() + 15
            url = None
            lines = []
            while url is None and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                lines.append(line)
                m = re.search(r"listening on (http://\S+)", line)
                url = m.group(1) if m else None
            assert url, lines
            r = httpx.get(f"{url}/v1/openapi.json", timeout=5)
            assert r.status_code == 200 and "/v1/posts" in r.json()["paths"]
            assert (
                httpx.get(f"{url}/v1/accounts", headers={"X-Api-Key": KEY}, timeout=5).status_code
                == 200
            )
            assert (
                httpx.get(
                    f"{url}/v1/accounts", headers={"X-Api-Key": "sk_cli"}, timeout=5
                ).status_code
                == 403
            )
            rest = proc.stdout.readline() + proc.stdout.readline()
            assert "sk_test_sandbox" in "".join(lines) + rest
            assert "sk_cli" not in "".join(lines) + rest
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_optional_cli_flags_are_read_when_present(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.json"
    accounts.write_text(
        '[{"accountId": "acc_a", "platform": "x", "handle": "@a", "premium": true}]'
    )
    args = build_parser().parse_args(["sandbox", "--fail", "ig", "--key", "sk_a:media:read"])
    args.accounts, args.rate_limit, args.seed = str(accounts), 30, 9
    args.fault_5xx, args.fault_timeout, args.slow, args.fault_timeout_mode = 0.1, 0.2, 0.3, "close"
    from bot.sandbox.cli import faults_from_args, options_from_args

    opts = options_from_args(args)
    assert opts.rate_limit == 30 and opts.seed == 9 and opts.accounts is not None
    assert opts.accounts[0]["accountId"] == "acc_a"
    assert {str(p) for p in opts.fail_platforms} == {"instagram"}
    f = faults_from_args(args)
    assert (f.error_rate, f.timeout_rate, f.slow_seconds, f.timeout_mode) == (
        0.1,
        0.2,
        0.3,
        "close",
    )
