"""The translation stage: a cache, masking, sanity checks, and the model loaded once, in the
background. Which sentences are translated is not decided here: the voicing stage
(:mod:`tts_core.speech.voicing`) hands over only those that need it.

Sentences are translated one by one (NLLB drops sentences when given several at once) but in a
batch when several are waiting. A translation that lost a placeholder, loops or has an absurd
length is replaced by the source sentence: better English than garbage.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from pathlib import Path

from tts_core.config.schema import TranslationOptions
from tts_core.languages.catalog import Language
from tts_core.translate.backends.auto import load_backend
from tts_core.translate.backends.base import Backend, TranslationError
from tts_core.translate.masking import degenerate, mask, unmask

log = logging.getLogger(__name__)
CACHE_SIZE = 2048
MAX_WAIT_S = 120.0
"""Longest that speech waits for a model still loading, before it is spoken untranslated."""

Loader = Callable[[TranslationOptions, Path], Backend]


def _default_loader(options: TranslationOptions, cache_dir: Path) -> Backend:
    return load_backend(
        options.model,
        options.backend,
        options.device,
        options.dtype,
        cache_dir,
        options.limit_vocabulary,
        options.compile,
    )


def max_new_tokens(text: str) -> int:
    """Room for the translation: proportional to the input, with a floor."""
    return 16 + 3 * len(text.split()) + len(text) // 4


class Translator:
    """Translates sentences from ``source`` into a target language. Thread-safe to call from
    one event loop; the model runs in a worker thread, one batch at a time."""

    def __init__(
        self,
        options: TranslationOptions,
        source: Language,
        cache_dir: Path,
        loader: Loader = _default_loader,
    ) -> None:
        self.options = options
        self.source = source
        self.cache_dir = cache_dir
        self.loader = loader
        self.state = "idle"
        self.error: str | None = None
        self.backend: Backend | None = None
        self.load_s: float | None = None
        self.counts: Counter[str] = Counter()
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._run_lock = threading.Lock()
        self._loaded = threading.Event()
        self._warmed: set[str] = set()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block until loading ended (ready or failed); False on timeout."""
        return self._loaded.wait(timeout)

    def start(self, warm: Language | None = None) -> None:
        """Begin loading the model in a background thread (once), then get it ready for the
        ``warm`` target language."""
        if self.state != "idle":
            return
        self.state = "loading"
        threading.Thread(target=self._load, args=(warm,), name="nllb-load", daemon=True).start()

    def warm(self, target: Language) -> None:
        """Get a loaded model ready for another target language in the background (the user
        changed ``language``), so that its first sentence does not pay for it."""
        backend = self.backend
        if self.state != "ready" or backend is None or target.nllb in self._warmed:
            return
        if target.nllb == self.source.nllb:
            return  # nothing to translate into
        self._warmed.add(target.nllb)

        def run() -> None:
            with self._run_lock:
                self._prepare(backend, target.nllb)

        threading.Thread(target=run, name="nllb-warm", daemon=True).start()

    def _load(self, warm: Language | None = None) -> None:
        t0 = time.monotonic()
        try:
            self.backend = self.loader(self.options, self.cache_dir)
        except TranslationError as exc:
            self.state, self.error = "failed", str(exc)
            log.error("translation unavailable: %s", exc)
        except Exception as exc:  # a broken model file, an out-of-memory...
            self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("translation model failed to load")
        else:
            if warm is not None and warm.nllb != self.source.nllb:
                self._warmed.add(warm.nllb)
                self._prepare(self.backend, warm.nllb)
            self.state, self.load_s = "ready", time.monotonic() - t0
            log.info("translation model ready in %.1f s (%s)", self.load_s, self.backend.name)
        self._loaded.set()

    def _prepare(self, backend: Backend, tgt: str) -> None:
        try:
            backend.prepare(tgt)
        except Exception:  # the first translation will try again, and say what failed
            log.exception("could not get the translation model ready for %s", tgt)

    async def translate(self, texts: list[str], target: Language) -> list[str]:
        """Each text in ``target`` (unchanged where the model is missing or its translation
        was rejected)."""
        if not texts or target.nllb == self.source.nllb:
            return texts
        out: list[str | None] = [None] * len(texts)
        todo: list[int] = []
        for i, text in enumerate(texts):
            cached = self._cache.get((target.nllb, text))
            if cached is not None:
                self._cache.move_to_end((target.nllb, text))
                out[i] = cached
                self.counts["cache_hits"] += 1
            else:
                todo.append(i)
        if todo:
            done = await self._translate_new([texts[i] for i in todo], target)
            for i, text in zip(todo, done, strict=True):
                out[i] = text
        return [t if t is not None else texts[i] for i, t in enumerate(out)]

    async def _translate_new(self, texts: list[str], target: Language) -> list[str]:
        backend = await self._backend()
        if backend is None:
            self.counts["untranslated"] += len(texts)
            return texts
        masked = [mask(t, self.options.glossary) for t in texts]
        limit = max(map(max_new_tokens, texts))
        stop = threading.Event()
        try:
            raw = await asyncio.to_thread(
                self._run, backend, [m.text for m in masked], target.nllb, limit, stop
            )
        except asyncio.CancelledError:
            # The speech was cancelled: end the model's work on it now (or skip it if it has
            # not started), or the next sentence would wait for it: one batch runs at a time.
            stop.set()
            raise
        results = []
        for text, m, translated in zip(texts, masked, raw, strict=True):
            restored = unmask(translated, m)
            # Judged with the placeholders still in: a correct "1000000" or "0.0.0.0" is no loop.
            why = "a placeholder was lost" if restored is None else degenerate(m.text, translated)
            if why is not None or restored is None:
                log.warning("translation of %r rejected (%s): %r", text[:80], why, translated[:80])
                self.counts["rejected"] += 1
                results.append(text)
                continue
            self.counts["translated"] += 1
            self._cache[(target.nllb, text)] = restored
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            results.append(restored)
        return results

    def _run(
        self, backend: Backend, texts: list[str], tgt: str, limit: int, stop: threading.Event
    ) -> list[str]:
        with self._run_lock:  # one batch at a time: models are not re-entrant
            if stop.is_set():
                return texts
            return backend.translate_batch(texts, self.source.nllb, tgt, limit, stop)

    async def _backend(self) -> Backend | None:
        if self.state == "idle":
            self.start()
        if self.state == "loading" and self.options.until_ready == "wait":
            await asyncio.to_thread(self._loaded.wait, MAX_WAIT_S)
        return self.backend if self.state == "ready" else None

    def stats(self) -> dict[str, object]:
        return {
            "state": self.state,
            "error": self.error,
            "model": self.options.model,
            "backend": self.backend.name if self.backend else None,
            "device": self.backend.device if self.backend else None,
            "load_s": round(self.load_s, 2) if self.load_s is not None else None,
            **(self.backend.details() if self.backend else {}),
            **self.counts,
        }


class TranslatorSlot:
    """The daemon's current translator. Cheap settings apply at once; a new model, backend,
    device or dtype loads in the background while the old one keeps translating, then takes
    over. Its state is changed on the event loop only (a thread merely waits for a load)."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.current: Translator | None = None
        self.next: Translator | None = None

    def apply(self, options: TranslationOptions, source: Language, target: Language) -> None:
        """Make ``options`` the translation settings, for speech into ``target`` (called for
        every config that needs translation: the user's or a project's)."""
        latest = self.next or self.current
        if latest is not None and _same_model(latest, options, source):
            latest.options = options
            latest.warm(target)
            return
        fresh = Translator(options, source, self.cache_dir)
        fresh.start(warm=target)
        if self.current is None or self.current.state != "ready":
            self.current, self.next = fresh, None
            return
        self.next = fresh  # the ready model keeps translating until this one is loaded
        waiting = asyncio.get_running_loop().run_in_executor(None, fresh.wait_loaded)
        waiting.add_done_callback(lambda _: self._switch(fresh))

    def _switch(self, fresh: Translator) -> None:
        if self.next is not fresh:
            return  # a newer setting came meanwhile: that one takes over when it is loaded
        self.next = None
        if fresh.state == "ready":
            self.current = fresh
            log.info("switched to the new translation model")

    async def translate(self, texts: list[str], target: Language) -> list[str]:
        translator = self.current
        return texts if translator is None else await translator.translate(texts, target)

    def stats(self) -> dict[str, object]:
        return self.current.stats() if self.current else {"state": "off"}


def _same_model(t: Translator, options: TranslationOptions, source: Language) -> bool:
    old = t.options
    fields = ("model", "backend", "device", "dtype", "limit_vocabulary", "compile")
    return t.source.nllb == source.nllb and all(
        getattr(old, name) == getattr(options, name) for name in fields
    )
