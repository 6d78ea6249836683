"""Turn text: from the real transcript and from the real interactive hook sequence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tts_core.claude_code.turns import (
    TurnTracker,
    blocks_from_display,
    blocks_from_transcript,
    safe_cut,
    transcript_is_current,
    transcript_turn_blocks,
)

from .conftest import FIXTURES

TRANSCRIPT = FIXTURES / "claude-code" / "transcript_headless_4turns.jsonl"
TUI = FIXTURES / "claude-code" / "tui_session_hook_sequence.jsonl"
FIRST_ANSWER = (
    "Hello! Here is a short answer with some **markdown** in it.\n\nThe first real sentence "
    "is here. A second sentence follows it.\n\n```python\ndef add(a, b):\n    return a + b\n"
    "```\n\nSee https://example.com/docs?page=1 for more.\n\n- first bullet item\n- second "
    "bullet with `inline code`\n- third bullet\n\nThat is all for now."
)


def transcript_lines() -> list[str]:
    return TRANSCRIPT.read_text().splitlines()


def test_every_turn_of_the_real_transcript() -> None:
    lines = transcript_lines()
    assert transcript_turn_blocks(lines, "25b1626c-43f7-426f-9857-be79db03a4d5") == [FIRST_ANSWER]
    # Text before a tool call is part of the turn; the tool call and its result are not.
    assert transcript_turn_blocks(lines, "0c0eb305-6bcb-4b17-bc98-eb328a1df505") == [
        "I will run a command to check.\n",
        "The command printed `hi`. Done: everything works.\n\n- point one\n- point two",
    ]
    # Thinking is never spoken.
    assert transcript_turn_blocks(lines, "1c37412d-79d0-45a6-ae4a-6d8516d3b156") == [
        "After thinking: hello there. This is the final answer."
    ]
    assert transcript_turn_blocks(lines, "81a31fcf-2c8b-423e-b959-4d8f22fe5176") == [
        "First command done. Running a second one.",
        "Both commands ran: one and two.",
    ]


def test_without_prompt_id_the_last_turn_is_taken() -> None:
    assert transcript_turn_blocks(transcript_lines(), None) == [
        "First command done. Running a second one.",
        "Both commands ran: one and two.",
    ]


def test_an_unknown_prompt_never_falls_back_to_the_previous_turn() -> None:
    assert transcript_turn_blocks(transcript_lines(), "not-written-yet") is None
    assert blocks_from_transcript(None, "Only this.") == ["Only this."]


def test_a_late_last_line_is_detected_and_completed() -> None:
    """Interactive UI: the last assistant line lands 60-75 ms after Stop."""
    lines = transcript_lines()
    cut = max(i for i, line in enumerate(lines) if "Both commands ran" in line)
    early = transcript_turn_blocks(lines[:cut], "81a31fcf-2c8b-423e-b959-4d8f22fe5176")
    last = "Both commands ran: one and two."
    assert early == ["First command done. Running a second one."]
    assert not transcript_is_current(early, last)
    assert blocks_from_transcript(early, last) == [early[0], last]


def test_junk_and_partial_lines_are_skipped() -> None:
    lines = [*transcript_lines(), '{"type": "assistant", "message": {"content": [{"ty', "[]"]
    assert transcript_turn_blocks(lines, None) == [
        "First command done. Running a second one.",
        "Both commands ran: one and two.",
    ]


def tui_events() -> Iterator[tuple[str, tuple[str, str], dict[str, Any]]]:
    """The real interactive sequence: each hook event's name, turn key and payload."""
    for line in TUI.read_text().splitlines():
        event = json.loads(line)
        p = event["payload"]
        yield event["event"], (p["session_id"], p.get("prompt_id", "")), p


def stop_blocks(tracker: TurnTracker, key: tuple[str, str], p: dict[str, Any]) -> list[str]:
    """The turn's blocks at Stop, from what was displayed (the daemon's first choice)."""
    blocks = blocks_from_display(tracker.display_blocks(key), p["last_assistant_message"])
    assert blocks is not None
    return blocks


def replay_tui() -> list[tuple[str, list[str]]]:
    """Feed the real interactive sequence; at each Stop, what the display blocks give."""
    tracker = TurnTracker()
    results = []
    for name, key, p in tui_events():
        if name == "MessageDisplay":
            tracker.add_delta(key, p["message_id"], p["index"], p["delta"], p["final"])
        elif name == "Stop":
            blocks = stop_blocks(tracker, key, p)
            results.append((p["last_assistant_message"], tracker.finish(key, blocks, "turn")))
    return results


def test_interactive_sequence_gives_the_whole_turn_at_stop() -> None:
    (_, turn1), (last2, turn2), (_, turn3) = replay_tui()
    # Stop fires before the final flush: the last block is completed from the payload.
    assert turn1 == [FIRST_ANSWER]
    assert turn2 == ["I will run a command to check.\n", last2]
    assert last2 == "The command printed `hi`. Done: everything works.\n\n- point one\n- point two"
    assert len(turn3) == 1 and turn3[0].count("this is sentence number") == 40


def test_out_of_order_deltas_are_reassembled() -> None:
    t = TurnTracker()
    key = ("s", "p")
    t.add_delta(key, "m", 2, "c", True)
    t.add_delta(key, "m", 0, "a", False)
    assert blocks_from_display(t.display_blocks(key), "") == ["a"]  # prefix up to the gap
    t.add_delta(key, "m", 1, "b", False)
    (block,) = t.display_blocks(key)
    assert (block.text, block.complete) == ("abc", True)


def test_a_lost_delta_in_an_earlier_block_distrusts_the_display() -> None:
    t = TurnTracker()
    key = ("s", "p")
    t.add_delta(key, "m1", 0, "one ", False)
    t.add_delta(key, "m1", 2, "three", True)  # index 1 never came
    t.add_delta(key, "m2", 0, "last", True)
    assert blocks_from_display(t.display_blocks(key), "last") is None


def test_a_stop_that_continues_speaks_only_the_new_blocks() -> None:
    t = TurnTracker()
    key = ("s", "p")
    assert t.finish(key, ["a", "b"], "turn") == ["a", "b"]
    assert t.finish(key, ["a", "b"], "turn") == []
    assert t.finish(key, ["a", "b", "c"], "turn") == ["c"]
    assert t.finish(("s", "other"), ["a", "b"], "final") == ["b"]


def test_memory_is_bounded(tmp_path: Path) -> None:
    t = TurnTracker()
    for i in range(500):
        t.add_delta(("s", str(i)), "m", 0, "x", True)
        t.finish(("s", str(i)), ["x"], "turn")
    assert len(t._display) <= 64 and len(t._spoken) <= 64


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("Hello.\nStill writ", 7),
        ("Para one.\n\n```python\nx = 1\n", 11),
        ("Para one.\n\n```python\nx = 1\n```\n\nAfter.\n", 39),
        ("Intro:\n| a | b |\n|---|---|\n", 7),
        ("Intro:\n| a | b |\n|---|---|\n| 1 | 2 |\n\nDone.\n", 44),
        ("no newline yet", 0),
    ],
)
def test_safe_cut(text: str, cut: int) -> None:
    assert safe_cut(text) == cut


def test_streaming_releases_each_part_once_and_stop_adds_only_the_rest() -> None:
    """The real interactive sequence: what streaming releases plus what Stop adds is the whole
    turn, with nothing twice, even with the final delta arriving after Stop."""
    tracker = TurnTracker()
    said: list[str] = []
    for name, key, p in tui_events():
        if name == "MessageDisplay":
            tracker.add_delta(key, p["message_id"], p["index"], p["delta"], p["final"])
            said.append(tracker.release(key, p["message_id"]))
        elif name == "Stop":
            blocks = stop_blocks(tracker, key, p)
            said.extend(tracker.finish(key, blocks, "stream"))
            break  # the first turn: its final delta arrives after Stop
    said.extend(tracker.release(*_first_turn_final()))
    assert "".join(said) == FIRST_ANSWER
    assert said[0] == "Hello! Here is a short answer with some **markdown** in it.\n"
    assert not any("```python" in s and "return a + b" not in s for s in said)


def _first_turn_final() -> tuple[tuple[str, str], str]:
    for _name, key, p in tui_events():
        if p.get("final") and p.get("index") == 8:
            return key, p["message_id"]
    raise AssertionError("no final delta")
