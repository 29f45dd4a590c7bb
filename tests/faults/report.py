"""The fault run's verdict per platform, and the table that shows the platforms side by side."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Report:
    platform: str = "slack"
    asked: int = 0
    asked_approval: int = 0
    created: int = 0
    duplicates: int = 0
    announced_once: int = 0
    announced_twice: int = 0
    created_not_announced: int = 0
    reported_failed: int = 0
    lost_requests: int = 0
    approvals_sent: int = 0
    approvals_lost: int = 0
    re_reacts: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    restarts: int = 0
    resumed: int = 0
    adopted: int = 0
    extra: list[tuple[str, str]] = field(default_factory=list)  # platform-specific rows
    settled: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    min_kills: int = 5

    @property
    def ok(self) -> bool:
        return (
            self.settled
            and self.duplicates == 0
            and self.announced_twice == 0
            and self.created_not_announced == 0
            and self.lost_requests == 0
            and self.approvals_lost == 0
            and self.kills >= self.min_kills
        )

    def rows(self, extra: bool = True) -> list[tuple[str, str]]:
        faults = ", ".join(f"{k}: {v}" for k, v in sorted(self.faults.items()))
        rows = [
            ("posts asked for", f"{self.asked} ({self.asked_approval} need approval)"),
            ("posts created in the sandbox (not canceled)", str(self.created)),
            ("duplicate posts", str(self.duplicates)),
            ("results announced exactly once", str(self.announced_once)),
            ("announced twice or more", str(self.announced_twice)),
            ("created but never announced", str(self.created_not_announced)),
            ("requests answered without a post (failed)", str(self.reported_failed)),
            ("requests lost (neither done nor answered)", str(self.lost_requests)),
            ("approvals sent (✅)", str(self.approvals_sent)),
            ("re-approvals the bot asked for", str(self.re_reacts)),
            ("approvals lost", str(self.approvals_lost)),
            ("faults injected (sandbox)", f"{sum(self.faults.values())} ({faults})"),
            ("kills (SIGKILL) / restarts", f"{self.kills} / {self.restarts}"),
            ("requests resumed from the journal", str(self.resumed)),
            ("posts adopted after a restart", str(self.adopted)),
            ("settled", "yes" if self.settled else "NO"),
            ("run time", f"{self.seconds:.0f} s"),
            ("result", "PASS" if self.ok else "FAIL"),
        ]
        at = [a for a, _ in rows].index("kills (SIGKILL) / restarts")
        return rows[:at] + (self.extra if extra else []) + rows[at:]

    def table(self) -> str:
        return tables([self])


def tables(reports: list[Report]) -> str:
    """One column per platform; rows a platform does not have are left blank."""
    base = [a for a, _ in reports[0].rows(extra=False)]
    extras = list(dict.fromkeys(a for r in reports for a, _ in r.extra))
    at = base.index("kills (SIGKILL) / restarts")
    labels = base[:at] + extras + base[at:]
    cols = [dict(r.rows()) for r in reports]
    w = max(len(a) for a in labels)
    cw = [
        max(len(r.platform), *(len(c.get(a, "")) for a in labels))
        for r, c in zip(reports, cols, strict=True)
    ]
    head = (
        "".ljust(w)
        + "  "
        + "  ".join(r.platform.ljust(n) for r, n in zip(reports, cw, strict=True))
    )
    out = ["", "fault-injection run", head, "-" * len(head)]
    for a in labels:
        out.append(
            a.ljust(w)
            + "  "
            + "  ".join(c.get(a, "").ljust(n) for c, n in zip(cols, cw, strict=True))
        )
    for r in reports:
        out += [f"{r.platform} problem: {p}" for p in r.problems[:30]]
    return "\n".join(out)
