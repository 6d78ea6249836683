"""Accepted hook events on disk until they end, so that a daemon killed mid-speech loses none.

An event is appended (its frame as the hook sent it: a header line, then its stdin byte for
byte, then a newline) before the hook is told "accepted", and a line ``{"done": id}`` follows
when its outcome is booked. At start-up the events without a "done"
line are handed back to be taken again (unless stale), and the file is started afresh. A
plain ``write``: the kernel keeps it across a SIGKILL of the process; fsync would guard against
a power cut at the price of milliseconds per event, which the hook's deadline cannot spare.

Progress within an event is journaled too, so that a restart (SIGTERM or SIGKILL) neither
drops nor repeats speech: ``{"said": id, ...}`` holds the utterance the event became (its
text, as assembled when it was routed: a Stop's text depends on the transcript and display
of that moment), and ``{"heard": id, "n": k}`` says that its first k sentences were played to
the end. The next daemon speaks that text again from sentence k + 1. While the daemon stops
(:meth:`Journal.hold`), what it leaves unsaid is not marked done.

A frame torn by a full disk (fewer bytes than its header announced) or a line of garbage costs
nothing but itself: the reader checks that each frame ends where a record (or the file) ends,
and otherwise finds the next valid record and goes on from there. What it could not read is
logged once, counted in :meth:`Journal.status` and appended to ``journal.rejected`` (0600)
beside the journal, so that nothing is lost silently.

A journal that cannot be written (a full disk) does not stop the daemon: the event is taken
anyway (it is only at risk from a crash) and :attr:`Journal.error` says so, for ``status``.
Must not import the pipeline or anything that speaks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tts_core.errors import ProtocolError
from tts_core.protocol import HookEvent, body_size, decode, hook_frame

log = logging.getLogger(__name__)
MAX_AGE_S = 120.0
"""Older unfinished events are not taken again at start-up: stale news."""
COMPACT_AT = 4 * 1024 * 1024
"""Start the file afresh once it is this big and nothing in it is still open."""
REJECTED_MAX = 16 * 1024 * 1024
"""``journal.rejected`` grows no further than this (a disk filling with garbage stops here)."""
LOGGED_REJECTS = 20
"""Unreadable spans logged one by one at start-up; beyond them, one line says how many more."""
SAID_MAX = 1024 * 1024
"""Longest utterance text journaled; a longer one is routed again from its event instead."""
_START = re.compile(rb'\{"(?:v|done|said|heard)":')
"""Where a record may begin: a hook frame's header or a control line."""


@dataclass
class Progress:
    """How far a previous run got with one event: the utterance it made (``said``: text,
    session, kind, priority; None if it made none) and how many of its sentences were heard."""

    said: dict[str, object] | None = None
    heard: int = 0


class Journal:
    """One append-only file of accepted events and their ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.open: set[str] = set()
        self.error: str | None = None
        self.rejected = 0
        """Unreadable spans (torn frames, garbage lines) found in this run's start-up read."""
        self.rejected_path = path.with_name(path.name.removesuffix(".jsonl") + ".rejected")
        self.progress: dict[str, Progress] = {}
        """What the previous run had said of the events :meth:`recover` hands back (taken by
        the caller as it routes them)."""
        self._said: set[str] = set()
        self._held = False
        self._fd: int | None = None

    def recover(self) -> tuple[list[HookEvent], int]:
        """The unfinished events of a previous run (oldest first) and how many stale ones were
        left out; the file then starts afresh."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            data = b""
        except OSError as exc:
            self._fail(f"cannot read the journal {self.path}: {exc.strerror or exc}")
            data = b""
        contents = read(data)
        self._set_aside(contents.rejected)
        pending = contents.events
        now = time.time()
        fresh = [e for e in pending if not e.sent_at or now - e.sent_at <= MAX_AGE_S]
        self._restart()
        for event in fresh:
            self.append(event)
            progress = contents.progress.get(event.id)
            if progress is not None:
                self.progress[event.id] = progress
                if progress.said is not None:
                    self.said(event.id, progress.said)
                if progress.heard:
                    self.heard(event.id, progress.heard)
        return fresh, len(pending) - len(fresh)

    def append(self, event: HookEvent) -> bool:
        """Record ``event`` (by its id) before it is acknowledged; False if that failed (never
        raises: the event is taken all the same)."""
        raw = event.raw.encode("utf-8", "surrogatepass")
        frame = hook_frame(
            raw, event.env, event.sent_at, event.id, event.truncated, partial=event.partial
        )
        if self._write(frame + b"\n"):  # the newline lets a reader check where the frame ends
            self.open.add(event.id)
            return True
        return False

    def said(self, event_id: str, utterance: dict[str, object]) -> None:
        """``event_id`` became ``utterance`` (its ``text`` and what it is spoken as): a restart
        speaks that again, not what routing the event anew would give. Once per event."""
        text = utterance.get("text")
        if event_id not in self.open or event_id in self._said:
            return
        if not isinstance(text, str) or len(text) > SAID_MAX:
            return  # too long to copy: a restart routes the event again
        self._said.add(event_id)
        self._write(json.dumps({"said": event_id, **utterance}).encode() + b"\n")

    def heard(self, event_id: str, n: int) -> None:
        """The first ``n`` sentences of ``event_id``'s utterance were played to the end."""
        if event_id in self.open:
            self._write(json.dumps({"heard": event_id, "n": n}).encode() + b"\n")

    def hold(self) -> None:
        """The daemon is stopping: what ends from now on (cut by the stop) stays open, to be
        spoken by the next daemon from its first sentence not heard."""
        self._held = True

    def done(self, event_id: str) -> None:
        """``event_id`` has its outcome: it will not be taken again."""
        if event_id not in self.open or self._held:
            return
        self.open.discard(event_id)
        self._said.discard(event_id)
        self._write(json.dumps({"done": event_id}).encode() + b"\n")
        if not self.open and self._size() > COMPACT_AT:
            self._restart()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def status(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "open": len(self.open),
            "error": self.error,
            "rejected": self.rejected,
            "rejected_file": str(self.rejected_path) if self.rejected else None,
        }

    def _set_aside(self, spans: list[bytes]) -> None:
        """Log, count and keep the unreadable spans of the journal read at start-up."""
        self.rejected = len(spans)
        for n, span in enumerate(spans):
            if n < LOGGED_REJECTS:
                log.warning(
                    "journal: %d unreadable bytes skipped (%r...), kept in %s",
                    len(span), span[:60], self.rejected_path,
                )  # fmt: skip
        if len(spans) > LOGGED_REJECTS:
            log.warning("journal: %d more unreadable spans skipped", len(spans) - LOGGED_REJECTS)
        if not spans:
            return
        try:
            fd = os.open(
                self.rejected_path,
                os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
            )
        except OSError as exc:
            log.error("journal: cannot keep unreadable bytes in %s: %s", self.rejected_path, exc)
            return
        try:
            room = REJECTED_MAX - os.fstat(fd).st_size
            for span in spans:
                if len(span) + 1 > room:
                    log.error("journal: %s is full; unreadable bytes dropped", self.rejected_path)
                    break
                room -= os.write(fd, span + b"\n")
        except OSError as exc:
            log.error("journal: cannot keep unreadable bytes in %s: %s", self.rejected_path, exc)
        finally:
            os.close(fd)

    def _restart(self) -> None:
        self.close()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(
                self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600
            )
        except OSError as exc:
            self._fail(f"cannot write the journal {self.path}: {exc.strerror or exc}")

    def _write(self, data: bytes) -> bool:
        if self._fd is None:
            self._restart()
            if self._fd is None:
                return False
        try:
            written = os.write(self._fd, data)
        except OSError as exc:
            self._fail(f"cannot write the journal {self.path}: {exc.strerror or exc}")
            return False
        if written != len(data):  # the disk filled up mid-line: a torn line is skipped later
            self._fail(f"the journal {self.path} is full")
            return False
        if self.error is not None:
            log.info("the journal is written again")
            self.error = None
        return True

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def _fail(self, message: str) -> None:
        if self.error != message:
            log.error("%s: accepted events are not safe from a crash until it is fixed", message)
        self.error = message


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
