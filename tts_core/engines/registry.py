"""The speech engines by name: pure data and the rules that turn a ``voice.engine`` setting into
engine names. The config takes its engine names from here (:data:`NAMES`, :data:`CHOICES`).

Engines are imported lazily, when chosen (:func:`create`), so a missing optional dependency only
matters for the engine that needs it. ``auto`` is gTTS with the platform's offline fallback for
the language; ``offline`` is the offline fallback alone; a name or a comma-separated list picks
exactly those. Must not import the engines themselves, the config or anything with I/O.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

from tts_core.errors import EngineError

if TYPE_CHECKING:
    from tts_core.engines.base import Engine
    from tts_core.languages.catalog import Language

REGISTRY: dict[str, str] = {
    "gtts": "tts_core.engines.gtts:GttsEngine",
    "espeak": "tts_core.engines.espeak:EspeakEngine",
    "say": "tts_core.engines.macsay:SayEngine",
    "openjtalk": "tts_core.engines.openjtalk:OpenJTalkEngine",
}
NAMES = tuple(REGISTRY)
"""Every engine a ``voice.engine`` chain may name."""
CHOICES = ("auto", "offline", *NAMES)
"""Every value ``voice.engine`` accepts for one engine."""


def offline_chain(lang: Language, platform: str = sys.platform) -> list[str]:
    """The offline engines worth trying for ``lang`` on ``platform``, best first."""
    if platform == "darwin":
        return ["say"]
    if lang.code == "ja":
        return ["openjtalk", "espeak"]  # espeak-ng reads every kanji as "Chinese letter"
    return ["espeak"]


def chain_names(spec: str, lang: Language, platform: str = sys.platform) -> list[str]:
    """Engine names for a setting: ``auto``, ``offline``, ``gtts`` or ``gtts,espeak``."""
    if spec == "auto":
        return ["gtts", *offline_chain(lang, platform)]
    if spec == "offline":
        return offline_chain(lang, platform)
    names = [n.strip() for n in spec.split(",") if n.strip()]
    for name in names:
        if name not in REGISTRY:
            known = ", ".join(CHOICES)
            raise EngineError(f"unknown engine {name!r}; expected one of {known}")
    if not names:
        raise EngineError("no engine named")
    return names


def create(name: str, **options: object) -> Engine:
    """Build the engine called ``name``. Raises EngineError (unknown or not installed)."""
    target = REGISTRY.get(name)
    if target is None:
        raise EngineError(f"unknown engine {name!r}; expected one of {', '.join(CHOICES)}")
    module_name, _, cls_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    engine: Engine = cls(**options)
    return engine
