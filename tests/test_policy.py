"""The SSIP priority rules, as a table; and the pipeline applying them."""

from __future__ import annotations

import asyncio

import pytest

from tts_core.speech.policy import Admission, Priority, admit

from .test_pipeline import FakeEngine, drain, make, utter

IMP, M, N = Priority.IMPORTANT, Priority.MESSAGE, Priority.NOTIFICATION


@pytest.mark.parametrize(
    ("new", "current", "queued", "expected"),
    [
        # notification: only into silence
        (N, None, [], Admission(True)),
        (N, M, [], Admission(False)),
        (N, None, [M], Admission(False)),
        # message: queues behind others, clears notifications
        (M, M, [M, N, M], Admission(True, False, (1,))),
        (M, None, [N, N], Admission(True, False, (0, 1))),
        (M, N, [], Admission(True, True, ())),
        # important: never dropped, never cuts important or message speech
        (IMP, M, [M, N], Admission(True, False, (1,))),
        (IMP, IMP, [], Admission(True)),
        (IMP, N, [], Admission(True, True, ())),
    ],
)
def test_admission(
    new: Priority, current: Priority | None, queued: list[Priority], expected: Admission
) -> None:
    assert admit(new, current, queued) == expected


def test_pipeline_applies_the_policy() -> None:
    async def go() -> list[tuple[str, str, str]]:
        p, _ = make(FakeEngine(), player_duration=0.3)
        outcomes: list[tuple[str, str, str]] = []
        p.start()
        p.submit(utter("answer", outcomes, priority=M))
        await asyncio.sleep(0.05)  # "answer" is speaking
        p.submit(utter("first narration", outcomes, priority=M))
        p.submit(utter("second narration", outcomes, priority=M))
        p.submit(utter("chime", outcomes, priority=N))
        p.submit(utter("permission", outcomes, priority=IMP))
        await drain(p, outcomes, 5)
        await p.close()
        return outcomes

    outcomes = asyncio.run(go())
    assert outcomes == [
        ("chime", "dropped", "busy"),
        ("permission", "spoken", ""),  # the ask does not wait: it comes in mid-answer...
        ("answer", "spoken", ""),  # ...which then goes on from where it stopped
        ("first narration", "spoken", ""),
        ("second narration", "spoken", ""),
    ]


def test_stale_speech_is_dropped_when_its_turn_comes() -> None:
    async def go() -> list[tuple[str, str, str]]:
        p, _ = make(FakeEngine(), player_duration=0.3)
        outcomes: list[tuple[str, str, str]] = []
        p.start()
        p.submit(utter("first", outcomes))
        late = utter("waited too long", outcomes)
        late.stale_after_s = 0.1
        p.submit(late)
        await drain(p, outcomes, 2)
        await p.close()
        return outcomes

    assert asyncio.run(go()) == [("first", "spoken", ""), ("waited too long", "dropped", "stale")]
