"""One owner for how each sentence is voiced (speech/voicing.py), tested where users heard the
owners disagree: Japanese phrases read by the English voice, a project's language ignored, no
way to tell which voice spoke, a replay cut mid-sentence, a model change lost in a switch."""

from __future__ import annotations

import asyncio
import json
import threading
import unicodedata
from pathlib import Path
from typing import Any

from tts_core import client
from tts_core.config.schema import Config, TranslationOptions
from tts_core.engines.registry import offline_chain
from tts_core.languages.catalog import lookup
from tts_core.languages.phrases import mark, render
from tts_core.protocol import HistoryReply, HistoryRequest, HookEvent, Ok, Replay, Say, Shutup
from tts_core.speech.voicing import Plan, Voicing
from tts_core.translate.service import Translator, TranslatorSlot

from .conftest import FIXTURES, DaemonProc, Pulse, Recorder, run_cli, start_daemon, stop_daemon

TOY = FIXTURES / "toy-nllb"


def write_config(home: Path, text: str) -> None:
    path = home / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def history(d: DaemonProc, n: int = 5) -> list[dict[str, Any]]:
    reply = client.request(HistoryRequest(n), paths=d.paths)
    assert isinstance(reply, HistoryReply)
    return reply.entries


def cjk(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA")) for ch in text)


def stop_event(text: str, project: Path, prompt: str = "p1") -> HookEvent:
    payload = {"hook_event_name": "Stop", "session_id": "s", "prompt_id": prompt,
               "cwd": str(project), "last_assistant_message": text,
               "transcript_path": str(project / "none.jsonl")}  # fmt: skip
    return HookEvent(json.dumps(payload), env={"CLAUDE_PROJECT_DIR": str(project)})


def test_japanese_asked_without_a_model_every_sentence_is_in_one_script_its_voice_reads(
    isolated_home: Path, pulse: Pulse, recorder: Recorder
) -> None:
    """Every new Japanese user before the model is downloaded: the English left untranslated
    must carry English phrases ("a link to", "line 42", "Done:"), read by the English voice,
    and our own announcements are Japanese sentences read by a Japanese voice."""
    write_config(
        isolated_home,
        "language: ja\nvoice: {engine: offline}\nfilters: {code_blocks: announce}\n"
        "translation: {model: /nonexistent/nllb}\n",
    )
    answer = (
        "See https://example.com/docs for more. Open `main.py:42` now.\n\n"
        "- [x] fix the crash\n\n```python\nprint(1)\n```\n\nビルドが通りました。"
    )
    d = start_daemon(pulse.env)
    try:
        client.request(Say(answer, wait=True), paths=d.paths, timeout=60)
        (entry,) = history(d, 1)
    finally:
        stop_daemon(d)
    said = [(s["lang"], s["engine"], s["text"]) for s in entry["sentences"]]
    english, japanese = (offline_chain(lookup(code))[0] for code in ("en", "ja"))
    assert said == [
        ("en", english, "See a link to example.com for more."),
        ("en", english, "Open main.py line 42 now."),
        ("en", english, "Done: fix the crash"),
        ("ja", japanese, "コードブロック。"),
        ("ja", japanese, "ビルドが通りました。"),
    ]  # each language's best voice installed here
    for lang, _, text in said:
        assert cjk(text) == (lang == "ja"), text  # one script per sentence, its voice's
    assert all(s["heard"] and not s["translated"] for s in entry["sentences"])


def test_a_project_that_asks_for_japanese_is_translated(
    isolated_home: Path, tmp_path: Path, pulse: Pulse, recorder: Recorder
) -> None:
    """The user hears English; one project's file asks for Japanese: the model loads for that
    project's config, and its turn is translated (the toy model gives the exact reference)."""
    write_config(
        isolated_home, f"language: en\nvoice: {{engine: espeak, speed: 3.0}}\n"
        f"translation: {{model: '{TOY}'}}\n",
    )  # fmt: skip
    project = tmp_path / "proj"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "claude-tts.yaml").write_text("language: ja\n")
    d = start_daemon(pulse.env)
    try:
        assert d.status()["translation"]["state"] == "off"  # the user's own speech needs none
        client.request(
            stop_event("Open the file config.yaml, then save it.", project), paths=d.paths
        )
        d.wait_for(lambda s: s["counters"]["spoken"] + s["counters"]["failed"] == 1, timeout=90)
        (entry,) = history(d, 1)
    finally:
        stop_daemon(d)
    assert entry["outcome"] == "spoken"
    (sentence,) = entry["sentences"]
    assert sentence["translated"] and sentence["lang"] == "ja"
    assert cjk(sentence["text"])


def test_history_and_say_tell_which_voice_spoke(
    isolated_home: Path, pulse: Pulse, recorder: Recorder
) -> None:
    write_config(isolated_home, "voice: {engine: espeak}\n")
    d = start_daemon(pulse.env)
    try:
        reply = client.request(Say("Which voice is this?", wait=True), paths=d.paths, timeout=30)
        assert reply == Ok("spoken by espeak (en)")
        (entry,) = history(d, 1)
        assert entry["sentences"] == [
            {"text": "Which voice is this?", "lang": "en", "voice": None, "translated": False,
             "engine": "espeak", "heard": True}
        ]  # fmt: skip
        assert d.status()["spoken_by"] == {"espeak": 1}
        out = run_cli("history", "-n", "1")
        assert out.stdout.splitlines()[1] == "    [en, espeak] Which voice is this?"
    finally:
        stop_daemon(d)


def test_replay_says_every_sentence_of_a_long_answer_whole(
    isolated_home: Path, pulse: Pulse, recorder: Recorder
) -> None:
    """replay said ``text[:2000]``: a long answer was cut mid-sentence. Now it says again
    every sentence the filter made of the answer, each whole (cut short here once it runs)."""
    write_config(isolated_home, "voice: {engine: espeak, speed: 3.0}\n")
    words = " ".join(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"])
    answer = " ".join(f"Point {i} says {words} {words} again." for i in range(30))
    assert len(answer) > 2000  # past what history keeps of the source text
    d = start_daemon(pulse.env)
    try:
        client.request(Say(answer), paths=d.paths)
        d.wait_for(lambda s: s["speaking"], timeout=30)
        client.request(Shutup(), paths=d.paths)
        d.wait_for(lambda s: s["counters"]["dropped"] == 1)
        reply = client.request(Replay(), paths=d.paths)
        assert isinstance(reply, Ok) and reply.detail.startswith("queued; last time")
        d.wait_for(lambda s: s["speaking"], timeout=30)
        client.request(Shutup(), paths=d.paths)
        d.wait_for(lambda s: s["counters"]["dropped"] == 2)
        replayed, first = history(d, 2)[::-1]
    finally:
        stop_daemon(d)
    assert replayed["kind"] == "replay"
    assert len(first["to_say"]) == 30
    assert replayed["to_say"] == first["to_say"]
    assert first["to_say"][-1] == f"Point 29 says {words} {words} again."


def test_inline_phrases_follow_the_language_the_sentence_ends_up_in() -> None:
    text = f"See {mark('link', 'example.com')} for more, {mark('line', '42')} and {mark('secret')}."
    plan = Plan(lookup("ja"), lookup("en"), True, Config().voice, Config().filters)
    assert Voicing.language_of(plan, text, False).code == "en"  # the model gave nothing
    assert render(text, "en") == "See a link to example.com for more, line 42 and a secret."
    assert Voicing.language_of(plan, "詳細は ZQA を参照。", True).code == "ja"
    assert render(text, "ja") == "See example.com へのリンク for more, 42行目 and 秘密の値."


class SlowLoads:
    """A loader whose loads finish when the test says so."""

    def __init__(self) -> None:
        self.gates: dict[str, threading.Event] = {}

    def __call__(self, options: TranslationOptions, cache: Path) -> object:
        self.gates.setdefault(options.model, threading.Event()).wait(10)
        return _Backend(options.model)


class _Backend:
    def __init__(self, name: str) -> None:
        self.name, self.device = name, "cpu"

    def prepare(self, tgt: str) -> None:
        pass

    def details(self) -> dict[str, object]:
        return {}


def test_a_model_change_during_a_switch_is_not_lost(monkeypatch: Any) -> None:
    """A (ready) -> B (loading) -> C (loading): B finishing first must not win, nor clear C."""
    loads = SlowLoads()
    real_init = Translator.__init__

    def init(self: Translator, *args: Any, **kw: Any) -> None:
        real_init(self, *args, loader=loads, **kw)  # type: ignore[arg-type, misc]

    monkeypatch.setattr(Translator, "__init__", init)
    en, ja = lookup("en"), lookup("ja")

    async def go() -> list[str | None]:
        slot = TranslatorSlot(Path("/nonexistent"))
        seen: list[str | None] = []
        for model in ("A", "B", "C"):
            loads.gates.setdefault(model, threading.Event())
        loads.gates["A"].set()
        slot.apply(TranslationOptions(model="A"), en, ja)
        assert slot.current is not None and slot.current.wait_loaded(5)
        slot.apply(TranslationOptions(model="B"), en, ja)
        slot.apply(TranslationOptions(model="C"), en, ja)
        loads.gates["B"].set()
        await asyncio.sleep(0.3)
        seen.append(slot.current.options.model if slot.current else None)
        loads.gates["C"].set()
        for _ in range(100):
            await asyncio.sleep(0.05)
            if slot.current is not None and slot.current.options.model == "C":
                break
        seen.append(slot.current.options.model if slot.current else None)
        return seen

    assert asyncio.run(go()) == ["A", "C"]
