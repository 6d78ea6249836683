"""The last utterances and what each stage cost them: ``claude-tts history``, ``replay``, and
the p50/p95 timings in ``status``. Each sentence is a typed record (``speech.utterance.Said``):
what was said, in which language, by which engine and voice, translated or not, heard or cut."""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from typing import Any

from tts_core.speech.utterance import Utterance

STAGES = ("hook", "filter", "translate", "synthesize", "first_audio")


class History:
    """The last utterances (what was said, outcome, stage timings) for ``history``, ``replay``
    and the status percentiles. In memory; must not import the pipeline's adapters."""

    def __init__(self, size: int = 100) -> None:
        self.entries: deque[dict[str, Any]] = deque(maxlen=size)

    def record(self, utterance: Utterance, outcome: str, reason: str) -> None:
        self.entries.append(
            {
                "time": time.time(),
                "session_id": utterance.session_id,
                "project": utterance.project,
                "kind": utterance.kind,
                "priority": utterance.priority.name.lower(),
                "lang": utterance.lang.code,
                "source": utterance.text[:2000],
                "sentences": [dataclasses.asdict(said) for said in utterance.said],
                "to_say": list(utterance.sentences),
                "spoken": utterance.spoken,
                "heard": utterance.heard,
                "outcome": outcome,
                "reason": reason,
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
