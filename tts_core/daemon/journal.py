"""Accepted hook events on disk until they end, so that a daemon killed mid-speech loses none.

An event is appended (its frame as the hook sent it: a header line, then its stdin byte for
byte) before the hook is told "accepted", and a line ``{"done": id}`` follows when its outcome
is booked. At start-up the events without a "done"
line are handed back to be taken again (unless stale), and the file is started afresh. A
plain ``write``: the kernel keeps it across a SIGKILL of the process; fsync would guard against
a power cut at the price of milliseconds per event, which the hook's deadline cannot spare.

A journal that cannot be written (a full disk) does not stop the daemon: the event is taken
anyway (it is only at risk from a crash) and :attr:`Journal.error` says so, for ``status``.
Must not import the pipeline or anything that speaks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path

from tts_core.errors import ProtocolError
from tts_core.protocol import HookEvent, body_size, decode, hook_frame

log = logging.getLogger(__name__)
MAX_AGE_S = 120.0
"""Older unfinished events are not taken again at start-up: stale news."""
COMPACT_AT = 4 * 1024 * 1024
"""Start the file afresh once it is this big and nothing in it is still open."""


class Journal:
    """One append-only file of accepted events and their ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.open: set[str] = set()
        self.error: str | None = None
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
        pending = unfinished(data)
        now = time.time()
        fresh = [e for e in pending if not e.sent_at or now - e.sent_at <= MAX_AGE_S]
        self._restart()
        for event in fresh:
            self.append(event)
        return fresh, len(pending) - len(fresh)

    def append(self, event: HookEvent) -> bool:
        """Record ``event`` (by its id) before it is acknowledged; False if that failed (never
        raises: the event is taken all the same)."""
        raw = event.raw.encode("utf-8", "surrogatepass")
        frame = hook_frame(raw, event.env, event.sent_at, event.id, event.truncated)
        if self._write(frame):
            self.open.add(event.id)
            return True
        return False

    def done(self, event_id: str) -> None:
        """``event_id`` has its outcome: it will not be taken again."""
        if event_id not in self.open:
            return
        self.open.discard(event_id)
        self._write(json.dumps({"done": event_id}).encode() + b"\n")
        if not self.open and self._size() > COMPACT_AT:
            self._restart()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def status(self) -> dict[str, object]:
        return {"file": str(self.path), "open": len(self.open), "error": self.error}

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


def unfinished(data: bytes) -> list[HookEvent]:
    """The events of a journal's bytes that have no "done" line, oldest first. Lines cut short
    by a kill or a full disk are skipped."""
    pending: dict[str, HookEvent] = {}
    at = 0
    while at < len(data):
        end = data.find(b"\n", at)
        if end < 0:
            break  # a line cut short by the kill
        line, at = data[at:end], end + 1
        if line.startswith(b'{"done":'):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                pending.pop(json.loads(line)["done"], None)
            continue
        try:
            size = body_size(line)
            body, at = data[at : at + size], at + size
            event = decode(line + b"\n" + body)
        except ProtocolError:
            continue  # torn by a full disk or the kill: what follows may still be whole
        if isinstance(event, HookEvent) and event.id:
            pending[event.id] = event
    return list(pending.values())
