"""The resident daemon: builds everything from the Config and serves until told to stop.

Composition root: it wires server -> events -> pipeline (engine chain, player), keeps the
config current (live reload, project overrides) and accounts for every event: each one the
daemon accepts ends in exactly one of the counters spoken, dropped or failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from tts_core import __version__
from tts_core import paths as _paths
from tts_core.audio.mic import MicProbe, probe_for
from tts_core.audio.player import Player
from tts_core.claude_code.events import (
    Speak,
)  # fmt: skip
from tts_core.config import loader
from tts_core.config.schema import Config
from tts_core.config.state import SETTLE_S, ConfigState
from tts_core.config.watch import ConfigWatcher
from tts_core.daemon.books import Accounting, Ticket
from tts_core.daemon.catchup import Missed
from tts_core.daemon.history import History
from tts_core.daemon.intake import Intake
from tts_core.daemon.journal import Journal
from tts_core.daemon.quiet import MicWatch
from tts_core.daemon.server import Server
from tts_core.engines.registry import chain_names
from tts_core.errors import AudioUnavailable, EngineError
from tts_core.languages import catalog
from tts_core.languages.catalog import Language
from tts_core.protocol import (
    Error,
    HistoryReply,
    HistoryRequest,
    HookEvent,
    Message,
    Ok,
    Pause,
    Ping,
    Replay,
    Resume,
    Say,
    Shutdown,
    Shutup,
    StatusReply,
    StatusRequest,
    Toggle,
)  # fmt: skip
from tts_core.speech.chains import Voices
from tts_core.speech.pipeline import Pipeline
from tts_core.speech.policy import Priority  # fmt: skip
from tts_core.speech.utterance import Utterance
from tts_core.speech.voicing import Plan, Voicing
from tts_core.translate.service import TranslatorSlot

log = logging.getLogger(__name__)


class Daemon:
    """The composition root: builds the server, the pipeline and its adapters from the Config,
    routes each request and hook event, and keeps the books. Owns neither signals nor the event
    loop (:mod:`tts_core.daemon.process` does)."""

    def __init__(
        self, paths: _paths.Paths, player: Player | None = None, mic: MicProbe | None = None
    ) -> None:
        self.paths = paths
        self.started = time.time()
        self.accounts = Accounting()
        self._stop = asyncio.Event()
        self._reloading = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._left: str | None = None
        self.settings = ConfigState(paths.config / loader.USER_FILE, paths.trusted_projects)
        self.settings.reload()  # the user's own file, before anything is served
        self.player = player or Player()
        self.voicing = Voicing(
            Voices(paths.cache / "audio", self.accounts.error),
            TranslatorSlot(paths.cache / "models"),
            on_error=self.accounts.error,
        )
        self.history = History()
        self.missed = Missed()
        self.intake = Intake(
            self.accounts,
            Journal(paths.state / "journal.jsonl"),
            self.settings.project,
            self._speak,
            self._cancel_session,
        )
        self._apply(self.settings.config)
        self.pipeline = Pipeline(
            self.player,
            on_error=self.accounts.error,
            on_finished=self._finished,
            voicing=self.voicing,
        )
        self.server = Server(paths.socket, self.handle)
        self.mic = MicWatch(
            mic or probe_for(), self.pipeline, lambda: self.config.speak.quiet_while_mic_in_use
        )

    # ---- configuration ----------------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self.settings.config

    def _apply(self, config: Config) -> None:
        """Make the daemon follow ``config`` from the next utterance on."""
        logging.getLogger().setLevel(config.log_level)
        if self.player.wanted_device != config.voice.output_device:
            self.player.wanted_device = config.voice.output_device
            self.player.device_name = None
        self.voicing.apply(config)

    def reload_config(self) -> None:
        """The config file changed (the watcher says so, on the loop): read it in a thread, so
        that a slow disk or a big file never holds up requests, then follow it here."""
        self._spawn(self._reload())

    async def _reload(self) -> None:
        async with self._reloading:  # one at a time, in order
            changed = await self.settings.run(self.settings.reload)
        if self.settings.unsettled:  # still being written: look again once it is still
            asyncio.get_running_loop().call_later(SETTLE_S, self.reload_config)
        if changed:
            self._apply(self.config)

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "pid": os.getpid(),
            "uptime_s": round(time.time() - self.started, 3),
            "socket": str(self.paths.socket),
            "log_file": str(self.paths.daemon_log),
            "environment": sorted(os.environ),  # names only: what the daemon was started with
            **self.voicing.status(self.config),  # language, engine chain, who spoke, translation
            "audio_device": self.player.device_name,
            "speaking": self.pipeline.speaking,
            "queue_length": self.pipeline.queue_length,
            "holding": self.pipeline.holds.status(),
            "paused_since": getattr(self.pipeline.holds.reasons.get("pause"), "since", None),
            "microphone": self.mic.status(),
            "config": {**self.settings.status(), "rules_off": [*self.voicing.rules_off.values()]},
            **self.accounts.status(),
            "timings": self.history.timings(),
            **self.intake.status(),
        }

    # ---- requests ---------------------------------------------------------------------------

    async def handle(self, message: Message) -> Message:
        """Answer one request; a reply type sent as a request gets an error reply."""
        handler = self._handlers.get(type(message))
        if handler is None:
            return Error("unknown_type", f"{message.TYPE!r} is a reply, not a request")
        reply = handler(message)
        return await reply if isinstance(reply, Awaitable) else reply

    @property
    def _handlers(self) -> dict[type[Message], Callable[[Any], Message | Awaitable[Message]]]:
        return {
            HookEvent: self._on_event,
            Say: self._on_say,
            Shutup: lambda m: Ok(f"stopped {self.pipeline.cancel(m.session_id, reason='shutup')}"),
            StatusRequest: lambda m: StatusReply(self.status()),
            Ping: lambda m: Ok("pong"),
            HistoryRequest: lambda m: HistoryReply(self.history.last(m.limit)),
            Replay: self._on_replay,
            Pause: lambda m: self._pause(),
            Resume: lambda m: self._resume(),
            Toggle: lambda m: (
                self._resume() if "pause" in self.pipeline.holds.reasons else self._pause()
            ),
            Shutdown: self._on_shutdown,
        }

    def _pause(self) -> Message:
        if "pause" in self.pipeline.holds.reasons:
            return Ok("already paused")
        self.pipeline.hold("pause", "paused")
        return Ok("paused")

    def _resume(self) -> Message:
        if "pause" not in self.pipeline.holds.reasons:
            return Ok("not paused")
        self.pipeline.release("pause")
        self._catch_up()
        still = "; ".join(h.why for h in self.pipeline.holds.reasons.values())
        return Ok(f"resumed; still holding: {still}" if still else "resumed")

    def _cancel_session(self, session: str) -> None:
        self.pipeline.cancel(session, reason="user_prompt")
        self._catch_up()

    def _finished(self, utterance: Utterance, outcome: str, reason: str) -> None:
        self.history.record(utterance, outcome, reason)
        self.missed.record(utterance, outcome, reason)

    def _catch_up(self) -> None:
        """The user is back (a prompt, ``resume``): say once what sessions lost meanwhile."""
        if not self.config.sessions.catch_up:
            return
        self.pipeline.expire()  # what is stale by now counts as lost now
        text, taken = self.missed.take()
        if not text:
            return
        ticket = self.accounts.ticket()

        def said(outcome: str, reason: str) -> None:
            if outcome != "spoken":
                self.missed.put_back(taken)

        speak = Speak(text, "", Priority.NOTIFICATION, "catch_up")
        self._speak(speak, self.config, ticket=ticket, done_hook=said)

    def _on_event(self, message: HookEvent) -> Message:
        # Journaled before the answer; routed (config, transcript...) after it is written.
        return Ok("accepted" if self.intake.take(message) else "duplicate")

    def _on_say(self, message: Say) -> Message | Awaitable[Message]:
        try:
            lang = catalog.lookup(message.lang) if message.lang else None
            plan = self._plan(self.config, lang=lang, engine=message.engine or "")
            if message.engine:
                chain_names(message.engine, plan.target)  # checked for the language it speaks
        except (catalog.UnknownLanguage, EngineError) as exc:
            return Error("bad_field", str(exc))
        speak = Speak(message.text, "", Priority.MESSAGE, "say")
        done: asyncio.Future[tuple[str, str, str]] = asyncio.get_running_loop().create_future()
        self._speak(speak, self.config, plan=plan, ticket=self.accounts.ticket(), done=done)
        return self._said(done) if message.wait else Ok("queued")

    @staticmethod
    async def _said(done: asyncio.Future[tuple[str, str, str]]) -> Message:
        outcome, reason, voices = await done
        if outcome == "spoken":
            return Ok(f"spoken by {voices}")
        return Error("not_spoken", f"nothing was heard: {outcome}: {reason or 'no reason given'}")

    def _on_replay(self, message: Replay) -> Message:
        if not self.history.entries:
            return Error("empty", "nothing has been spoken yet")
        last = self.history.entries[-1]
        # Every sentence the filter made of it, whole (history keeps the source text only in
        # part), said again through the same stages.
        text = "\n\n".join(last["to_say"]) or last["source"]
        speak = Speak(text, last["session_id"], Priority.MESSAGE, "replay")
        plan = self._plan(self.config, lang=catalog.lookup(last["lang"]))
        self._speak(speak, self.config, plan=plan, ticket=self.accounts.ticket())
        said, heard = len(last["spoken"]), len(last["heard"])
        if heard < said:
            return Ok(
                f"queued; last time {heard} of {said} sentences were heard ({last['reason']})"
            )
        return Ok("queued")

    async def _on_shutdown(self, message: Shutdown) -> Message:
        left = await self._leave()
        self.request_stop()
        return Ok(left)

    async def _leave(self) -> str:
        """Stop speaking, leaving what is unsaid open in the journal for the next start; say
        what that is (once: a shutdown request, then the stop itself)."""
        if self._left is None:
            self.intake.hold()
            waiting = [u for u in self.pipeline.waiting() if u.on_heard is not None]
            await self.pipeline.close()  # audio stops first
            self._left = await self._unspoken(waiting)
            log.info("stopping: %s", self._left or "nothing left unspoken")
        return self._left

    async def _unspoken(self, waiting: list[Utterance]) -> str:
        """``N answers (M sentences) left unspoken...`` for the journaled utterances cut
        ("" if none)."""
        if not waiting:
            return ""
        counts = {id(u): len(u.sentences) for u in waiting if u.sentences}
        unsplit = [u for u in waiting if not u.sentences]
        try:  # the text filter is slow on a long text: a thread, and a bound
            split = await asyncio.wait_for(
                asyncio.to_thread(lambda: [len(self.pipeline.sentences(u)) for u in unsplit]), 2.0
            )
        except TimeoutError:
            split = []
        counts.update((id(u), n) for u, n in zip(unsplit, split, strict=False))
        if len(counts) < len(waiting):
            sentences = ""
        else:
            left = sum(max(0, counts[id(u)] - max(u.reached, u.skip)) for u in waiting)
            sentences = f" ({left} sentence{'s'[: left != 1]})"
        answers = f"{len(waiting)} answer{'s'[: len(waiting) != 1]}"
        return f"{answers}{sentences} left unspoken, resumed at the next start"

    def request_stop(self) -> None:
        """Begin a graceful stop (a shutdown request, or the first signal)."""
        self._stop.set()

    def _plan(self, config: Config, *, lang: Language | None = None, engine: str = "") -> Plan:
        return self.voicing.plan(config, lang=lang, engine=engine)

    def _speak(
        self,
        speak: Speak,
        config: Config,
        *,
        ticket: Ticket,
        plan: Plan | None = None,
        project: str = "",
        hook_ms: float | None = None,
        done: asyncio.Future[tuple[str, str, str]] | None = None,
        skip: int = 0,
        on_heard: Callable[[int], None] | None = None,
        note: str = "",
        done_hook: Callable[[str, str], None] | None = None,
    ) -> None:
        """Queue ``speak`` in the pipeline, voiced by ``plan`` (``config``'s by default); its
        outcome closes ``ticket``."""

        def finished(outcome: str, reason: str) -> None:
            ticket.close(outcome, reason)
            if done_hook is not None:
                done_hook(outcome, reason)
            if done is not None and not done.done():
                voices = ", ".join(dict.fromkeys(f"{s.engine} ({s.lang})" for s in utterance.said))
                done.set_result((outcome, reason, voices or "no voice"))

        plan = plan or self._plan(config)
        utterance = Utterance(
            text=speak.text,
            session_id=speak.session_id,
            priority=speak.priority,
            kind=speak.kind,
            lang=plan.target,
            plan=plan,
            stale_after_s=config.sessions.stale_after_s,
            stale_while_held=config.sessions.stale_while_held,
            project=project,
            cue=config.sessions.speaker_cue,
            timings={"hook": hook_ms} if hook_ms is not None else {},
            on_done=finished,
            skip=skip,
            on_heard=on_heard,
            note=note,
        )
        self.pipeline.submit(utterance)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- background work --------------------------------------------------------------------

    async def _probe_audio(self) -> None:
        try:
            name = await asyncio.to_thread(self.player.probe)
            log.info("audio output: %s", name)
        except AudioUnavailable as exc:
            self.accounts.error(str(exc))
            log.error("%s", exc)

    # ---- lifecycle --------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.pipeline.start()
        await self.server.start()
        try:
            self.paths.pidfile.write_text(f"{os.getpid()}\n")
        except OSError as exc:  # a full disk: the lock is what keeps us single, not this file
            log.warning("cannot write %s: %s", self.paths.pidfile, exc.strerror or exc)
        watcher = ConfigWatcher(self.settings.user_file, self.reload_config, loop)
        watcher.start()
        log.info(
            "claude-tts %s listening on %s (pid %d)", __version__, self.paths.socket, os.getpid()
        )
        self.intake.recover()
        self._spawn(self.intake.spool_loop(self.paths.spool))
        self._spawn(self._probe_audio())
        self._spawn(self.mic.run())
        try:
            await self._stop.wait()
        finally:
            await self._leave()  # audio stops first
            await self.server.close()
            watcher.stop()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.intake.close()
            self.settings.close()
            with contextlib.suppress(FileNotFoundError):
                self.paths.pidfile.unlink()
            log.info("stopped; %s", dict(self.accounts.counters))
