"""The daemon's books: every event it accepts ends in exactly one of spoken, dropped or failed,
so ``received = spoken + dropped + failed + in_progress`` holds at every moment."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

log = logging.getLogger(__name__)
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

    def ticket(self, event_id: str = "", on_close: Callable[[str], None] | None = None) -> Ticket:
        """Count one received event and return its :class:`Ticket`."""
        self.received()
        return Ticket(self, event_id, on_close)

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


class Ticket:
    """One received event's place in the books: closed exactly once, in one of spoken,
    dropped or failed, whoever closes it first (later calls do nothing). ``on_close`` hears
    the event's id (the journal marks it done)."""

    __slots__ = ("_books", "_on_close", "closed", "event_id")

    def __init__(
        self, books: Accounting, event_id: str = "", on_close: Callable[[str], None] | None = None
    ) -> None:
        self._books = books
        self._on_close = on_close
        self.event_id = event_id
        self.closed = False

    def close(self, outcome: str, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        self._books.finish(outcome, reason)
        if self._on_close is not None:
            self._on_close(self.event_id)
