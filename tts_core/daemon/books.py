"""The daemon's books: every event it accepts ends in exactly one of spoken, dropped or failed,
so ``received = spoken + dropped + failed + in_progress`` holds at every moment."""

from __future__ import annotations

import logging
from collections import Counter

log = logging.getLogger("tts_core.daemon.service")
OUTCOMES = ("spoken", "dropped", "failed")


class Accounting:
    """The daemon's books: every event received ends in exactly one of spoken, dropped or
    failed (``received = spoken + dropped + failed + in_progress``). Pure bookkeeping."""

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()
        self.dropped_by_reason: Counter[str] = Counter()
        self.last_error: str | None = None

    def received(self) -> None:
        self.counters["received"] += 1

    def finish(self, outcome: str, reason: str = "") -> None:
        """One accepted event ended: ``outcome`` is spoken, dropped or failed."""
        self.counters[outcome] += 1
        if outcome == "dropped":
            self.dropped_by_reason[reason or "unspecified"] += 1
        if outcome == "failed":
            log.warning("event failed: %s", reason)

    def error(self, message: str) -> None:
        """The latest problem, for ``status`` (a failed voice, a lost audio device...)."""
        self.last_error = message

    def status(self) -> dict[str, object]:
        received = self.counters["received"]
        done = {k: self.counters[k] for k in OUTCOMES}
        return {
            "last_error": self.last_error,
            "counters": {
                "received": received,
                **done,
                "in_progress": received - sum(done.values()),
            },
            "dropped_by_reason": dict(self.dropped_by_reason),
        }
