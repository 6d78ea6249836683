"""Is another application recording from a microphone (a call)? An adapter behind
:class:`MicProbe`.

On Linux, PulseAudio and PipeWire's PulseAudio server answer ``pactl list sources`` and
``pactl list source-outputs``: a recording is a source output that is not corked, on a source
that is not a monitor (recording what the speakers play, as our own tests do, is not a call).
Each ``pactl`` runs with a time limit and at most :data:`OUTPUT_MAX` bytes of its output read;
callers run :meth:`MicProbe.recording` on a worker thread, never on the event loop. Elsewhere
(macOS) there is no check without new dependencies: :func:`probe_for` says it is unsupported.
Imports nothing of tts_core above the errors.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import sys
import time
from typing import Protocol

TIMEOUT_S = 2.0
OUTPUT_MAX = 1024 * 1024
"""Bytes of one ``pactl`` listing read at most (a machine with hundreds of streams: ~100 kB)."""
APP_MAX = 64


class MicUnknown(Exception):
    """The check could not tell (no sound server, pactl failed or hung)."""


class MicProbe(Protocol):
    """What the daemon asks: which applications record from a microphone now."""

    name: str

    def recording(self) -> list[str]:
        """The applications recording (empty: none). Blocking; raises :class:`MicUnknown`."""
        ...


def _run(args: list[str]) -> str:
    env = {**os.environ, "LC_ALL": "C"}
    try:
        proc = subprocess.Popen(
            ["pactl", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
    except OSError as exc:
        raise MicUnknown(f"cannot run pactl: {exc.strerror or exc}") from None
    assert proc.stdout is not None
    deadline = time.monotonic() + TIMEOUT_S
    out = bytearray()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while len(out) <= OUTPUT_MAX:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise MicUnknown(f"pactl took over {TIMEOUT_S:.0f} s")
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
        code = proc.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise MicUnknown(f"pactl took over {TIMEOUT_S:.0f} s") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if len(out) > OUTPUT_MAX:
        raise MicUnknown(f"pactl wrote over {OUTPUT_MAX} bytes")
    if code != 0:
        raise MicUnknown("no sound server answered pactl")
    return bytes(out).decode("utf-8", "replace")


def _blocks(listing: str, kind: str) -> list[tuple[str, str]]:
    """(index, text) of each ``<kind> #<index>`` block of a ``pactl list`` listing."""
    parts = re.split(rf"^{kind} #(\d+)\s*$", listing, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _field(block: str, name: str) -> str:
    match = re.search(rf"^\s*{re.escape(name)}\s*(.*)$", block, re.MULTILINE)
    return match.group(1).strip() if match else ""


def microphones(sources: str) -> set[str]:
    """Indexes of the sources that are not monitors, from ``pactl list sources``."""
    out = set()
    for index, block in _blocks(sources, "Source"):
        monitor = _field(block, "Monitor of Sink:") not in ("", "n/a")
        monitor = monitor or 'device.class = "monitor"' in block
        if not monitor:
            out.add(index)
    return out


def recorders(outputs: str, mics: set[str]) -> list[str]:
    """Applications with an uncorked source output on one of ``mics``."""
    apps: list[str] = []
    for index, block in _blocks(outputs, "Source Output"):
        if _field(block, "Source:") not in mics or _field(block, "Corked:") == "yes":
            continue
        name = _field(block, "application.name =").strip('"') or f"stream {index}"
        apps.append(name[:APP_MAX])
    return sorted(set(apps))


class PactlProbe:
    """The check on PulseAudio or PipeWire (its PulseAudio server), through ``pactl``."""

    name = "pactl"

    def recording(self) -> list[str]:
        return recorders(_run(["list", "source-outputs"]), microphones(_run(["list", "sources"])))


def probe_for(platform: str = sys.platform) -> MicProbe | None:
    """The check for this system; None where it is unsupported (macOS, no pactl)."""
    if platform.startswith("linux") and shutil.which("pactl"):
        return PactlProbe()
    return None
