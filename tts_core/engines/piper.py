"""Piper with its "joe" voice: the natural-sounding offline English voice, in a worker process.

Optional: ``pip install 'claude-tts[voice-en]'``. Piper is GPL-3.0, so its code never runs in
the daemon's process: one long-lived worker per voice (:mod:`tts_core.engines.piper_worker`,
``python -I``, a minimal environment) is started on first use and kept warm. Each sentence has
a deadline; a worker that dies or misses it is replaced and the sentence it held is asked of
the new one (parts already played are not repeated). When speech is cancelled, the worker's
unfinished reply is drained for at most :data:`DRAIN_S`, else the worker is killed and a fresh
one started at once, so the next sentence finds a ready voice.

Replies are fixed binary headers and raw PCM with bounded sizes (see the worker's docstring);
nothing from the worker is parsed beyond that. This module must not import ``piper`` (that is
the worker's alone) nor another engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from tts_core.audio.pcm import Audio
from tts_core.config.schema import VoiceOptions
from tts_core.engines import piper_worker as wire
from tts_core.engines import registry
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language

log = logging.getLogger(__name__)

VOICE = "joe"
THREADS = 1
"""Threads of the worker's ONNX session: measured 11x real time with 1 thread, 9x with 2 on
two cores (the second thread costs more in contention than it gives)."""
LOAD_S = 60.0
"""Deadline for a worker to load its voice (a busy machine, a cold disk)."""
DEADLINE_BASE_S = 3.0
DEADLINE_PER_CHAR_S = 0.05
"""A sentence's deadline: base + per character (~20x what a busy two-core machine needs)."""
DRAIN_S = 0.25
"""After a cancel: how long the rest of a reply may take before the worker is killed."""
MAX_PART_S = 120
MIN_RATE, MAX_RATE = 8000, 96000
INSTALL_HINT = "pip install 'claude-tts[voice-en]'"
WORKER = Path(__file__).with_name("piper_worker.py")


class _WorkerFailed(Exception):
    """The worker died, broke the wire format or missed the deadline: replace it."""


class _Worker:
    """One worker process, its pipes, and what it is doing. Used from one event loop."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.loop = asyncio.get_running_loop()
        self.proc: asyncio.subprocess.Process | None = None
        self.rate = 0
        self.lock = asyncio.Lock()
        self.busy: asyncio.Task[None] | None = None
        """A drain or a restart under way: the next sentence waits for it."""
        self.ids = itertools.count(1)
        self.stderr_tail = b""
        self.stderr_reader: asyncio.Task[None] | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def start(self) -> None:
        self.kill()
        # No HOME, and onnxruntime's telemetry (a device id and events under ~/.cache, sent to
        # Microsoft) off: the voice keeps the text and the machine to itself.
        env = {"PATH": os.defpath, "LC_ALL": "C.UTF-8", "OMP_NUM_THREADS": str(self.threads),
               "ORT_DISABLE_TELEMETRY": "1"}  # fmt: skip
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-I", str(WORKER), "--threads", str(self.threads),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=env, start_new_session=True,
        )  # fmt: skip
        self.starts += 1
        # Held, so the task is not collected: an unread stderr would fill its pipe and block
        # the worker.
        self.stderr_reader = self.loop.create_task(self._keep_stderr_tail(self.proc))
        kind, _, rate, _ = await self._header(LOAD_S, "load its voice")
        if kind != wire.READY:
            raise _WorkerFailed(f"it said {kind} instead of ready")
        self.rate = rate
        log.info("piper worker %s ready (%d threads)", self.proc.pid, self.threads)

    async def _keep_stderr_tail(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        with contextlib.suppress(Exception):
            while chunk := await proc.stderr.read(4096):
                self.stderr_tail = (self.stderr_tail + chunk)[-2000:]

    def kill(self) -> asyncio.subprocess.Process | None:
        """End the worker now (SIGKILL to its process group); returns it, to be waited for."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if proc.stdin is not None and not self.loop.is_closed():
            proc.stdin.close()
        return proc

    def _why(self) -> str:
        last = self.stderr_tail.decode("utf-8", "replace").strip().splitlines()[-1:]
        return f" ({last[0][:300]})" if last else ""

    async def _header(self, timeout: float, doing: str) -> tuple[int, int, int, int]:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            raw = await asyncio.wait_for(self.proc.stdout.readexactly(wire.HEADER.size), timeout)
        except TimeoutError:
            raise _WorkerFailed(f"it did not {doing} within {timeout:.1f} s") from None
        except asyncio.IncompleteReadError:
            await asyncio.sleep(0.05)  # let its last words reach stderr
            raise _WorkerFailed(f"it exited{self._why()}") from None
        magic, kind, req_id, rate, count = wire.HEADER.unpack(raw)
        if magic != wire.MAGIC or kind > wire.ERROR:
            raise _WorkerFailed("it broke the wire format")
        if not MIN_RATE <= rate <= MAX_RATE:
            raise _WorkerFailed(f"it sent a sample rate of {rate}")
        return kind, req_id, rate, count

    async def _payload(self, n: int, timeout: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            return await asyncio.wait_for(self.proc.stdout.readexactly(n), timeout)
        except TimeoutError:
            raise _WorkerFailed(f"it did not finish a reply within {timeout:.1f} s") from None
        except asyncio.IncompleteReadError:
            raise _WorkerFailed(f"it exited mid-reply{self._why()}") from None

    async def exchange(self, req_id: int, text: str, length_scale: float) -> AsyncIterator[Audio]:
        """Send one sentence; yield its parts until the end (raises _WorkerFailed)."""
        if not self._alive():
            await self.start()
        assert self.proc is not None and self.proc.stdin is not None
        body = json.dumps({"id": req_id, "text": text, "length_scale": length_scale}).encode()
        if len(body) > wire.MAX_REQUEST:
            raise EngineError(f"piper: a sentence of {len(text)} characters is too long")
        try:
            self.proc.stdin.write(len(body).to_bytes(4, "big") + body)
            await self.proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            raise _WorkerFailed(f"it exited{self._why()}") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE_BASE_S + DEADLINE_PER_CHAR_S * len(text)
        while True:
            left = max(0.0, deadline - loop.time())
            kind, got_id, rate, count = await self._header(left, "speak a sentence in time")
            if got_id != req_id:
                raise _WorkerFailed(f"it answered request {got_id}, not {req_id}")
            if kind == wire.END:
                return
            if kind == wire.ERROR:
                if count > wire.MAX_ERROR:  # the worker caps its messages: this is not one
                    raise _WorkerFailed(f"it sent an error of {count} bytes")
                message = await self._payload(count, left)
                raise EngineError(f"piper failed: {message.decode('utf-8', 'replace')}")
            if kind != wire.AUDIO or count > MAX_PART_S * rate:
                raise _WorkerFailed(f"it sent a part of {count} samples")
            pcm = await self._payload(2 * count, max(0.0, deadline - loop.time()))
            samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
            yield Audio(samples, rate)

    def abandon(self, req_id: int) -> None:
        """Speech was cancelled mid-reply: drain it briefly, else kill and start afresh."""
        self.busy = self.loop.create_task(self._drain(req_id))

    async def _drain(self, req_id: int) -> None:
        try:
            async with asyncio.timeout(DRAIN_S):
                while True:
                    kind, got, _, count = await self._header(DRAIN_S, "finish")
                    if count and kind in (wire.AUDIO, wire.ERROR):
                        await self._payload(2 * count if kind == wire.AUDIO else count, DRAIN_S)
                    if got == req_id and kind in (wire.END, wire.ERROR):
                        return
        except (TimeoutError, _WorkerFailed):
            log.info("piper worker killed after a cancel; starting a fresh one")
            with contextlib.suppress(_WorkerFailed, OSError):
                await self.start()


async def _start_quietly(worker: _Worker) -> None:
    try:
        await worker.start()
    except (_WorkerFailed, OSError) as exc:
        log.warning("piper worker did not start: %s (the first sentence tries again)", exc)
        worker.kill()


_WORKERS: dict[tuple[str, int], _Worker] = {}
"""The warm worker of each voice (and thread count), shared by every chain in this process."""


def _worker(threads: int) -> _Worker:
    loop = asyncio.get_running_loop()
    key = (VOICE, threads)
    worker = _WORKERS.get(key)
    if worker is None or worker.loop is not loop or worker.loop.is_closed():
        if worker is not None:
            worker.kill()
        worker = _WORKERS[key] = _Worker(threads)
    return worker


async def close_workers() -> None:
    """End every worker of this process and reap them (tests and benches; the daemon's end
    when it does: their stdin closes)."""
    for worker in list(_WORKERS.values()):
        proc = worker.kill()
        if proc is not None and worker.loop is asyncio.get_running_loop():
            await proc.wait()
    _WORKERS.clear()


def installed() -> list[str]:
    """The modules Piper needs that cannot be found here (nothing is imported)."""
    return [m for m in registry.NEURAL["en"][1] if importlib.util.find_spec(m) is None]


class PiperEngine:
    """Piper's joe voice (US English) through its worker process."""

    name = "piper"
    needs_network = False

    def __init__(self, options: VoiceOptions | None = None) -> None:
        opts = options or VoiceOptions()
        missing = installed()
        if missing:
            raise EngineError(
                f"the Piper voice is not installed ({', '.join(missing)} missing): {INSTALL_HINT}"
            )
        self.length_scale = 1.0 / opts.speed
        self.threads = THREADS
        self._warm_up()

    def _warm_up(self) -> None:
        """Built inside an event loop (the daemon, when a chain first needs this voice): start
        the worker now, in the background, so the first sentence does not wait for its load."""
        try:
            worker = _worker(self.threads)
        except RuntimeError:
            return  # no running loop (``claude-tts voices``): the first sentence starts it
        if worker.busy is None and not worker._alive():
            worker.busy = worker.loop.create_task(_start_quietly(worker))

    def voices(self) -> list[str]:
        return [f"{VOICE} (en-US)"]

    async def worker_pid(self) -> int | None:
        """The pid of this voice's worker, started if need be (``doctor`` and tests)."""
        worker = _worker(self.threads)
        async with worker.lock:
            if worker.busy is not None:
                await worker.busy
            if not worker._alive():
                await worker.start()
        return worker.pid

    async def stream(self, text: str, lang: Language) -> AsyncIterator[Audio]:
        if lang.code != "en":
            raise EngineError(f"piper speaks English only, not {lang.name}")
        worker = _worker(self.threads)
        played = 0
        async with worker.lock:
            if worker.busy is not None:
                with contextlib.suppress(Exception):
                    await worker.busy
                worker.busy = None
            for attempt in (1, 2):
                req_id = next(worker.ids)
                seen = 0
                finished = False
                try:
                    async for part in worker.exchange(req_id, text, self.length_scale):
                        seen += 1
                        if seen <= played:
                            continue  # the replaced worker had it played already
                        played += 1
                        yield part
                    finished = True
                    return
                except _WorkerFailed as exc:
                    finished = True
                    worker.kill()
                    if attempt == 2:
                        raise EngineError(f"the piper worker failed twice: {exc}") from None
                    log.warning("piper worker failed while it held a sentence (%s); a new one "
                                "speaks it", exc)  # fmt: skip
                except EngineError:
                    finished = True
                    raise
                finally:
                    if not finished:  # cancelled, or the consumer stopped listening
                        worker.abandon(req_id)
