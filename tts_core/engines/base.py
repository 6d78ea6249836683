"""What every speech engine is: the :class:`Engine` protocol, the :class:`OneShot` base and
:func:`render` (a whole sentence as one clip).

A leaf of the engines box: it must not import any engine, the registry or the chain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from tts_core.audio.pcm import Audio, concat
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language

__all__ = ["Engine", "EngineError", "OneShot", "render"]


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


async def render(engine: Engine, text: str, lang: Language) -> Audio:
    """The whole sentence as one clip."""
    parts = [part async for part in engine.stream(text, lang)]
    if not parts:
        raise EngineError(f"{engine.name} produced no audio")
    return concat(parts)
