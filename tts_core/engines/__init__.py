"""Speech engines: the protocol they share, a registry of them by name, and the chain builder.

Engines are imported lazily, when chosen, so a missing optional dependency only matters for the
engine that needs it. ``auto`` is gTTS with the platform's offline fallback for the language;
``offline`` is the offline fallback alone; a name or a comma-separated list picks exactly those.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator
from typing import Protocol

from tts_core.audio import Audio, concat
from tts_core.errors import EngineError

__all__ = ["CHOICES", "REGISTRY", "Engine", "EngineError", "OneShot", "create", "render"]
from tts_core.languages import Language


class Engine(Protocol):
    """Turns one sentence into audio, part by part (network engines fetch long text in parts;
    the first part can play while the rest arrive)."""

    @property
    def name(self) -> str: ...

    @property
    def needs_network(self) -> bool:
        """True if text leaves the machine (it must never get secrets)."""
        ...

    def stream(self, text: str, lang: Language) -> AsyncIterator[Audio]:
        """Yield the sentence's audio in order. Cancelling the consumer stops the work.

        Raises:
            EngineError: the engine failed, is not installed, or has no voice for ``lang``.
        """
        ...


class OneShot:
    """Base for engines that render a whole sentence at once: implement :meth:`synthesize`."""

    name = ""
    needs_network = False

    async def synthesize(self, text: str, lang: Language) -> Audio:
        raise NotImplementedError

    async def stream(self, text: str, lang: Language) -> AsyncIterator[Audio]:
        yield await self.synthesize(text, lang)


REGISTRY: dict[str, str] = {
    "gtts": "tts_core.engines.gtts:GttsEngine",
    "espeak": "tts_core.engines.espeak:EspeakEngine",
    "say": "tts_core.engines.macsay:SayEngine",
    "openjtalk": "tts_core.engines.openjtalk:OpenJTalkEngine",
}
CHOICES = ("auto", "offline", *REGISTRY)


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


async def render(engine: Engine, text: str, lang: Language) -> Audio:
    """The whole sentence as one clip."""
    parts = [part async for part in engine.stream(text, lang)]
    if not parts:
        raise EngineError(f"{engine.name} produced no audio")
    return concat(parts)
