"""The speech pipeline: the one place where the stage order is written.

    utterance (markdown) -> text.speakable -> translate -> voice (language, phrases, engine)
        -> engine.stream -> player.play

Sentences overlap: while one plays, the next is synthesized. How each sentence is voiced is
the :class:`~tts_core.speech.voicing.Voicing`'s decision, from the utterance's plan; the order
of the stages is written here and only here. Adapters are handed in (tests hand in fakes); this
module imports no engine, device or network library.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from tts_core.audio.pcm import Audio, chime
from tts_core.engines.base import Engine
from tts_core.errors import AudioUnavailable, EngineError
from tts_core.languages.phrases import render
from tts_core.speech.holds import Holds
from tts_core.speech.policy import Priority, admit
from tts_core.speech.utterance import (
    MAX_QUEUE,
    AudioSink,
    Outcome,
    Said,
    Utterance,
    staged,
)
from tts_core.speech.voicing import Voiced, Voicing
from tts_core.text.speakable import Sentence

log = logging.getLogger(__name__)
LOOKAHEAD_PARTS = 4
CHIME = chime()
"""Two short rising tones: another session is about to speak."""


@dataclass(frozen=True)
class _Heard:
    """In the playback queue after a sentence's last part: once it is reached, that sentence
    was played to the end."""

    said: Said
    number: int | None = None
    """Its place in the utterance's sentences, from 1 (None for a cue of ours)."""


class Pipeline:
    """Speaks queued utterances one at a time. Create and use it inside one event loop."""

    def __init__(
        self,
        player: AudioSink,
        split: Callable[[Utterance], list[Sentence]] | None = None,
        on_error: Callable[[str], None] = lambda message: None,
        on_finished: Callable[[Utterance, Outcome, str], None] = lambda u, o, r: None,
        default_engine: Engine | None = None,
        voicing: Voicing | None = None,
    ) -> None:
        self.default_engine = default_engine
        """The voice of utterances without a plan (tests and benches; the daemon plans every
        utterance)."""
        self.voicing = voicing
        self.player = player
        self.split = split
        self.on_error = on_error
        self.on_finished = on_finished
        self._queue: list[tuple[int, int, Utterance]] = []
        self._seq = itertools.count()
        self._wakeup = asyncio.Event()
        self._current: Utterance | None = None
        self._pending: asyncio.Task[None] | None = None
        self._cancelled_reason = ""
        self._worker: asyncio.Task[None] | None = None
        self._closed = False
        self._last_session: str | None = None
        self.holds = Holds()
        """Why speech holds now (paused, a call): nothing plays until every reason is gone."""
        self._nudge = asyncio.Event()
        """Set on every change a holding worker waits for (release, a cut, an urgent ask)."""
        self._suspended: list[Utterance] = []
        """Utterances whose clip an urgent ask interrupted, outermost first."""
        self._cut_suspended: dict[int, str] = {}
        """Why a suspended utterance was cut meanwhile (by id)."""

    @property
    def queue_length(self) -> int:
        return len(self._queue)

    @property
    def speaking(self) -> bool:
        return self._current is not None

    def waiting(self) -> list[Utterance]:
        """The utterance being spoken (and any an urgent ask interrupted), then those queued
        (in the order they would be)."""
        current = [self._current] if self._current is not None else []
        return self._suspended + current + [item[2] for item in sorted(self._queue)]

    # ---- holding: pause, a call --------------------------------------------------------------

    def hold(self, name: str, why: str) -> None:
        """Hold speech for ``name`` (``pause``, ``mic``): the clip playing stops where it is
        and waits; nothing else starts until every reason is released."""
        self.holds.add(name, why)
        if self._current is not None:
            self.player.interrupt()

    def release(self, name: str) -> None:
        """``name`` no longer holds: speech continues where it stopped once nothing holds."""
        if self.holds.remove(name):
            self._nudge.set()
            self._wakeup.set()

    def expire(self) -> int:
        """Drop what waited too long now (not when it is reached); returns how many."""
        stale = [item for item in self._queue if self._age(item[2]) > item[2].stale_after_s]
        for item in stale:
            self._queue.remove(item)
            self._done(item[2], "dropped", "stale")
        heapq.heapify(self._queue)
        return len(stale)

    def _age(self, utterance: Utterance) -> float:
        age = time.monotonic() - utterance.created
        if not utterance.stale_while_held:
            age -= self.holds.held_s() - utterance.held_before
        return age

    def start(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="pipeline")

    def submit(self, utterance: Utterance) -> None:
        """Queue ``utterance`` as the priority policy decides (it may drop or cut others)."""
        queued = sorted(self._queue)
        current = self._current.priority if self._current is not None else None
        decision = admit(utterance.priority, current, [item[2].priority for item in queued])
        if decision.drop_queued:
            doomed = {id(queued[i]) for i in decision.drop_queued}
            for item in queued:
                if id(item) in doomed:
                    self._done(item[2], "dropped", "superseded")
            self._queue = [item for item in self._queue if id(item) not in doomed]
            heapq.heapify(self._queue)
        if decision.cut_current and self._current is not None:
            self._cut(self._current, "superseded")
        if not decision.admit:
            self._done(utterance, "dropped", "busy")
            return
        utterance.held_before = self.holds.held_s()
        current_priority = self._current.priority if self._current is not None else None
        if utterance.priority == Priority.IMPORTANT and current_priority not in (
            None, Priority.IMPORTANT,
        ):  # fmt: skip
            # An ask does not wait for the end of an answer: the answer's clip stops where it
            # is, the ask is said, and the answer goes on from there (:meth:`_interlude`).
            self.player.interrupt()
            self._nudge.set()
        # Important speech (permission prompts) goes ahead of everything queued.
        rank = 0 if utterance.priority == Priority.IMPORTANT else 1
        heapq.heappush(self._queue, (rank, next(self._seq), utterance))
        if len(self._queue) > MAX_QUEUE:
            self._shed()
        self._wakeup.set()

    def _shed(self) -> None:
        """Over :data:`MAX_QUEUE`: the oldest queued speech that is not important goes first
        (counted as dropped, ``queue_full``): memory stays bounded under a flood of events."""
        candidates = [item for item in self._queue if item[2].priority != Priority.IMPORTANT]
        if not candidates:
            return
        oldest = min(candidates, key=lambda item: item[1])
        self._queue.remove(oldest)
        heapq.heapify(self._queue)
        self._done(oldest[2], "dropped", "queue_full")

    def cancel(self, session_id: str | None = None, reason: str = "cancelled") -> int:
        """Drop queued speech and cut the current one, for one session or all. Returns count."""
        kept: list[tuple[int, int, Utterance]] = []
        dropped = 0
        for item in self._queue:
            if session_id is None or item[2].session_id == session_id:
                self._done(item[2], "dropped", reason)
                dropped += 1
            else:
                kept.append(item)
        heapq.heapify(kept)
        self._queue = kept
        current = self._current
        if current is not None and (session_id is None or current.session_id == session_id):
            self._cut(current, reason)
            dropped += 1
        for suspended in self._suspended:
            if session_id is None or suspended.session_id == session_id:
                self._cut_suspended.setdefault(id(suspended), reason)
                dropped += 1
        return dropped

    def _done(self, utterance: Utterance, outcome: Outcome, reason: str) -> None:
        utterance.on_done(outcome, reason)
        self.on_finished(utterance, outcome, reason)

    def _cut(self, utterance: Utterance, reason: str) -> None:
        """Cut the audio within one block and abandon the synthesis in flight; the worker
        notices and ends this utterance as dropped."""
        self._cancelled_reason = reason
        self.player.stop()
        self._nudge.set()
        if self._pending is not None:
            self._pending.cancel()

    async def close(self) -> None:
        """Stop audio first, drop everything, end the worker."""
        self.cancel(None, reason="shutdown")
        # A flag as well as cancel(): Python 3.11's wait_for can swallow a cancellation.
        self._closed = True
        self._wakeup.set()
        self._nudge.set()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _run(self) -> None:
        while not self._closed:
            if not self._queue or self.holds:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            _, _, utterance = heapq.heappop(self._queue)
            if not self._fresh(utterance):
                continue
            self._current = utterance
            self._cancelled_reason = ""
            try:
                outcome, reason = await self._outcome(utterance)
            except asyncio.CancelledError:
                self._done(utterance, "dropped", self._cancelled_reason or "shutdown")
                raise
            finally:
                self._current = None
                self._pending = None
            self._done(utterance, outcome, reason)

    def _fresh(self, utterance: Utterance) -> bool:
        """Whether ``utterance``, just taken from the queue, is still worth saying; a stale one
        is dropped (and counted as such) here, whichever way it was taken."""
        age = self._age(utterance)
        if age <= utterance.stale_after_s:
            return True
        log.info("dropping %s speech queued %.0f s ago", utterance.kind, age)
        self._done(utterance, "dropped", "stale")
        return False

    async def _outcome(self, utterance: Utterance) -> tuple[Outcome, str]:
        """Speak ``utterance``; a failed engine or device, or anything unexpected, is its
        outcome (reported, never raised): the worker and an interrupted answer go on."""
        try:
            return await self._speak(utterance)
        except (EngineError, AudioUnavailable) as exc:
            log.error("speech failed (%s): %s", utterance.kind, exc)
            reason = str(exc)
        except Exception as exc:
            log.exception("speech failed (%s)", utterance.kind)
            reason = f"unexpected error: {exc!r}"
        self.on_error(reason)
        return "failed", reason

    async def _translate(
        self, utterance: Utterance, batch: Sequence[Sentence]
    ) -> list[tuple[str, bool | None]]:
        """Each sentence of ``batch`` translated where the plan says so: (text, True/False
        when it went to the translator, None when it did not need to)."""
        out: list[tuple[str, bool | None]] = [(s.text, None) for s in batch]
        plan, voicing = utterance.plan, self.voicing
        if plan is None or voicing is None:
            return out
        todo = [i for i, s in enumerate(batch)  # announcements are ours: already in its language
                if not s.announcement and voicing.needs_translation(plan, s.text)]  # fmt: skip
        if not todo:
            return out
        texts = [batch[i].text for i in todo]
        try:
            translated = await voicing.translate(plan, texts)
        except Exception:
            log.exception("translation failed; speaking the source text")
            translated = texts
        for i, source, text in zip(todo, texts, translated, strict=True):
            out[i] = (text, text != source)
        return out

    def sentences(self, utterance: Utterance) -> list[Sentence]:
        """The text stage (call it on a worker thread): the voicing's, for a planned one."""
        if self.split is not None:
            return self.split(utterance)
        if utterance.plan is None or self.voicing is None:
            raise EngineError("no text stage for this utterance")
        return self.voicing.sentences(utterance.plan, utterance.text)

    def _voiced(self, utterance: Utterance, text: str, translated: bool | None) -> Voiced:
        plan, voicing = utterance.plan, self.voicing
        if plan is not None and voicing is not None:
            return voicing.voiced(plan, text, translated)
        if self.default_engine is None:
            raise EngineError("no voice for this utterance")
        lang = utterance.lang
        return Voiced(render(text, lang.code), lang, self.default_engine, None, False)

    async def _parts(self, voiced: Voiced) -> AsyncIterator[tuple[str, Audio]]:
        if self.voicing is not None:
            async for item in self.voicing.speak(voiced):
                yield item
        else:
            async for part in voiced.engine.stream(voiced.text, voiced.lang):
                yield voiced.engine.name, part

    async def _speak(self, utterance: Utterance) -> tuple[Outcome, str]:
        timings = utterance.timings
        t0 = time.perf_counter()
        # In a thread: a long answer's markdown takes a while to parse, and the event loop must
        # keep answering the hooks and status meanwhile.
        sentences = await asyncio.to_thread(self.sentences, utterance)
        timings["filter"] = (time.perf_counter() - t0) * 1000
        utterance.sentences = [s.text for s in sentences]
        if sentences and utterance.skip >= len(sentences):
            return "dropped", "already_heard"  # all of it, before a restart
        numbers: list[int | None] = list(range(utterance.skip + 1, len(sentences) + 1))
        sentences = sentences[utterance.skip :]
        if not sentences:
            return "dropped", "nothing_to_say"
        chime = False
        if utterance.session_id:
            changed = self._last_session not in (None, utterance.session_id)
            self._last_session = utterance.session_id
            if changed and utterance.cue == "name" and utterance.project:
                name = os.path.basename(utterance.project.rstrip("/")) or utterance.project
                sentences = [Sentence(f"{name}:", announcement=True), *sentences]
                numbers = [None, *numbers]
            chime = changed and utterance.cue == "chime"
        # A producer synthesizes ahead (sentence n+1 while n plays; network engines hand over
        # each part as it arrives) into a small queue; this loop plays what it finds there.
        queue: asyncio.Queue[Audio | _Heard | None] = asyncio.Queue(maxsize=LOOKAHEAD_PARTS)
        errors: list[str] = []

        async def produce() -> None:
            try:
                done = 0
                for batch in staged(sentences):
                    t1 = time.perf_counter()
                    texts = await self._translate(utterance, batch)
                    if any(translated is not None for _, translated in texts):
                        timings.setdefault("translate", (time.perf_counter() - t1) * 1000)
                    for number, (text, translated) in zip(numbers[done:], texts, strict=False):
                        voiced = self._voiced(utterance, text, translated)
                        said = Said(voiced.text, voiced.lang.code, voiced.voice, voiced.translated)
                        utterance.said.append(said)
                        t2 = time.perf_counter()
                        try:
                            async for engine, part in self._parts(voiced):
                                said.engine = engine
                                timings.setdefault("synthesize", (time.perf_counter() - t2) * 1000)
                                await queue.put(part)
                            await queue.put(_Heard(said, number))  # played to here: heard
                        except EngineError as exc:  # this sentence is lost; the next may work
                            errors.append(str(exc))
                    done += len(batch)
            finally:
                await queue.put(None)

        if chime:
            await queue.put(CHIME)
        producer = asyncio.get_running_loop().create_task(produce())
        self._pending = producer
        played = 0
        try:
            while (audio := await queue.get()) is not None:
                if self._cancelled_reason:
                    break
                if isinstance(audio, _Heard):
                    audio.said.heard = True
                    if audio.number is not None:
                        utterance.reached = audio.number
                        if utterance.on_heard is not None:
                            utterance.on_heard(audio.number)
                    continue
                timings.setdefault("first_audio", (time.monotonic() - utterance.created) * 1000)
                volume = utterance.plan.volume if utterance.plan is not None else 1.0
                if not await self._play(utterance, audio.with_gain(volume)):
                    break
                played += 1
        except asyncio.CancelledError:
            if not self._cancelled_reason:
                raise  # the worker itself is being cancelled
        finally:
            producer.cancel()
        if self._cancelled_reason:
            return "dropped", self._cancelled_reason
        if errors:
            raise EngineError("; ".join(dict.fromkeys(errors)))
        return ("spoken", "") if played else ("dropped", "nothing_to_say")

    # ---- a clip that may be held or interrupted ---------------------------------------------

    async def _play(self, utterance: Utterance, audio: Audio) -> bool:
        """Play ``audio`` to its end (True) or until it is cut (False). A pause or an urgent
        ask interrupts it: what was left is played after them, nothing skipped or repeated."""
        clip: Audio | None = audio
        while clip is not None and len(clip.samples):
            await self._interlude(utterance)
            if self._cancelled_reason or self._closed:
                return False
            if await self.player.play(clip):
                return True
            if self._cancelled_reason:
                return False
            clip = self.player.rest  # None: stopped (not interrupted), it ends here
            if clip is None:
                return False
        return True

    async def _interlude(self, utterance: Utterance) -> None:
        """Before a clip of ``utterance``: wait while speech holds, and say the urgent asks
        queued meanwhile (unless it is one itself)."""
        while not (self._cancelled_reason or self._closed):
            if self.holds:
                self._nudge.clear()
                await self._nudge.wait()
                continue
            urgent = [item for item in self._queue if item[2].priority == Priority.IMPORTANT]
            if not urgent or utterance.priority == Priority.IMPORTANT:
                return
            item = min(urgent)
            self._queue.remove(item)
            heapq.heapify(self._queue)
            if self._fresh(item[2]):
                await self._between(utterance, item[2])

    async def _between(self, outer: Utterance, ask: Utterance) -> None:
        """Say ``ask`` inside ``outer``, which goes on afterwards unless it was cut meanwhile."""
        pending = self._pending
        self._suspended.append(outer)
        self._current = ask
        outcome, reason = "dropped", "shutdown"
        try:
            outcome, reason = await self._outcome(ask)
        finally:
            self._current = outer
            self._pending = pending
            self._suspended.pop()
            self._done(ask, outcome, reason)
        self._cancelled_reason = self._cut_suspended.pop(id(outer), "")
