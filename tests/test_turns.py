"""Turn text: from the real transcript and from the real interactive hook sequence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tts_core.claude_code.release import safe_cut
from tts_core.claude_code.turns import (
    TurnTracker,
    assemble,
    blocks_from_display,
    blocks_from_transcript,
    transcript_is_current,
    transcript_turn_blocks,
)
from tts_core.text.speakable import speakable

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


# ---- a reply of several text blocks (text, thinking, text) --------------------------------------

TWO = FIXTURES / "claude-code" / "tui_reply_text_thinking_text"
FIRST, SECOND = "First text block of the reply.", "Second text block of the same reply."


def two_block_capture() -> tuple[list[dict[str, Any]], list[str] | None]:
    events = [json.loads(x)["payload"] for x in (TWO / "hook_sequence.jsonl").read_text()
              .splitlines()]  # fmt: skip
    stop = next(e for e in events if e["hook_event_name"] == "Stop")
    transcript = transcript_turn_blocks(
        (TWO / "transcript.jsonl").read_text().splitlines(), stop["prompt_id"]
    )
    return events, transcript


def heard(events: list[dict[str, Any]], transcript: list[str] | None, mode: str) -> list[str]:
    """Replay hook payloads as the daemon takes them: what is released while streaming, plus
    what Stop adds (from the display, the transcript and Stop's own text)."""
    tracker, said = TurnTracker(), []
    for p in events:
        key = (p["session_id"], p.get("prompt_id", ""))
        if p["hook_event_name"] == "MessageDisplay":
            tracker.add_delta(key, p["message_id"], p["index"], p["delta"], p["final"])
            if mode == "stream":
                said.append(tracker.release(key, p["message_id"]))
        elif p["hook_event_name"] == "Stop":
            last = p["last_assistant_message"]
            display = blocks_from_display(tracker.display_blocks(key), last)
            said.extend(tracker.finish(key, assemble(display, transcript, last), mode))
    return [s for s in said if s.strip()]


@pytest.mark.parametrize("mode", ["turn", "stream"])
@pytest.mark.parametrize("with_transcript", [True, False])
@pytest.mark.parametrize("display_after_stop", [False, True])
def test_a_reply_of_two_text_blocks_is_heard_once_split_at_its_boundary(
    mode: str, with_transcript: bool, display_after_stop: bool
) -> None:
    events, transcript = two_block_capture()
    assert transcript == [FIRST, SECOND]
    assert events[0]["delta"] == FIRST + SECOND  # glued, no separator, as the UI sends it
    if display_after_stop:
        events = [events[1], events[0]]  # seen: Stop at .502, the display at .521
    said = heard(events, transcript if with_transcript else None, mode)
    if display_after_stop and not with_transcript:
        # At Stop nothing holds the first block: only Stop's own is heard, once, and the late
        # display replays nothing.
        assert said == [SECOND]
        return
    assert "".join(said).count(FIRST) == 1 and "".join(said).count(SECOND) == 1
    spoken = [s.text for s in speakable("\n\n".join(said))]
    assert spoken == [FIRST, SECOND]  # never "reply.Second" run together


def test_three_glued_blocks_take_their_boundaries_from_the_transcript() -> None:
    blocks = ["I read the files.", "You can run them now.", "Tests pass."]
    payload = {"session_id": "s", "prompt_id": "p", "message_id": "m", "index": 0,
               "final": True, "delta": "".join(blocks)}  # fmt: skip
    events: list[dict[str, Any]] = [
        {**payload, "hook_event_name": "MessageDisplay"},
        {"hook_event_name": "Stop", "session_id": "s", "prompt_id": "p",
         "last_assistant_message": blocks[-1]},
    ]  # fmt: skip
    assert heard(events, blocks, "turn") == blocks
    # Without the transcript: the last boundary from Stop, the others from the glue itself.
    assert heard(events, None, "turn") == [
        "I read the files.\n\nYou can run them now.",
        "Tests pass.",
    ]


def test_a_hard_wrapped_paragraph_is_streamed_by_sentence() -> None:
    text = ("The daemon writes the temporary file into the\nworking directory instead of the "
            "cache. It is\nremoved afterwards.\n\nDone.")  # fmt: skip
    t, key, said = TurnTracker(), ("s", "p"), []
    for i in range(0, len(text), 7):  # flushed every few characters, mid-word and mid-line
        t.add_delta(key, "m", i // 7, text[i : i + 7], i + 7 >= len(text))
        said.append(t.release(key, "m"))
    pieces = [s for s in said if s]
    assert "".join(pieces) == text
    # Each piece ends at a sentence or paragraph end: none ends mid-sentence.
    assert all(p.rstrip().endswith((".", ":")) for p in pieces), pieces
    assert [s.text for s in speakable(pieces[0])] == [
        "The daemon writes the temporary file into the working directory instead of the cache."
    ]


POOL = ["Alpha one.", "Beta two!", "Gamma three?", "Delta four.", "Echo five.", "Fox six.",
        "Golf seven.", "Hotel eight.", "India nine.", "Juliet ten."]  # fmt: skip


@st.composite
def blocks_strategy(draw: st.DrawFn) -> list[list[str]]:
    """Replies of text blocks, every block different (a turn never says the very same block
    twice; if it did, no witness could tell one from two)."""
    pool = draw(st.permutations(POOL))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    replies, at = [], 0
    for size in sizes:
        replies.append(pool[at : at + size])
        at += size
    return replies


@settings(max_examples=300, deadline=None)
@given(
    replies=blocks_strategy(),
    cuts=st.lists(st.integers(1, 9), min_size=1, max_size=8),
    late=st.booleans(),
    transcript_current=st.booleans(),
    mode=st.sampled_from(["turn", "stream"]),
)
def test_whatever_the_split_and_the_order_each_block_is_heard_once(
    replies: list[list[str]], cuts: list[int], late: bool, transcript_current: bool, mode: str
) -> None:
    """Random replies of random blocks, streamed in random flushes; the last reply's display
    before or after Stop; the transcript whole (it landed within the wait) or missing its last
    line. Whenever some witness holds the whole turn, what is heard is the turn, once."""
    blocks = [b for reply in replies for b in reply]
    events: list[dict[str, Any]] = []
    for r, reply in enumerate(replies):
        glued, at, index = "".join(reply), 0, 0
        while at < len(glued):
            step = cuts[index % len(cuts)]
            events.append({"hook_event_name": "MessageDisplay", "session_id": "s",
                           "prompt_id": "p", "message_id": f"m{r}", "index": index,
                           "delta": glued[at : at + step],
                           "final": at + step >= len(glued)})  # fmt: skip
            at, index = at + step, index + 1
    stop = {"hook_event_name": "Stop", "session_id": "s", "prompt_id": "p",
            "last_assistant_message": blocks[-1]}  # fmt: skip
    last_reply = [e for e in events if e["message_id"] == f"m{len(replies) - 1}"]
    if late:
        events = [e for e in events if e not in last_reply] + [stop] + last_reply
    else:
        events = [*events, stop]
    transcript = blocks if transcript_current else blocks[:-1]
    witnessed = transcript_current or not late or len(replies[-1]) == 1
    said = heard(events, transcript, mode)
    if witnessed:
        assert "".join("".join(said).split()) == "".join("".join(blocks).split())
    else:  # the last reply's earlier blocks existed nowhere at Stop: still nothing twice
        heard_sentences = [s.text for s in speakable("\n\n".join(said))]
        assert len(heard_sentences) == len(set(heard_sentences))
        assert set(heard_sentences) <= set(blocks)
