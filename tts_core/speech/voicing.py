"""How each sentence is voiced: the one owner of that decision.

From a config (the user's or a project's) and, for ``say``, an explicit language or engine,
:meth:`Voicing.plan` makes a frozen :class:`Plan`: the language the user hears, the language
Claude writes, and whether to translate (the one copy of the rule "translation is on and the
languages differ"). Per sentence, after translation succeeded or not, :meth:`Voicing.voiced`
decides the language the sentence is really in (its script), the language of our inline
phrases that follows from it ("a link to x" said in that language, not in the one asked for),
and the engine and voice for that language. It loads a translation model for whichever config
it plans for, a project's included.

The daemon builds one :class:`Voicing`; the pipeline asks it, in the order the pipeline writes.
Must not import the daemon, the server or Claude Code's box.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from tts_core.audio.pcm import Audio
from tts_core.config.schema import Config, FilterOptions, Rule, TranslationOptions, VoiceOptions
from tts_core.engines.base import Engine
from tts_core.engines.chain import ChainEngine
from tts_core.languages import catalog
from tts_core.languages.catalog import Language
from tts_core.languages.phrases import render, unmarked
from tts_core.languages.scripts import spoken_in
from tts_core.text.rules import too_slow
from tts_core.text.speakable import Sentence, speakable
from tts_core.translate.masking import in_script

log = logging.getLogger(__name__)


def translation_target(config: Config, environ: Mapping[str, str]) -> Language | None:
    """The language speech is translated into, or None when it needs no translation: the one
    rule (translation on, and the spoken language is not the one Claude writes)."""
    target = catalog.resolve(config.language, environ)
    source = catalog.lookup(config.source_language)
    return _target(config.translation, source, target)


def _target(options: TranslationOptions, source: Language, target: Language) -> Language | None:
    return target if options.enabled and target.nllb != source.nllb else None


@dataclass(frozen=True)
class Plan:
    """How one utterance is voiced, decided once when it is queued."""

    target: Language
    """The language the user hears."""
    source: Language
    """The language Claude writes (what an untranslated sentence is in)."""
    translate: bool
    """Whether sentences not already in ``target`` go through translation."""
    voice: VoiceOptions
    """The engine chain and voice settings (``say --engine`` replaces the chain)."""
    filters: FilterOptions
    """What of the markdown is spoken."""
    volume: float = 1.0


@dataclass(frozen=True)
class Voiced:
    """One sentence as it is said: the text the voice gets, the language it is in, the voice."""

    text: str
    lang: Language
    engine: Engine
    voice: str | None
    translated: bool


class Translator(Protocol):
    """What :class:`Voicing` needs of the translator (``translate.service.TranslatorSlot``)."""

    def apply(self, options: TranslationOptions, source: Language, target: Language) -> None: ...
    async def translate(self, texts: list[str], target: Language) -> list[str]: ...
    def stats(self) -> dict[str, object]: ...


class Chains(Protocol):
    """Engine chains by voice settings and language (:class:`~tts_core.speech.chains.Voices`,
    or a fake in tests)."""

    def apply(self, voice: VoiceOptions) -> None: ...
    def chain_for(self, voice: VoiceOptions, lang: Language) -> Engine: ...


class Voicing:
    """Plans utterances and voices their sentences over engine chains (built once per voice
    setting and language, sharing one audio cache) and the translator. Changed only from the
    event loop."""

    def __init__(
        self,
        chains: Chains,
        translator: Translator | None = None,
        environ: Mapping[str, str] | None = None,
        on_error: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.chains = chains
        self.translator = translator
        self.on_error = on_error
        self.rules_off: dict[str, str] = {}
        """The user's rules switched off for running out of time: pattern -> what status says."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self.environ = os.environ if environ is None else environ
        self.spoke: Counter[str] = Counter()
        """Sentences each engine spoke, over every chain and language (for status)."""

    def apply(self, config: Config) -> None:
        """New user settings: the audio cache resized, the chains rebuilt on use, the model for
        the user's own language readied in the background."""
        self.chains.apply(config.voice)
        self.plan(config)

    def plan(self, config: Config, *, lang: Language | None = None, engine: str = "") -> Plan:
        """The plan for speech under ``config``; ``lang``/``engine``: what ``say`` asked for."""
        with contextlib.suppress(RuntimeError):  # planned on the loop: where reports go
            self._loop = asyncio.get_running_loop()
        target = lang or catalog.resolve(config.language, self.environ)
        source = catalog.lookup(config.source_language)
        translate = _target(config.translation, source, target) is not None
        if translate and self.translator is not None:
            self.translator.apply(config.translation, source, target)
        voice = replace(config.voice, engine=engine) if engine else config.voice
        filters = config.filters
        if self.rules_off and filters.rules:
            rules = tuple(r for r in filters.rules if r.pattern not in self.rules_off)
            filters = replace(filters, rules=rules)
        return Plan(target, source, translate, voice, filters, config.voice.volume)

    def sentences(self, plan: Plan, text: str) -> list[Sentence]:
        """The text stage for ``text`` under the plan: inline phrases left as markers (said in
        each sentence's own language later). Runs on a worker thread (the pipeline's call): a
        rule out of time is reported to the event loop, which switches it off."""
        loop = self._loop

        def slow(rule: Rule) -> None:
            if loop is not None:
                loop.call_soon_threadsafe(self._rule_too_slow, rule)

        return speakable(text, plan.filters, plan.target.code, slow, marked=True)

    def _rule_too_slow(self, rule: Rule) -> None:
        if rule.pattern not in self.rules_off:
            self.rules_off[rule.pattern] = too_slow(rule)
            self.on_error(self.rules_off[rule.pattern])
            log.error("%s", self.rules_off[rule.pattern])

    def needs_translation(self, plan: Plan, text: str) -> bool:
        """Whether this sentence goes to the translator: planned, and not already written in
        the target language (Claude answered in Japanese)."""
        if not plan.translate or self.translator is None:
            return False
        return not in_script(unmarked(text), plan.target.nllb)  # a Latin target: always

    async def translate(self, plan: Plan, texts: list[str]) -> list[str]:
        """``texts`` in the target language where the model could (the rest unchanged)."""
        if self.translator is None or not texts:
            return texts
        return await self.translator.translate(texts, plan.target)

    @staticmethod
    def language_of(plan: Plan, text: str, translated: bool | None) -> Language:
        """The language a sentence is really in. ``translated``: True or False when it went to
        the translator (False: the model was missing, or its translation was rejected, so the
        sentence is still in the source language), None when it did not need to (its script
        decides: Japanese that Claude wrote, English left as it was)."""
        if translated is False:
            return plan.source
        code = spoken_in(unmarked(text), plan.target.nllb, plan.source.nllb)
        if code == plan.target.nllb:
            return plan.target
        try:
            return catalog.lookup(code)
        except catalog.UnknownLanguage:
            return plan.source

    def voiced(self, plan: Plan, text: str, translated: bool | None) -> Voiced:
        """The sentence as said: the language it is really in (:meth:`language_of`), our
        phrases in that language, and the voice for it."""
        lang = self.language_of(plan, text, translated)
        engine = self.chains.chain_for(plan.voice, lang)
        return Voiced(render(text, lang.code), lang, engine, plan.voice.voice, bool(translated))

    async def speak(self, voiced: Voiced) -> AsyncIterator[tuple[str, Audio]]:
        """The sentence's audio, part by part, each with the name of the engine that made it."""
        name = voiced.engine.name
        if isinstance(voiced.engine, ChainEngine):
            async for name, part in voiced.engine.stream_from(voiced.text, voiced.lang):
                yield name, part
        else:
            async for part in voiced.engine.stream(voiced.text, voiced.lang):
                yield name, part
        self.spoke[name] += 1

    def status(self, config: Config) -> dict[str, object]:
        """The chain the user's settings pick for their language, and who spoke what."""
        target = catalog.resolve(config.language, self.environ)
        engine = self.chains.chain_for(config.voice, target)
        return {
            "language": target.code,
            "engine": engine.name,
            "engines": engine.stats() if isinstance(engine, ChainEngine) else None,
            "spoken_by": dict(self.spoke),
            "translation": self.translator.stats() if self.translator else {"state": "off"},
        }
