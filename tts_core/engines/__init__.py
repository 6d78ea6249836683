"""Speech engines: the protocol they share and a registry of them by name.

Engines are imported lazily, when chosen, so a missing optional dependency only matters for the
engine that needs it. ``auto`` picks the platform's offline engine.
"""

from __future__ import annotations

import importlib
import sys
from typing import Protocol

from tts_core.audio import Audio
from tts_core.errors import EngineError


class Engine(Protocol):
    """Turns one sentence into audio."""

    name: str
    needs_network: bool
    """True if text leaves the machine (it must never get secrets)."""

    async def synthesize(self, text: str, lang: str) -> Audio:
        """Return the sentence as audio. Cancelling the task stops the work.

        Raises:
            EngineError: the engine failed or is not installed.
        """
        ...


REGISTRY: dict[str, str] = {
    "espeak": "tts_core.engines.espeak:EspeakEngine",
    "say": "tts_core.engines.macsay:SayEngine",
}


def default_engine_name(platform: str = sys.platform) -> str:
    return "say" if platform == "darwin" else "espeak"


def create(name: str, *, voice: str | None = None, speed: float = 1.0) -> Engine:
    """Build the engine called ``name`` (or ``auto``). Raises EngineError."""
    if name == "auto":
        name = default_engine_name()
    target = REGISTRY.get(name)
    if target is None:
        known = ", ".join(["auto", *sorted(REGISTRY)])
        raise EngineError(f"unknown engine {name!r}; expected one of {known}")
    module_name, _, cls_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    engine: Engine = cls(voice=voice, speed=speed)
    return engine
