"""Whether a workspace key's Social API answers, for ``/readyz`` (``bot.readiness``).

Every request attempt is recorded: ``attempt`` when it is sent, then ``answered`` (any answer
that is not a 5xx: the API is up, even if it said 404), ``refused`` (401/403: the API is up but
will not take this key — not a good answer either) or ``failed`` (a transport failure or a 5xx).
Errors are short descriptions that never hold the key. The verdict: not ready after ``failures``
consecutive failures, or when calls have been attempted for longer than ``window`` without one
good answer; the detail names the last error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Reachability:
    consecutive_failures: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_answer: datetime | None = None  # any non-5xx answer
    last_success: datetime | None = None  # a 2xx answer
    waiting_since: datetime | None = None  # first attempt since the last answer

    def attempt(self, now: datetime) -> None:
        if self.waiting_since is None:
            self.waiting_since = now

    def answered(self, now: datetime, *, success: bool) -> None:
        self.consecutive_failures = 0
        self.last_answer = now
        self.waiting_since = None
        if success:
            self.last_success = now

    def refused(self, now: datetime, error: str) -> None:
        self.consecutive_failures = 0
        self.last_error = error[:300]
        self.last_error_at = now

    def failed(self, now: datetime, error: str) -> None:
        self.consecutive_failures += 1
        self.last_error = error[:300]
        self.last_error_at = now

    def verdict(self, now: datetime, failures: int, window: timedelta) -> tuple[bool, str]:
        last = f"; last error: {self.last_error}" if self.last_error else ""
        if self.consecutive_failures >= failures:
            return False, f"{self.consecutive_failures} consecutive failed calls{last}"
        if self.waiting_since is not None and now - self.waiting_since > window:
            secs = int((now - self.waiting_since).total_seconds())
            return False, f"no good answer for {secs} s while calling{last}"
        if self.last_success is not None:
            return True, f"last successful call {self.last_success.isoformat()}"
        if self.last_answer is not None:
            return True, f"answering (last answer {self.last_answer.isoformat()})"
        return True, "no call yet"
