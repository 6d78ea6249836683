"""The last utterances and what each stage cost them: ``claude-tts history``, ``replay``, and
the p50/p95 timings in ``status``. Each sentence is a typed record (``speech.utterance.Said``):
what was said, in which language, by which engine and voice, translated or not, heard or cut."""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from tts_core.protocol import clip
from tts_core.speech.utterance import Utterance

_T = TypeVar("_T")
STAGES = ("hook", "filter", "translate", "synthesize", "first_audio")
SOURCE_MAX = 2000
"""Characters of an utterance's text kept in its entry."""
SENTENCES_MAX = 8000
"""Characters of the sentences spoken (and of those heard) kept per entry: the entries of a
history reply stay far below the frame limit, however long the answers were."""


class History:
    """The last utterances (what was said, outcome, stage timings) for ``history``, ``replay``
    and the status percentiles. In memory; must not import the pipeline's adapters."""

    def __init__(self, size: int = 100) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=size)

    def record(self, utterance: Utterance, outcome: str, reason: str) -> None:
        self.entries.append(
            {
                "time": time.time(),
                "session_id": clip(utterance.session_id),
                "project": clip(utterance.project, 1024),
                "kind": clip(utterance.kind),
                "priority": utterance.priority.name.lower(),
                "lang": utterance.lang.code,
                "source": utterance.text[:SOURCE_MAX],
                "sentences": _whole(utterance.said, lambda said: said.text, dataclasses.asdict),
                "to_say": _whole(utterance.sentences, str, str),
                "spoken": _bounded(utterance.spoken),
                "heard": _bounded(utterance.heard),
                "outcome": outcome,
                "reason": clip(reason, SOURCE_MAX),
                "note": utterance.note,
                "timings": {k: round(v, 1) for k, v in utterance.timings.items()},
                "queued_at": utterance.queued_at,
            }
        )

    def last(self, limit: int) -> list[dict[str, Any]]:
        return list(self.entries)[-max(0, limit) :] if limit else []

    def timings(self) -> dict[str, dict[str, float]]:
        """p50 and p95 in ms per stage, over the recent utterances."""
        out = {}
        for stage in STAGES:
            values = sorted(e["timings"][stage] for e in self.entries if stage in e["timings"])
            if values:
                out[stage] = {
                    "p50": values[len(values) // 2],
                    "p95": values[min(len(values) - 1, int(len(values) * 0.95))],
                    "n": len(values),
                }
        return out


def _bounded(sentences: list[str]) -> list[str]:
    """The first sentences, up to :data:`SENTENCES_MAX` characters in all; a last item says how
    many more there were."""
    out: list[str] = []
    room = SENTENCES_MAX
    for n, text in enumerate(sentences):
        if len(text) > room:
            return [*out, f"... and {len(sentences) - n} more sentences"]
        out.append(text)
        room -= len(text)
    return out


def _whole(items: list[_T], text: Callable[[_T], str], keep: Callable[[_T], Any]) -> list[Any]:
    """The first items whose texts add up to at most :data:`SENTENCES_MAX` characters, each
    whole (what ``replay`` says again, and the typed records ``history`` shows)."""
    out: list[Any] = []
    room = SENTENCES_MAX
    for item in items:
        room -= len(text(item))
        if room < 0:
            break
        out.append(keep(item))
    return out
