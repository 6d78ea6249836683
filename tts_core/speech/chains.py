"""The engine chain for each voice setting and language, built once and kept until the
settings change, over one audio cache: the voices :class:`~tts_core.speech.voicing.Voicing`
chooses from. A chain that cannot be built stands in as an engine that fails each sentence with
the reason, so speech fails visibly, never silently.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tts_core.audio.cache import AudioCache
from tts_core.audio.pcm import Audio
from tts_core.config.schema import VoiceOptions
from tts_core.engines.base import Engine, OneShot
from tts_core.engines.chain import ChainEngine, build_chain
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language


class _MissingEngine(OneShot):
    """Stands in for an engine chain that could not be built, so each utterance fails clearly."""

    name = "missing"

    def __init__(self, error: str) -> None:
        self.error = error

    async def synthesize(self, text: str, lang: Language) -> Audio:
        raise EngineError(self.error)


class Voices:
    """Engine chains by (voice settings, language), and the audio cache they share."""

    def __init__(self, cache_dir: Path, on_error: Callable[[str], None]) -> None:
        self.cache_dir = cache_dir
        self.on_error = on_error
        self.cache: AudioCache | None = None
        self._chains: dict[tuple[VoiceOptions, str], Engine] = {}

    def apply(self, voice: VoiceOptions) -> None:
        """New voice settings: the cache resized (or off), the chains rebuilt on use."""
        cache_bytes = voice.cache_mb * 1024 * 1024
        if cache_bytes == 0:
            self.cache = None
        elif self.cache is None or self.cache.max_bytes != cache_bytes:
            self.cache = AudioCache(self.cache_dir, cache_bytes)
        self._chains.clear()

    def chain_for(self, voice: VoiceOptions, lang: Language) -> Engine:
        key = (voice, lang.code)
        if key not in self._chains:
            try:
                self._chains[key] = build_chain(voice, lang, self.cache)
            except EngineError as exc:
                self.on_error(str(exc))
                self._chains[key] = _MissingEngine(str(exc))
        return self._chains[key]

    @staticmethod
    def stats(engine: Engine) -> dict[str, object] | None:
        return engine.stats() if isinstance(engine, ChainEngine) else None
