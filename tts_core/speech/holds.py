"""Why speech is holding: the user paused it, or a microphone is in use (a call).

:class:`Holds` keeps the reasons in effect, since when, and how long speech has been held in
all (so that waiting through a pause does not count toward ``stale_after_s``). The pipeline
owns one and waits on it; the daemon adds and removes reasons, on the event loop only. Pure
bookkeeping: imports nothing of the daemon, the engines or the devices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Hold:
    """One reason speech holds."""

    why: str
    """For people: ``paused``, ``a microphone is in use (Zoom)``."""
    since: float
    """Unix time it began."""


class Holds:
    """The reasons in effect, by name (``pause``, ``mic``), and the time held in all."""

    def __init__(self) -> None:
        self.reasons: dict[str, Hold] = {}
        self._held_s = 0.0
        self._from: float | None = None  # monotonic, while held

    def __bool__(self) -> bool:
        return bool(self.reasons)

    def add(self, name: str, why: str) -> bool:
        """Hold for ``name`` (its text updated if it holds already). True if speech was free."""
        hold = self.reasons.get(name)
        self.reasons[name] = Hold(why, hold.since if hold else time.time())
        if self._from is None:
            self._from = time.monotonic()
            return True
        return False

    def remove(self, name: str) -> bool:
        """``name`` no longer holds. True if speech is free now."""
        if self.reasons.pop(name, None) is None or self.reasons:
            return False
        if self._from is not None:
            self._held_s += time.monotonic() - self._from
            self._from = None
        return True

    def held_s(self) -> float:
        """Seconds speech has been held since this object was made (monotonic)."""
        now = time.monotonic() - self._from if self._from is not None else 0.0
        return self._held_s + now

    def status(self) -> dict[str, dict[str, object]]:
        return {name: {"why": h.why, "since": h.since} for name, h in self.reasons.items()}
