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
nothing but itself: the reader (:mod:`~tts_core.daemon.journal_reader`) resynchronizes on the
next valid record. What it could not read is logged once, counted in :meth:`Journal.status`
and appended to ``journal.rejected`` (0600) beside the journal: nothing is lost silently.

A journal that cannot be written (a full disk) does not stop the daemon: the event is taken
anyway (it is only at risk from a crash) and :attr:`Journal.error` says so, for ``status``.
Must not import the pipeline or anything that speaks.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from tts_core.daemon.journal_reader import Progress, read, unfinished
from tts_core.protocol import HookEvent, hook_frame

__all__ = ["Journal", "Progress", "unfinished"]

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
