"""A chain of engines with fallback, a circuit breaker for network engines, and the audio cache.

The first engine that works speaks the sentence; a failure falls through to the next engine
(for a multi-part engine that failed mid-sentence, only the unspoken rest). After repeated
failures of a network engine the breaker opens and the chain skips it for a cooldown, instead
of paying a timeout on every sentence; then one sentence tries it again.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

from tts_core.audio.cache import AudioCache
from tts_core.audio.pcm import Audio, concat
from tts_core.config.schema import VoiceOptions
from tts_core.engines import registry
from tts_core.engines.base import Engine
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language

log = logging.getLogger(__name__)


class CircuitBreaker:
    """Closed (use it) until ``failures`` in a row; then open for ``cooldown_s``; then half-open
    (one try: success closes, failure opens again)."""

    def __init__(
        self, failures: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._count = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self._opened_at >= self.cooldown_s else "open"

    def allow(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        self._count = 0
        self._opened_at = None

    def failure(self) -> None:
        self._count += 1
        if self.state == "half-open" or self._count >= self.failures:
            self._opened_at = self.clock()


class ChainEngine:
    """An engine made of engines: each sentence goes to the first that works (a circuit breaker
    skips a failing one for a while, only the unspoken rest moves on after a mid-sentence
    failure), through the audio cache. Must not import a specific engine."""

    needs_network = False

    def __init__(
        self,
        engines: list[Engine],
        options: VoiceOptions,
        cache: AudioCache | None = None,
        unavailable: dict[str, str] | None = None,
    ) -> None:
        if not engines:
            reasons = "; ".join(f"{n}: {why}" for n, why in (unavailable or {}).items())
            raise EngineError(f"no engine available: {reasons or 'none configured'}")
        self.engines = engines
        self.options = options
        self.cache = cache
        self.unavailable = unavailable or {}
        self.needs_network = any(e.needs_network for e in engines)
        self.breakers = {
            e.name: CircuitBreaker(options.breaker_failures, options.breaker_cooldown_s)
            for e in engines
            if e.needs_network
        }
        self.used: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.last_failure: str | None = None

    @property
    def name(self) -> str:
        return ", ".join(e.name for e in self.engines)

    async def stream(self, text: str, lang: Language) -> AsyncIterator[Audio]:
        async for _, part in self.stream_from(text, lang):
            yield part

    async def stream_from(self, text: str, lang: Language) -> AsyncIterator[tuple[str, Audio]]:
        """The sentence's audio, each part with the name of the engine that made it."""
        remaining = text
        errors: list[str] = []
        for engine in self.engines:
            breaker = self.breakers.get(engine.name)
            if breaker is not None and not breaker.allow():
                self.skipped[engine.name] += 1
                continue
            # Audio is cached by where it came from, and a custom endpoint's (a proxy the user
            # named) never goes into the cache every project shares.
            cache = self.cache if getattr(engine, "shared_cache", True) else None
            origin = str(getattr(engine, "origin", ""))
            key = AudioCache.key(
                engine.name, origin, self.options.voice, lang.code, self.options.speed, remaining
            )
            cached = cache.get(key) if cache is not None else None
            if cached is not None:
                self.used[engine.name] += 1
                yield engine.name, cached
                return
            parts: list[Audio] = []
            try:
                async for part in engine.stream(remaining, lang):
                    parts.append(part)
                    yield engine.name, part
            except EngineError as exc:
                self.failed[engine.name] += 1
                self.last_failure = f"{engine.name}: {exc}"
                errors.append(self.last_failure)
                log.warning("engine %s failed, falling back: %s", engine.name, exc)
                if breaker is not None:
                    breaker.failure()
                if parts:
                    if not exc.remaining:
                        raise
                    remaining = exc.remaining  # say only what was not said yet
                continue
            if breaker is not None:
                breaker.success()
            self.used[engine.name] += 1
            if cache is not None and parts and remaining == text:
                cache.put(key, concat(parts))
            return
        raise EngineError("; ".join(errors) or "every engine is paused after failures")

    def stats(self) -> dict[str, Any]:
        return {
            "chain": [e.name for e in self.engines],
            "unavailable": self.unavailable,
            "used": dict(self.used),
            "failed": dict(self.failed),
            "skipped": dict(self.skipped),
            "breakers": {name: b.state for name, b in self.breakers.items()},
            "last_failure": self.last_failure,
            "cache": self.cache.stats() if self.cache is not None else None,
        }


def build_chain(
    options: VoiceOptions, lang: Language, cache: AudioCache | None = None
) -> ChainEngine:
    """The engines ``options.engine`` names for ``lang``, skipping those not installed here.

    Raises:
        EngineError: the setting names an unknown engine, or none of its engines can run.
    """
    engines: list[Engine] = []
    unavailable: dict[str, str] = {}
    for name in registry.chain_names(options.engine, lang):
        try:
            engines.append(registry.create(name, options=options))
        except EngineError as exc:
            unavailable[name] = str(exc)
            log.warning("engine %s unavailable: %s", name, exc)
    return ChainEngine(engines, options, cache, unavailable)
