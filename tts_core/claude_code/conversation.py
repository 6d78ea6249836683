"""Claude Code's side of speech: what one hook event means, and when a turn's text is ready.

:class:`Conversation` turns a parsed payload into a decision (:func:`events.route`), keeps the
streaming state (which blocks were said, :class:`~tts_core.claude_code.turns.TurnTracker`),
and completes a Stop: it waits for the transcript as long as it is worth it, assembles the
turn (``turns.assemble``, the one owner of a turn's text) and drops it when the user moved on
meanwhile (a prompt, counted per session). The daemon's intake only takes, journals and books
events; the timing of a turn belongs here, with the part that changes when Claude Code does.
Must not import the daemon or the pipeline.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from tts_core.claude_code.asks import Asks
from tts_core.claude_code.events import Cancel, Decision, Drop, Speak, SpeakStream, SpeakTurn, route
from tts_core.claude_code.transcript import Cut, read_turn
from tts_core.claude_code.turns import TurnTracker, assemble, blocks_from_display
from tts_core.config.schema import Config
from tts_core.speech.policy import Priority

log = logging.getLogger(__name__)
DISPLAY_AGREES_WAIT_S = 0.15
"""How long a Stop waits for the transcript when the display already agrees with Stop (the
interactive UI writes the last line 60-75 ms after Stop)."""


class Conversation:
    """Decisions for hook events, the turns said so far, and the generation of each session
    (bumped by every prompt). Changed from the event loop only."""

    def __init__(self) -> None:
        self.tracker = TurnTracker()
        self.asks = Asks()
        """Permission asks spoken, for the Notification that repeats one (:mod:`asks`)."""
        self._generation: Counter[str] = Counter()

    def decide(self, payload: dict[str, Any], env: dict[str, str], config: Config) -> Decision:
        """What the event means now. A :class:`SpeakTurn` still needs :meth:`finish_turn`.

        Raises:
            PayloadError: a field of the payload is unusable.
        """
        decision = route(payload, env, config, self.tracker)
        if isinstance(decision, Cancel):
            self._generation[decision.session_id] += 1
            self.asks.answered(decision.session_id)
        elif isinstance(decision, Speak) and decision.kind == "permission":
            tool = payload.get("tool_name")
            self.asks.asked(decision.session_id, tool if isinstance(tool, str) else "")
        elif (
            isinstance(decision, Speak)
            and payload.get("notification_type") == "permission_prompt"
            and self.asks.repeats(decision.session_id, decision.text)
        ):
            return Drop("asked_already")
        elif isinstance(decision, SpeakStream):
            chunk = self.tracker.release(decision.key, decision.message_id)
            if not chunk.strip():
                return Drop("buffered")
            return Speak(chunk, decision.key[0], Priority.MESSAGE, "stream")
        return decision

    async def finish_turn(self, turn: SpeakTurn, config: Config) -> Speak | Drop:
        """What is left to say of a turn that ended, once its text is known."""
        session = turn.key[0]
        generation = self._generation[session]
        display = blocks_from_display(self.tracker.display_blocks(turn.key), turn.last_message)
        transcript: list[str] | Cut | None = None
        if turn.transcript_path:
            # The transcript has the blocks' true boundaries (a display glues a reply's blocks):
            # it wins when it has the whole turn. With a display that agrees with Stop, it is
            # only worth a short wait; without one, the whole wait.
            wait = config.speak.transcript_wait_s
            transcript = await read_turn(
                Path(turn.transcript_path),
                turn.key[1] or None,
                turn.last_message,
                wait_s=wait if display is None else min(wait, DISPLAY_AGREES_WAIT_S),
            )
        note = ""
        if isinstance(transcript, Cut):  # never taken for the whole turn
            used = "the streamed display" if display is not None else "Stop's last block"
            note = f"{transcript.why}; spoke {used}"
            log.warning("%s (%s)", note, turn.transcript_path)
            transcript = None
        blocks = assemble(display, transcript, turn.last_message)
        if generation != self._generation[session]:
            return Drop("user_prompt")  # the user moved on meanwhile
        new = self.tracker.finish(turn.key, blocks, config.speak.mode)
        if not new:
            return Drop("already_spoken" if blocks else "nothing_to_say")
        return Speak("\n\n".join(new), session, Priority.MESSAGE, "turn", note)
