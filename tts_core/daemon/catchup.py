"""Coming back: what each session lost while nobody listened, said once.

Speech dropped as stale (it waited longer than ``sessions.stale_after_s``) is counted here per
session; at the user's next prompt or ``resume`` the daemon asks :meth:`Missed.take` for one
short line per session that lost speech ("web: two answers skipped. api-server asked for
permission."), said at the *notification* priority. What is taken is forgotten once it was
heard; a line that was not (dropped because something else was speaking) is put back for the
next time. Pure bookkeeping on the event loop; must not import the pipeline's adapters.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass

from tts_core.speech.policy import Priority
from tts_core.speech.utterance import Utterance

SESSIONS_MAX = 32
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass
class Lost:
    """What one session lost."""

    project: str
    answers: int = 0
    asks: int = 0
    in_stream: bool = False
    """The last loss was a streamed piece: the next piece is the same answer."""


def _count(n: int, what: str) -> str:
    return f"{_WORDS[n] if n < len(_WORDS) else n} {what}{'s'[: n != 1]}"


class Missed:
    """Speech lost to staleness, per session, until it is said."""

    def __init__(self) -> None:
        self.lost: OrderedDict[str, Lost] = OrderedDict()

    def record(self, utterance: Utterance, outcome: str, reason: str) -> None:
        """The pipeline finished ``utterance``: count it if it was dropped as stale."""
        session = utterance.session_id
        if not session or utterance.kind == "catch_up":
            return
        lost = self.lost.get(session)
        if outcome != "dropped" or reason != "stale":
            if lost is not None:
                lost.in_stream = False
            return
        if lost is None:
            lost = self.lost[session] = Lost(utterance.project)
            while len(self.lost) > SESSIONS_MAX:
                self.lost.popitem(last=False)
        if utterance.priority == Priority.IMPORTANT:
            lost.asks += 1
        elif not (utterance.kind == "stream" and lost.in_stream):
            lost.answers += 1
        lost.in_stream = utterance.kind == "stream"

    def take(self) -> tuple[str, dict[str, Lost]]:
        """The line to say ("" when nothing was lost) and what it covers (for :meth:`put_back`)."""
        taken, self.lost = self.lost, OrderedDict()
        lines = []
        for lost in taken.values():
            name = os.path.basename(lost.project.rstrip("/")) or "another session"
            what = []
            if lost.answers:
                what.append(f"{_count(lost.answers, 'answer')} skipped")
            if lost.asks:
                what.append("asked for permission")
            lines.append(f"{name}: {' and '.join(what)}.")
        return "\n\n".join(lines), dict(taken)

    def put_back(self, taken: dict[str, Lost]) -> None:
        """A line was not heard: what it said is lost again (added to anything newer)."""
        for session, old in taken.items():
            lost = self.lost.setdefault(session, Lost(old.project))
            lost.answers += old.answers
            lost.asks += old.asks
