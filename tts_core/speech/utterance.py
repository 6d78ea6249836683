"""What the pipeline is handed: an :class:`Utterance` (something to say, with the
:class:`~tts_core.speech.voicing.Plan` of how it is voiced), the :class:`AudioSink` it plays
into, :class:`Said` (what became of each sentence) and :func:`staged`, the order sentences are
translated in (shared with ``claude-tts preview --translate``). Imports no engine, device or
network library.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from tts_core.audio.pcm import Audio
from tts_core.languages.catalog import Language
from tts_core.speech.policy import Priority
from tts_core.speech.voicing import Plan

_T = TypeVar("_T")
TRANSLATE_BATCH = 4
MAX_QUEUE = 64
"""Utterances waiting at most; beyond, the oldest unimportant one is dropped."""

Outcome = str
"""``spoken``, ``dropped`` or ``failed``."""
DoneCallback = Callable[[Outcome, str], None]
"""Called once per utterance with its outcome and a reason (empty when spoken)."""


def staged(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """The order in which sentences are translated: the first alone (first audio sooner), then
    batches of :data:`TRANSLATE_BATCH` translated while earlier sentences play. ``claude-tts
    preview --translate`` uses it too, so that it shows what the daemon would say."""
    done = 0
    while done < len(items):
        size = 1 if done == 0 else TRANSLATE_BATCH
        yield items[done : done + size]
        done += size


class AudioSink(Protocol):
    """What the pipeline plays into (the :class:`~tts_core.audio.player.Player`, or a fake)."""

    rest: Audio | None
    """What the last :meth:`play` left unplayed when :meth:`interrupt` ended it (None after a
    clip played to its end or :meth:`stop`)."""

    async def play(self, audio: Audio) -> bool: ...
    def stop(self) -> None: ...
    def interrupt(self) -> None:
        """End the clip now, keeping what was not heard in :attr:`rest` (pause, an urgent
        ask): thread-safe, returns at once."""


@dataclass
class Said:
    """One sentence handed to a voice, and what became of it (``history`` shows these)."""

    text: str
    """What the voice was given (after translation, our phrases in its language)."""
    lang: str
    """The language it was spoken in (its code)."""
    voice: str | None
    """The voice setting it was spoken with (None: the language's default)."""
    translated: bool
    engine: str = ""
    """The engine that spoke it ("" when none could)."""
    heard: bool = False
    """Played to the end (False: cut, or its synthesis failed)."""


@dataclass
class Utterance:
    """Something to say, for one Claude Code session."""

    text: str
    session_id: str
    priority: Priority
    kind: str
    lang: Language
    """The language asked for (the plan's target)."""
    plan: Plan | None = field(default=None, repr=False)
    """How it is voiced (the daemon always makes one); None: the pipeline's default voice,
    untranslated."""
    stale_after_s: float = 60.0
    """Dropped instead of spoken if it waited longer than this in the queue (time spent
    paused or held for a call not counted, unless ``stale_while_held``)."""
    stale_while_held: bool = False
    """Count the time speech was held (paused, a call) toward ``stale_after_s``."""
    held_before: float = 0.0
    """The pipeline's held time (``Holds.held_s``) when it was queued."""
    project: str = ""
    """The Claude Code project it comes from (for history and speaker cues)."""
    cue: str = "none"
    """When another session spoke last: say the project's name first (``name``), play a
    ``chime``, or nothing (``none``)."""
    sentences: list[str] = field(default_factory=list, repr=False)
    """What the text filter made of it: every sentence to say, before translation (``replay``
    says them again: whole, however long the answer)."""
    said: list[Said] = field(default_factory=list, repr=False)
    """Each sentence handed to a voice, in order."""
    timings: dict[str, float] = field(default_factory=dict, repr=False)
    """Milliseconds per stage: filter, translate (first batch), synthesize (first part),
    first_audio (from queued to the first sample played)."""
    on_done: DoneCallback = field(default=lambda outcome, reason: None, repr=False)
    # ---- resuming after a restart (the daemon's journal) ----
    skip: int = 0
    """Sentences of ``text`` heard before a restart: not said again."""
    on_heard: Callable[[int], None] | None = field(default=None, repr=False)
    """Told ``k`` each time the first ``k`` sentences of ``text`` (skipped ones included)
    have been played to the end; None when nobody keeps track."""
    reached: int = 0
    """The last ``k`` told to ``on_heard``."""
    created: float = field(default_factory=time.monotonic)
    queued_at: float = field(default_factory=time.time)
    """Wall-clock time it was queued (for history)."""
    note: str = ""
    """Why the text may not be all there was to say (a transcript that was not whole), for
    history; empty when nothing is known to be missing."""

    @property
    def spoken(self) -> list[str]:
        """What was handed to the voice, sentence by sentence (after translation)."""
        return [s.text for s in self.said]

    @property
    def heard(self) -> list[str]:
        """The sentences whose audio was played to the end (a cut utterance has fewer)."""
        return [s.text for s in self.said if s.heard]
