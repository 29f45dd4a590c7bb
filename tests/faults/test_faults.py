"""The fault-injection run at CI size (``FAULTS_POSTS``, default 30 posts, 5 kills; about 90 s).
The full size is ``make faults`` (500 posts). See ``tests/faults/driver.py``."""

from __future__ import annotations

import os
from pathlib import Path

from tests.faults.driver import Config, run


async def test_posts_survive_faults_and_kills(tmp_path: Path) -> None:
    posts = int(os.environ.get("FAULTS_POSTS", "30"))
    cfg = Config(
        posts=posts,
        kills=int(os.environ.get("FAULTS_KILLS", "5")),
        seed=int(os.environ.get("FAULTS_SEED", "11")),
        submit_rate=3.0 if posts <= 60 else 0.8,
        deadline=max(170.0, posts * 3.0),
        workdir=tmp_path,
    )
    report = await run(cfg)
    print(report.table())
    assert report.kills >= cfg.kills
    assert report.asked == posts
    assert report.duplicates == 0, report.table()
    assert report.announced_twice == 0, report.table()
    assert report.created_not_announced == 0, report.table()
    assert report.lost_requests == 0, report.table()
    assert report.approvals_lost == 0, report.table()
    assert report.created + report.reported_failed >= posts, report.table()
    assert sum(report.faults.values()) > 0  # the sandbox really injected faults
    assert report.settled and report.ok, report.table()
