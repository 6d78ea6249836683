"""Reading the journal back (at start-up): each whole record in order, the torn and foreign
spans set apart, and how far each unfinished event got. Pure: bytes in, records out.

A frame torn by a full disk (fewer bytes than its header announced) or a line of garbage costs
nothing but itself: each frame must end where a record (or the file) ends, and otherwise the
reader finds the next valid record and goes on from there. The file's layout is
:mod:`tts_core.daemon.journal`'s.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field

from tts_core.errors import ProtocolError
from tts_core.protocol import HookEvent, body_size, decode

_START = re.compile(rb'\{"(?:v|done|said|heard)":')
"""Where a record may begin: a hook frame's header or a control line."""


@dataclass
class Progress:
    """How far a previous run got with one event: the utterance it made (``said``: text,
    session, kind, priority; None if it made none) and how many of its sentences were heard."""

    said: dict[str, object] | None = None
    heard: int = 0


@dataclass
class Contents:
    """What a journal's bytes say: the events still open (oldest first) and the spans that
    could not be read."""

    events: list[HookEvent] = field(default_factory=list)
    rejected: list[bytes] = field(default_factory=list)
    progress: dict[str, Progress] = field(default_factory=dict)


def unfinished(data: bytes) -> list[HookEvent]:
    """The events of a journal's bytes that have no "done" line, oldest first."""
    return read(data).events


def read(data: bytes) -> Contents:
    """Read a journal's bytes record by record. A record that is not whole (a frame shorter
    than its header says, a line of garbage, a line cut short at the end) is set aside, and
    reading goes on at the next place where a whole record starts."""
    pending: dict[str, HookEvent] = {}
    out = Contents()
    at = 0
    while at < len(data):
        if data[at : at + 1] == b"\n":  # a blank line (or an old frame's body ending in one)
            at += 1
            continue
        record = _record_at(data, at)
        if record is None:
            resume = _next_record(data, at + 1)
            out.rejected.append(data[at:resume])
            at = resume
            continue
        value, at = record
        if isinstance(value, HookEvent):
            pending[value.id] = value
        elif isinstance(value, str):
            pending.pop(value, None)
            out.progress.pop(value, None)
        elif "said" in value:
            said = {k: v for k, v in value.items() if k != "said"}
            out.progress.setdefault(str(value["said"]), Progress()).said = said
        else:
            entry = out.progress.setdefault(str(value["heard"]), Progress())
            n = value["n"]
            entry.heard = max(entry.heard, n if isinstance(n, int) else 0)
    out.events = list(pending.values())
    out.progress = {e.id: out.progress[e.id] for e in out.events if e.id in out.progress}
    return out


def _line_at(data: bytes, at: int) -> tuple[object, int] | None:
    """The record whose first line starts at ``at``, read from that line alone: a hook
    header (a dict, its body not read), a done id, or a said or heard line (a dict); and where
    the line ends. None if the line is not one."""
    end = data.find(b"\n", at)
    if end < 0:
        return None  # cut short by a kill or a full disk
    line = data[at:end]
    if line.startswith(b'{"v":'):
        try:
            body_size(line)
            header = json.loads(line)
        except (ProtocolError, ValueError):
            return None
        if isinstance(header, dict) and header.get("type") == HookEvent.TYPE:
            return header, end + 1
        return None
    if line.startswith((b'{"done":', b'{"said":', b'{"heard":')):
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict) and isinstance(value.get("done"), str):
                return value["done"], end + 1
            said = isinstance(value, dict) and isinstance(value.get("said"), str)
            if said and isinstance(value.get("text"), str):
                return value, end + 1
            if isinstance(value, dict) and isinstance(value.get("heard"), str):
                n = value.get("n")
                if isinstance(n, int) and not isinstance(n, bool) and n >= 0:
                    return value, end + 1
    return None


def _record_at(data: bytes, at: int) -> tuple[HookEvent | str | dict[str, object], int] | None:
    """The whole record at ``at`` (a hook event, the id a done line closes, or a said or heard
    line) and where the next one starts; None if there is no whole record there."""
    first = _line_at(data, at)
    if first is None:
        return None
    value, body = first
    if not isinstance(value, dict):
        return str(value), body
    if "said" in value or "heard" in value:
        return value, body
    header = data[at : body - 1]
    end = body + body_size(header)
    if end > len(data):
        return None  # torn at the end of the file
    if data[end : end + 1] == b"\n":
        end += 1  # written by this version: a frame ends with a newline
    after = end
    while data[after : after + 1] == b"\n":
        after += 1
    if (
        data.find(b"\n", after) >= 0
        and _line_at(data, after) is None
        and _starts_in(data, body, end)
    ):
        # A torn frame: its announced size runs into what was written after it. (A whole frame
        # is followed by a record, the end of the file, a last line cut short, or garbage.)
        return None
    try:
        event = decode(data[at:end])
    except ProtocolError:
        return None
    if not isinstance(event, HookEvent) or not event.id:
        return None
    return event, end


def _starts_in(data: bytes, start: int, end: int) -> bool:
    """Whether a record's first line starts between ``start`` and ``end``."""
    return any(_line_at(data, m.start()) is not None for m in _START.finditer(data, start, end))


def _next_record(data: bytes, at: int) -> int:
    """Where the next whole record starts at or after ``at`` (the end of ``data`` if none)."""
    for match in _START.finditer(data, at):
        if _record_at(data, match.start()) is not None:
            return match.start()
    return len(data)
