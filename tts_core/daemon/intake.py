"""Hook events into the daemon: taken once each, journaled before they are acknowledged, and
each closed in the books exactly once, whatever is raised on the way.

The one boundary per event: :meth:`Intake.take` (live events, spooled ones, the journal's at
start-up) drops an id seen before, journals the event and queues it for :meth:`Intake.route`,
which parses it off the event loop, asks Claude Code's box what it means
(:class:`~tts_core.claude_code.conversation.Conversation`) and hands speech to the daemon's
``speak``. Everything after ``take`` runs under a :class:`~tts_core.daemon.books.Ticket`: an
exception anywhere, in this call or in a task spawned for the event, closes it as failed with
the reason. Must not import the pipeline's adapters (engines, player, translation).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tts_core.claude_code import transcript
from tts_core.claude_code.conversation import Conversation
from tts_core.claude_code.events import (
    Cancel,
    Decision,
    Drop,
    PayloadError,
    Speak,
    SpeakTurn,
    parse_payload,
)  # fmt: skip
from tts_core.config.schema import Config
from tts_core.daemon import spool
from tts_core.daemon.books import Accounting, Ticket
from tts_core.daemon.journal import Journal
from tts_core.protocol import HookEvent, clip
from tts_core.speech.policy import Priority

log = logging.getLogger(__name__)
SEEN_IDS = 8192
"""Event ids remembered, so that an event spooled "in doubt" after all reached us is not
spoken twice."""
SPOOL_POLL_S = 0.5
CLIPPED = ("session_id", "prompt_id", "message_id", "hook_event_name", "notification_type")
"""Payload strings that are kept and echoed (status, history, logs, turn keys): clipped to
:data:`~tts_core.protocol.FIELD_MAX` characters as soon as the payload is parsed."""
PATH_MAX = 4096


@dataclass(frozen=True)
class _Act:
    """What acting on one event's decision needs besides the decision."""

    config: Config
    where: str
    hook_ms: float | None
    ticket: Ticket
    skip: int


class Speaker(Protocol):
    """What the daemon does with something to say (its ``_speak``)."""

    def __call__(
        self,
        speak: Speak,
        config: Config,
        *,
        project: str,
        hook_ms: float | None,
        ticket: Ticket,
        skip: int = 0,
        on_heard: Callable[[int], None] | None = None,
        note: str = "",
    ) -> None: ...


class Intake:
    """Takes hook events (once each), journals them and routes them to speech."""

    def __init__(
        self,
        accounts: Accounting,
        journal: Journal,
        config_for: Callable[[str | None], Awaitable[Config]],
        speak: Speaker,
        cancel: Callable[[str], None],
    ) -> None:
        self.accounts = accounts
        self.journal = journal
        self.config_for = config_for
        self.speak = speak
        self.cancel = cancel
        self.conversation = Conversation()
        self.recent_events: deque[dict[str, str]] = deque(maxlen=16)
        """The last hook events seen (name, session), for status and doctor's round trip."""
        self.duplicates = 0
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._inbox: asyncio.Queue[tuple[HookEvent, Ticket]] = asyncio.Queue()
        """Taken events in arrival order, routed one at a time (their order is meaningful:
        display deltas, then Stop, then the next prompt)."""
        self._router: asyncio.Task[None] | None = None

    # ---- taking events ----------------------------------------------------------------------

    def take(self, event: HookEvent) -> bool:
        """Accept ``event`` unless its id was taken before: journal it, route it soon (after
        the caller has answered the hook). False for a duplicate."""
        event.id = clip(event.id) or uuid.uuid4().hex[:16]  # none from an older hook: ours
        if event.id in self._seen:
            self.duplicates += 1
            return False
        self._seen[event.id] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        # Booked now (received, in progress), even if what follows fails.
        self._inbox.put_nowait((event, self.accounts.ticket(event.id, self.journal.done)))
        if self._router is None or self._router.done():
            self._router = asyncio.get_running_loop().create_task(self._route_loop())
        try:
            self.journal.append(event)
        except Exception:  # never lose the event over its copy on disk
            log.exception("journal: cannot record an event")
        return True

    def recover(self) -> None:
        """Take again what the journal of a previous run holds unfinished."""
        events, stale = self.journal.recover()
        for _ in range(stale):
            self.accounts.ticket().close("dropped", "stale")
        for event in events:
            self._seen.pop(event.id, None)
            self.take(event)
        if events or stale:
            log.info("journal: %d unfinished events taken again, %d stale", len(events), stale)

    def _reject_spooled(self, outcome: str, reason: str) -> None:
        self.accounts.ticket().close(outcome, reason)

    async def spool_loop(self, directory: Path) -> None:
        while True:
            spool.drain(directory, self.take, self._reject_spooled)
            await asyncio.sleep(SPOOL_POLL_S)

    # ---- routing ----------------------------------------------------------------------------

    async def _route_loop(self) -> None:
        while True:
            await self.route(*await self._inbox.get())

    async def route(self, event: HookEvent, ticket: Ticket) -> None:
        """Route one taken event (speech happens in the pipeline); its outcome closes
        ``ticket``. The payload and the project's config file are untrusted input: they are
        parsed off the event loop."""
        try:
            if event.truncated:
                return ticket.close("failed", "hook payload larger than a frame")
            try:
                payload = await asyncio.to_thread(parse_payload, event.raw)
            except PayloadError as exc:
                why = "hook stdin cut at its read deadline" if event.partial else str(exc)
                log.warning("bad hook payload: %s", why)
                return ticket.close("failed", why)
            for key in CLIPPED:
                if isinstance(payload.get(key), str):
                    payload[key] = clip(payload[key])
            project = event.env.get("CLAUDE_PROJECT_DIR") or payload.get("cwd")
            where = clip(project, PATH_MAX) if isinstance(project, str) else ""
            config = await self.config_for(where or None)
            self._route(event, payload, where, config, ticket)
        except Exception as exc:  # whatever a hostile payload makes us raise: close the event
            log.exception("hook event failed")
            ticket.close("failed", f"internal error: {type(exc).__name__}: {exc}")

    def _route(
        self, event: HookEvent, payload: dict[str, Any], where: str, config: Config, ticket: Ticket
    ) -> None:
        session = payload.get("session_id")
        name = payload["hook_event_name"]
        self.recent_events.append({"event": name, "session_id": str(session or "")})
        resumed = self.journal.progress.pop(event.id, None)
        if resumed is not None and resumed.said is not None:
            # A restart: say the rest of what this event was, not what routing it anew gives.
            speak = _speak_of(resumed.said, str(session or ""))
            log.info("%s resumed after sentence %d", name, resumed.heard)
            return self._say(speak, config, where, None, ticket, resumed.heard)
        skip = resumed.heard if resumed is not None else 0
        try:
            decision = self.conversation.decide(payload, event.env, config)
        except PayloadError as exc:
            log.warning("bad hook payload: %s", exc)
            return ticket.close("failed", str(exc))
        log.info("%s -> %s", name, type(decision).__name__)
        hook_ms = (time.time() - event.sent_at) * 1000 if event.sent_at else None
        act = _Act(config, where, hook_ms, ticket, skip)
        if isinstance(decision, SpeakTurn):
            self._spawn(self._finish_turn(decision, act), ticket)
        else:
            self._act(decision, act)

    async def _finish_turn(self, turn: SpeakTurn, act: _Act) -> None:
        self._act(await self.conversation.finish_turn(turn, act.config), act)

    def _act(self, decision: Decision, act: _Act) -> None:
        if isinstance(decision, Speak):
            self._say(decision, act.config, act.where, act.hook_ms, act.ticket, act.skip)
        elif isinstance(decision, Cancel):
            self.cancel(decision.session_id)
            act.ticket.close("dropped", "control")
        elif isinstance(decision, Drop):
            act.ticket.close("dropped", decision.reason)
        else:  # a SpeakTurn or SpeakStream is Conversation's to finish
            act.ticket.close("failed", f"internal error: unfinished {type(decision).__name__}")

    def _say(
        self,
        speak: Speak,
        config: Config,
        project: str,
        hook_ms: float | None,
        ticket: Ticket,
        skip: int = 0,
    ) -> None:
        """Hand ``speak`` to the daemon, journaling what it is and, sentence by sentence, how
        much of it was heard (a restart resumes there)."""
        event_id = ticket.event_id
        said = {"text": speak.text, "session": speak.session_id, "kind": speak.kind}
        self.journal.said(event_id, {**said, "priority": int(speak.priority)})
        self.speak(
            speak, config, project=project, hook_ms=hook_ms, ticket=ticket, skip=skip,
            on_heard=lambda n: self.journal.heard(event_id, n), note=speak.note,
        )  # fmt: skip

    def hold(self) -> None:
        """The daemon is stopping: what is cut from now on stays open in the journal."""
        self.journal.hold()

    def _spawn(self, coro: Coroutine[Any, Any, None], ticket: Ticket) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)

        def ended(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            if done.cancelled():
                return  # shutting down: the journal keeps it for the next start
            exc = done.exception()
            if exc is not None:
                log.error("hook event failed", exc_info=exc)
                ticket.close("failed", f"internal error: {type(exc).__name__}: {exc}")

        task.add_done_callback(ended)

    async def close(self) -> None:
        if self._router is not None:
            self._router.cancel()  # what is still in the inbox stays open in the journal
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        transcript.shutdown()
        self.journal.close()

    def status(self) -> dict[str, object]:
        return {
            "recent_events": list(self.recent_events),
            "duplicates": self.duplicates,
            "journal": self.journal.status(),
            "spool": spool.status(),
        }


def _speak_of(said: dict[str, object], session: str) -> Speak:
    """The :class:`Speak` a journaled ``said`` line describes."""
    value = said.get("priority")
    known = {int(p): p for p in Priority}
    priority = known.get(value, Priority.MESSAGE) if isinstance(value, int) else Priority.MESSAGE
    return Speak(
        str(said.get("text", "")), str(said.get("session", session)), priority,
        str(said.get("kind", "turn")),
    )  # fmt: skip
