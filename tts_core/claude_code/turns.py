"""What Claude said in a turn, from streamed MessageDisplay deltas or from the transcript.

Pure logic: callers read files and hand in lines. Claude Code's Stop payload carries only the
turn's *last* text block (``last_assistant_message``); the rest of the turn comes from the
MessageDisplay deltas seen for it, or from the session transcript, whose last line can land on
disk 60-75 ms after Stop fires in the interactive UI (the caller retries while
:func:`transcript_is_current` is False).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from tts_core.claude_code.release import letters, safe_cut, unglue, unsaid

_V = TypeVar("_V")

MAX_TURNS_KEPT = 64
"""Turns remembered per daemon (display buffers and how much of each turn was spoken)."""


@dataclass
class _Block:
    chunks: dict[int, str] = field(default_factory=dict)
    final_index: int | None = None

    @property
    def complete(self) -> bool:
        """All deltas 0..final arrived."""
        return self.final_index is not None and len(self.chunks) == self.final_index + 1

    def text(self) -> str:
        return "".join(self.chunks[i] for i in sorted(self.chunks))

    def contiguous_text(self) -> str:
        """The text up to the first missing delta."""
        out = []
        i = 0
        while i in self.chunks:
            out.append(self.chunks[i])
            i += 1
        return "".join(out)


@dataclass(frozen=True)
class DisplayBlock:
    """One text block of a turn as reassembled from MessageDisplay deltas."""

    text: str
    complete: bool
    """Every delta up to the final one arrived; False while Claude is still writing (or a delta
    was lost)."""
    prefix: str
    """Text up to the first missing delta: what can be trusted of an incomplete block."""


TurnKey = tuple[str, str]
"""(session_id, prompt_id): one user prompt and everything Claude answered to it."""


class TurnTracker:
    """Reassembles MessageDisplay deltas and remembers how much of each turn was spoken."""

    def __init__(self) -> None:
        self._display: OrderedDict[TurnKey, dict[str, _Block]] = OrderedDict()
        self._spoken: OrderedDict[TurnKey, int] = OrderedDict()
        self._released: dict[tuple[TurnKey, str], str] = {}
        self._finished: OrderedDict[TurnKey, None] = OrderedDict()

    def add_delta(self, key: TurnKey, message_id: str, index: int, delta: str, final: bool) -> None:
        """Record one MessageDisplay call. Deltas may come out of order or not at all."""
        blocks = self._display.setdefault(key, {})
        self._display.move_to_end(key)
        block = blocks.setdefault(message_id, _Block())
        block.chunks[index] = delta
        if final:
            block.final_index = index
        _trim(self._display)

    def display_blocks(self, key: TurnKey) -> list[DisplayBlock]:
        """The turn's text blocks in the order they started streaming."""
        return [
            DisplayBlock(text=b.text(), complete=b.complete, prefix=b.contiguous_text())
            for b in self._display.get(key, {}).values()
        ]

    def release(self, key: TurnKey, message_id: str) -> str:
        """Streaming: the part of a block that became speakable since the last call.

        Released up to the last sentence or paragraph end outside any open code fence (and not
        inside a table, whose rows only make sense together), so that a sentence is filtered
        and spoken whole, hard-wrapped or not; a finished block is released whole.
        """
        block = self._display.get(key, {}).get(message_id)
        if block is None or key in self._finished:
            return ""  # after Stop a late display is reconciled by Stop, never replayed
        text = block.contiguous_text()
        done = self._released.get((key, message_id), "")
        if not text.startswith(done):
            return ""  # the stream and what was spoken disagree: leave it to Stop
        cut = len(text) if block.complete else safe_cut(text)
        if cut <= len(done):
            return ""
        self._released[(key, message_id)] = text[:cut]
        return unglue(text[len(done) : cut])

    def finish(self, key: TurnKey, blocks: list[str], mode: str) -> list[str]:
        """At Stop: what of the turn's ``blocks`` is still to be said, for a ``speak.mode``.

        ``turn``: every block not spoken yet; ``final``: only the last of those; ``stream``:
        what streaming has not released yet. Streamed text and ``blocks`` are matched by their
        characters, not by block (one display message can glue several blocks together), and
        nothing of the turn is released again (a late display after Stop is reconciled here).
        """
        self._finished[key] = None
        self._finished.move_to_end(key)
        _trim(self._finished)
        done = self._spoken.get(key, 0)
        new = self._take_new(key, blocks)
        if mode == "final":
            return new[-1:]
        if mode != "stream":
            return new
        said = "".join(self._released.get((key, mid), "") for mid in self._display.get(key, {}))
        before = "".join(blocks[:done])  # spoken at an earlier Stop of this turn
        rest = unsaid(new, max(0, letters(said) - letters(before)))
        return [r for r in rest if r.strip()]

    def _take_new(self, key: TurnKey, blocks: list[str]) -> list[str]:
        """Return the blocks of this turn not spoken yet, and mark them spoken.

        A turn can end more than once (a Stop hook that blocks makes Claude go on): only what
        came after the last Stop is new.
        """
        done = self._spoken.get(key, 0)
        self._spoken[key] = max(done, len(blocks))
        self._spoken.move_to_end(key)
        _trim(self._spoken)
        return blocks[done:]

    def forget_session(self, session_id: str) -> None:
        """Drop display buffers of a session's earlier turns (a new prompt began)."""
        for key in [k for k in self._display if k[0] == session_id]:
            del self._display[key]
            self._finished.pop(key, None)
        for rkey in [k for k in self._released if k[0][0] == session_id]:
            del self._released[rkey]


def _trim(d: OrderedDict[TurnKey, _V]) -> None:
    while len(d) > MAX_TURNS_KEPT:
        d.popitem(last=False)


def transcript_turn_blocks(lines: Iterable[str], prompt_id: str | None) -> list[str] | None:
    """Every assistant text block of one turn, from transcript JSON lines.

    The turn starts at the real prompt line (a ``user`` line whose content is a string, not
    ``isMeta``) with ``promptId == prompt_id`` (or the last real prompt if ``prompt_id`` is
    None). Returns None if that prompt is not in the transcript: guessing would risk speaking
    the previous turn.
    """
    blocks: list[str] | None = None
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a partly written last line, or junk: skip it
        if not isinstance(entry, dict):
            continue
        message = entry.get("message")
        if not isinstance(message, dict):
            continue
        kind = entry.get("type")
        content = message.get("content")
        if kind == "user" and isinstance(content, str) and not entry.get("isMeta"):
            if prompt_id is None or entry.get("promptId") == prompt_id:
                blocks = []
            elif blocks is not None:
                break  # the next turn started
            continue
        if blocks is None or kind != "assistant" or entry.get("isApiErrorMessage"):
            continue
        if isinstance(content, list):
            blocks.extend(
                b["text"]
                for b in content
                if isinstance(b, dict)
                and b.get("type") == "text"
                and isinstance(b.get("text"), str)
            )
    return blocks


def transcript_is_current(blocks: list[str] | None, last_message: str) -> bool:
    """True when the transcript's turn already ends with Stop's ``last_assistant_message``."""
    if blocks is None:
        return False
    if not last_message.strip():
        return True
    return bool(blocks) and blocks[-1].strip() == last_message.strip()


def blocks_from_display(display: list[DisplayBlock], last_message: str) -> list[str] | None:
    """The turn's text blocks from MessageDisplay deltas, or None if they cannot be trusted.

    Every block but the last must be complete. The last may still be streaming (Stop fires
    before its final flush): ``last_assistant_message`` then completes it, provided what arrived
    of it is a prefix of that message. One display message holds a whole API reply, its text
    blocks glued with no separator, while Stop carries only the last block: a display that ends
    with that block is split there (its true boundary); one that does not is provably missing
    the turn's last reply (its display comes after Stop), and the transcript must decide.
    """
    if not display or not all(b.complete for b in display[:-1]):
        return None
    last = last_message.strip()
    texts = [b.text for b in display]
    tail = display[-1]
    if not tail.complete:
        if last and not last.startswith(tail.prefix.strip()):
            return None
        texts[-1] = last_message if last else tail.prefix
    elif last and texts[-1].strip() != last:
        glued = texts[-1].rstrip()
        if not glued.endswith(last):
            return None
        texts[-1:] = [glued[: -len(last)], last_message]
    return [t for t in texts if t.strip()]


def blocks_from_transcript(transcript: list[str] | None, last_message: str) -> list[str]:
    """The turn's text blocks from the transcript, completed with ``last_assistant_message``
    when its last line is not on disk yet; that message alone if the turn is not found."""
    last = last_message.strip()
    texts = [t for t in transcript or [] if t.strip()]
    if last and (not texts or texts[-1].strip() != last):
        texts.append(last_message)
    return texts


def assemble(
    display: list[str] | None, transcript: list[str] | None, last_message: str
) -> list[str]:
    """What a turn said, from its three witnesses: the transcript when it holds the whole turn
    (it alone has every block's true boundaries), else the display if it agrees with Stop
    (:func:`blocks_from_display`), else what the transcript has plus Stop's last block. The one
    place this is decided."""
    shown = letters("".join(display)) if display is not None else 0
    if transcript_is_current(transcript, last_message) and transcript is not None:
        whole = blocks_from_transcript(transcript, last_message)
        if letters("".join(whole)) >= shown:  # else provably short of what was displayed
            return whole
    if display is not None:
        return [unglue(b) for b in display]
    return blocks_from_transcript(transcript, last_message)
