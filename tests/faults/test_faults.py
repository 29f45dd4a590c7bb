"""The fault-injection run at CI size, Slack and Discord side by side (``FAULTS_POSTS``,
default 30 posts and 5 kills each; about 2 minutes). The full size is ``make faults`` (500
posts each). See ``tests/faults/driver.py``."""

from __future__ import annotations

import os
from pathlib import Path

from tests.faults.driver import PLATFORMS, configs, run_all
from tests.faults.report import tables


async def test_posts_survive_faults_and_kills_on_every_platform(tmp_path: Path) -> None:
    posts = int(os.environ.get("FAULTS_POSTS", "30"))
    cfgs = configs(
        list(PLATFORMS),
        posts=posts,
        kills=int(os.environ.get("FAULTS_KILLS", "5")),
        seed=int(os.environ.get("FAULTS_SEED", "11")),
        workdir=tmp_path,
    )
    reports = await run_all(cfgs)
    table = tables(reports)
    print(table)
    assert [r.platform for r in reports] == ["slack", "discord"]
    for cfg, report in zip(cfgs, reports, strict=True):
        assert report.kills >= cfg.kills, table
        assert report.asked == posts, table
        assert report.duplicates == 0, table
        assert report.announced_twice == 0, table
        assert report.created_not_announced == 0, table
        assert report.lost_requests == 0, table
        assert report.approvals_lost == 0, table
        assert report.created + report.reported_failed >= posts, table
        assert sum(report.faults.values()) > 0, table  # the sandbox really injected faults
        assert report.settled and report.ok, table
    discord = dict(reports[1].rows())
    assert not discord["gateway disconnects"].startswith("0"), table
