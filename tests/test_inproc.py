"""Routing and voicing through the real Daemon object in the test's own event loop (no process,
no sound server): each runs in well under a second."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tts_core import paths as _paths
from tts_core.protocol import HistoryReply, HistoryRequest, Ok

from .inproc import in_process


def write_config(text: str) -> None:
    path = _paths.resolve().config / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def stop(text: str, project: Path, prompt: str) -> str:
    return json.dumps({"hook_event_name": "Stop", "session_id": "s", "prompt_id": prompt,
                       "cwd": str(project), "last_assistant_message": text})  # fmt: skip


def test_untranslated_english_keeps_english_phrases_and_voice(tmp_path: Path) -> None:
    write_config("language: ja\nvoice: {engine: espeak}\ntranslation: {model: /nonexistent}\n")

    async def go() -> list[dict[str, object]]:
        async with in_process() as d:
            reply = await d.event(
                stop("Open `main.py:42` and see https://example.com/x.", tmp_path, "a")
            )
            assert reply == Ok("accepted")
            await d.settle(lambda s: s["counters"]["spoken"] == 1)
            history = await d.ask(HistoryRequest(1))
            assert isinstance(history, HistoryReply)
            return list(history.entries[0]["sentences"])

    (said,) = asyncio.run(go())
    assert (said["lang"], said["engine"]) == ("en", "espeak")
    assert said["text"] == "Open main.py line 42 and see a link to example.com."


def test_a_project_file_cannot_choose_the_engine(tmp_path: Path) -> None:
    write_config("voice: {engine: espeak}\n")
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "claude-tts.yaml").write_text("voice: {engine: gtts, speed: 1.5}\n")

    async def go() -> dict[str, object]:
        async with in_process() as d:
            await d.event(
                stop("Hello there.", tmp_path, "a"), {"CLAUDE_PROJECT_DIR": str(tmp_path)}
            )
            return await d.settle(lambda s: s["counters"]["spoken"] == 1)

    st = asyncio.run(go())
    assert st["spoken_by"] == {"espeak": 1}
    config = st["config"]
    assert isinstance(config, dict)
    (warning,) = config["project_warnings"]
    assert "'voice.engine' ignored: a project may not set it" in warning


def test_a_turn_streamed_then_stopped_is_heard_once(tmp_path: Path) -> None:
    write_config("voice: {engine: espeak}\nspeak: {mode: stream}\n")
    display = {"hook_event_name": "MessageDisplay", "session_id": "s", "prompt_id": "p",
               "message_id": "m1", "index": 0, "delta": "The build passed.\n\n"}  # fmt: skip

    async def go() -> list[str]:
        async with in_process() as d:
            await d.event(json.dumps(display))
            await d.event(stop("The build passed.", tmp_path, "p"))
            await d.settle(lambda s: s["counters"]["in_progress"] == 0 and not s["speaking"])
            history = await d.ask(HistoryRequest(5))
            assert isinstance(history, HistoryReply)
            return [t for e in history.entries for t in e["heard"]]

    assert asyncio.run(go()) == ["The build passed."]
