"""The resident daemon: builds everything from a Config and runs until told to stop.

Composition root: it wires server -> events -> pipeline (engine, player) and owns the
lifecycle (one instance per user, startup, spool draining, graceful then forced shutdown).
Every accepted event ends in exactly one of the counters spoken, dropped or failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import logging.handlers
import os
import signal
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from tts_core import __version__, languages, textfilter
from tts_core import paths as _paths
from tts_core.audio import Audio
from tts_core.audio_cache import AudioCache
from tts_core.config import Config
from tts_core.engines import Engine, OneShot, chain_names
from tts_core.engines.chain import ChainEngine, build_chain
from tts_core.errors import AudioUnavailable, DaemonAlreadyRunning, EngineError
from tts_core.events import (
    Cancel,
    Drop,
    PayloadError,
    Priority,
    Speak,
    SpeakTurn,
    parse_payload,
    route,
)
from tts_core.languages import Language
from tts_core.pipeline import Pipeline, Utterance
from tts_core.player import Player
from tts_core.protocol import (
    Error,
    HookEvent,
    Message,
    Ok,
    Ping,
    Say,
    Shutdown,
    Shutup,
    StatusReply,
    StatusRequest,
    decode,
)
from tts_core.server import Server
from tts_core.transcript_reader import read_turn
from tts_core.turns import TurnTracker, blocks_from_display, blocks_from_transcript

log = logging.getLogger("tts_core.daemon")
SPOOL_POLL_S = 0.5
SPOOL_MAX_AGE_S = 120.0


class _MissingEngine(OneShot):
    """Stands in for an engine chain that could not be built, so each utterance fails clearly."""

    name = "missing"

    def __init__(self, error: str) -> None:
        self.error = error

    async def synthesize(self, text: str, lang: Language) -> Audio:
        raise EngineError(self.error)


class Daemon:
    def __init__(self, config: Config, paths: _paths.Paths) -> None:
        self.config = config
        self.paths = paths
        self.started = time.time()
        self.counters: Counter[str] = Counter()
        self.dropped_by_reason: Counter[str] = Counter()
        self.last_error: str | None = None
        self.tracker = TurnTracker()
        self._generation: Counter[str] = Counter()  # bumped per session on UserPromptSubmit
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.player = Player(config.voice.output_device)
        self.language = languages.lookup(config.language)
        self.cache = (
            AudioCache(paths.cache / "audio", config.voice.cache_mb * 1024 * 1024)
            if config.voice.cache_mb > 0
            else None
        )
        self._chains: dict[tuple[str, str], ChainEngine | _MissingEngine] = {}
        self.engine = self.chain_for(None, self.language)
        self.pipeline = Pipeline(
            self.engine,
            self.player,
            lambda text: textfilter.sentences(text, self.config.filters, self.config.language),
            on_error=self._error,
        )
        self.server = Server(paths.socket, self.handle)

    def chain_for(self, spec: str | None, lang: Language) -> ChainEngine | _MissingEngine:
        """The engine chain for an engine setting and a language (built once, then reused)."""
        key = (spec or self.config.voice.engine, lang.code)
        if key not in self._chains:
            try:
                options = replace(self.config.voice, engine=key[0])
                self._chains[key] = build_chain(options, lang, self.cache)
            except EngineError as exc:
                self._error(str(exc))
                self._chains[key] = _MissingEngine(str(exc))
        return self._chains[key]

    # ---- accounting -------------------------------------------------------------------------

    def _error(self, message: str) -> None:
        self.last_error = message

    def _finish(self, outcome: str, reason: str = "") -> None:
        self.counters[outcome] += 1
        if outcome == "dropped":
            self.dropped_by_reason[reason or "unspecified"] += 1
        if outcome == "failed":
            log.warning("event failed: %s", reason)

    def status(self) -> dict[str, Any]:
        received = self.counters["received"]
        done = sum(self.counters[k] for k in ("spoken", "dropped", "failed"))
        return {
            "version": __version__,
            "pid": os.getpid(),
            "uptime_s": round(time.time() - self.started, 3),
            "socket": str(self.paths.socket),
            "log_file": str(self.paths.daemon_log),
            "engine": self.engine.name,
            "engines": self.engine.stats() if isinstance(self.engine, ChainEngine) else None,
            "audio_device": self.player.device_name,
            "speaking": self.pipeline.speaking,
            "queue_length": self.pipeline.queue_length,
            "last_error": self.last_error,
            "counters": {
                "received": received,
                "spoken": self.counters["spoken"],
                "dropped": self.counters["dropped"],
                "failed": self.counters["failed"],
                "in_progress": received - done,
            },
            "dropped_by_reason": dict(self.dropped_by_reason),
        }

    # ---- requests ---------------------------------------------------------------------------

    async def handle(self, message: Message) -> Message:
        if isinstance(message, HookEvent):
            self.accept_event(message)
            return Ok("accepted")
        if isinstance(message, Say):
            try:
                lang = languages.lookup(message.lang) if message.lang else self.language
                if message.engine:
                    chain_names(message.engine, lang)
            except (languages.UnknownLanguage, EngineError) as exc:
                return Error("bad_field", str(exc))
            self.counters["received"] += 1
            speak = Speak(message.text, "", Priority.MESSAGE, "say")
            self._speak(speak, lang, self.chain_for(message.engine, lang))
            return Ok("queued")
        if isinstance(message, Shutup):
            n = self.pipeline.cancel(message.session_id, reason="shutup")
            return Ok(f"stopped {n}")
        if isinstance(message, StatusRequest):
            return StatusReply(self.status())
        if isinstance(message, Ping):
            return Ok("pong")
        if isinstance(message, Shutdown):
            self._stop.set()
            return Ok("shutting down")
        return Error("unknown_type", f"{message.TYPE!r} is a reply, not a request")

    def accept_event(self, event: HookEvent) -> None:
        """Count and route one hook event; returns at once (speech happens in the pipeline)."""
        self.counters["received"] += 1
        if event.truncated:
            return self._finish("failed", "hook payload larger than a frame")
        try:
            payload = parse_payload(event.raw)
            decision = route(payload, event.env, self.config, self.tracker)
        except PayloadError as exc:
            log.warning("bad hook payload: %s", exc)
            return self._finish("failed", str(exc))
        log.info("%s -> %s", payload["hook_event_name"], type(decision).__name__)
        if isinstance(decision, Drop):
            self._finish("dropped", decision.reason)
        elif isinstance(decision, Cancel):
            self._generation[decision.session_id] += 1
            self.pipeline.cancel(decision.session_id, reason="user_prompt")
            self._finish("dropped", "control")
        elif isinstance(decision, Speak):
            self._speak(decision)
        elif isinstance(decision, SpeakTurn):
            self._spawn(self._speak_turn(decision))

    def _speak(
        self, speak: Speak, lang: Language | None = None, engine: Engine | None = None
    ) -> None:
        self.pipeline.submit(
            Utterance(
                text=speak.text,
                session_id=speak.session_id,
                priority=speak.priority,
                kind=speak.kind,
                lang=lang or self.language,
                engine=engine,
                on_done=self._finish,
            )
        )

    async def _speak_turn(self, turn: SpeakTurn) -> None:
        session = turn.key[0]
        generation = self._generation[session]
        blocks = blocks_from_display(self.tracker.display_blocks(turn.key), turn.last_message)
        if blocks is None:
            transcript = None
            if turn.transcript_path:
                transcript = await read_turn(
                    Path(turn.transcript_path),
                    turn.key[1] or None,
                    turn.last_message,
                    wait_s=self.config.transcript_wait_s,
                )
            blocks = blocks_from_transcript(transcript, turn.last_message)
        if generation != self._generation[session]:
            return self._finish("dropped", "user_prompt")  # the user moved on meanwhile
        new = self.tracker.take_new(turn.key, blocks)
        if not new:
            return self._finish("dropped", "already_spoken" if blocks else "nothing_to_say")
        self._speak(Speak("\n\n".join(new), session, Priority.MESSAGE, "turn"))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- spool ------------------------------------------------------------------------------

    def drain_spool(self) -> int:
        """Handle events the hook spooled while no daemon ran, oldest first."""
        try:
            names = sorted(n for n in os.listdir(self.paths.spool) if not n.startswith("."))
        except FileNotFoundError:
            return 0
        for name in names:
            path = self.paths.spool / name
            try:
                data = path.read_bytes()
                path.unlink()
            except OSError:
                continue
            try:
                message = decode(data)
            except Exception as exc:
                self.counters["received"] += 1
                self._finish("failed", f"unreadable spool file {name}: {exc}")
                continue
            if not isinstance(message, HookEvent):
                continue
            age = time.time() - message.sent_at
            if message.sent_at and age > SPOOL_MAX_AGE_S:
                # Spooled while no daemon could run: too old to be worth saying now.
                log.info("spooled event %s is %.0f s old: dropped", name, age)
                self.counters["received"] += 1
                self._finish("dropped", "stale")
                continue
            log.info("spooled event %s", name)
            self.accept_event(message)
        return len(names)

    async def _spool_loop(self) -> None:
        while True:
            self.drain_spool()
            await asyncio.sleep(SPOOL_POLL_S)

    # ---- lifecycle --------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.pipeline.start()
        await self.server.start()
        self.paths.pidfile.write_text(f"{os.getpid()}\n")
        signals = 0

        def on_signal() -> None:
            nonlocal signals
            signals += 1
            if signals > 1:
                log.warning("second signal: exiting now")
                with contextlib.suppress(OSError):
                    self.paths.socket.unlink()
                os._exit(1)
            log.info("signal received: shutting down")
            self._stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, on_signal)
        log.info(
            "claude-tts %s listening on %s (pid %d)", __version__, self.paths.socket, os.getpid()
        )
        self._spawn(self._spool_loop())
        self._spawn(self._probe_audio())
        try:
            await self._stop.wait()
        finally:
            await self.pipeline.close()  # audio stops first
            await self.server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(FileNotFoundError):
                self.paths.pidfile.unlink()
            log.info("stopped; %s", dict(self.counters))

    async def _probe_audio(self) -> None:
        try:
            name = await asyncio.to_thread(self.player.probe)
            log.info("audio output: %s", name)
        except AudioUnavailable as exc:
            self._error(str(exc))
            log.error("%s", exc)


def acquire_lock(paths: _paths.Paths) -> int:
    """Take the per-user daemon lock (held until the process exits). Raises if taken."""
    _paths.ensure_private_dir(paths.runtime)
    fd = os.open(paths.lockfile, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        pid = ""
        with contextlib.suppress(OSError):
            pid = paths.pidfile.read_text().strip()
        raise DaemonAlreadyRunning(
            f"claude-tts daemon is already running{f' (pid {pid})' if pid else ''}"
        ) from None
    return fd


def setup_logging(paths: _paths.Paths, level: str = "INFO", to_stderr: bool = False) -> None:
    _paths.ensure_private_dir(paths.log)
    handler: logging.Handler = logging.handlers.RotatingFileHandler(
        paths.daemon_log, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(fmt)
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    if to_stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(fmt)
        root.addHandler(stream)


def serve(config: Config, paths: _paths.Paths, *, verbose: bool = False) -> None:
    """Run the daemon in the foreground until SIGTERM or a shutdown request."""
    lock = acquire_lock(paths)
    try:
        setup_logging(paths, to_stderr=verbose)
        asyncio.run(_main(config, paths))
    finally:
        os.close(lock)


async def _main(config: Config, paths: _paths.Paths) -> None:
    await Daemon(config, paths).run()
