"""Translation inside the real daemon and the CLI, on the tiny local model."""

from __future__ import annotations

import json
from pathlib import Path

from tts_core import client
from tts_core.protocol import Say

from .conftest import Pulse, Recorder, run_cli, start_daemon, stop_daemon


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_daemon_loads_the_model_in_the_background_and_translates(
    isolated_home: Path, tiny_model: Path, pulse: Pulse, recorder: Recorder
) -> None:
    write_config(
        isolated_home,
        f"language: ja\nvoice: {{engine: espeak}}\n"
        f"translation: {{model: '{tiny_model}', backend: transformers}}\n",
    )
    d = start_daemon(pulse.env)
    try:
        st = d.wait_for(lambda s: s["translation"]["state"] == "ready", timeout=60)
        assert st["translation"]["backend"] == "transformers-float32"
        # Got ready for the configured language while loading: its vocabulary is limited.
        assert st["translation"]["limited_vocabulary"] == ["Jpan"]
        client.request(Say("All tests passed. The build finished."), paths=d.paths)
        st = d.wait_for(lambda s: s["counters"]["in_progress"] == 0 and not s["speaking"])
        t = st["translation"]
        # The random tiny model loops, so both sentences fall back to English: the whole path
        # (first sentence alone, then the rest) ran through the model and its checks.
        assert t.get("rejected", 0) + t.get("translated", 0) == 2
        assert st["counters"]["spoken"] == 1
        # Another language, same model: made ready on the config reload, not at its first word.
        write_config(
            isolated_home,
            f"language: ko\nvoice: {{engine: espeak}}\n"
            f"translation: {{model: '{tiny_model}', backend: transformers}}\n",
        )
        d.wait_for(lambda s: s["translation"]["limited_vocabulary"] == ["Hang", "Jpan"])
    finally:
        stop_daemon(d)


def test_a_new_model_setting_loads_beside_the_old_one_while_speech_goes_on(
    isolated_home: Path, tiny_model: Path, pulse: Pulse, recorder: Recorder
) -> None:
    config = write_config(
        isolated_home,
        f"language: ja\nvoice: {{engine: espeak}}\n"
        f"translation: {{model: '{tiny_model}', backend: transformers}}\n",
    )
    d = start_daemon(pulse.env)
    try:
        d.wait_for(lambda s: s["translation"]["state"] == "ready", timeout=60)
        client.request(Say(" ".join(["The daemon is listening on the socket."] * 3)), paths=d.paths)
        d.wait_for(lambda s: s["speaking"], timeout=30)
        config.write_text(
            f"language: ja\nvoice: {{engine: espeak}}\n"
            f"translation: {{model: '{tiny_model}', backend: ctranslate2}}\n"
        )
        st = d.wait_for(
            lambda s: s["translation"]["backend"] == "ctranslate2-int8" and not s["speaking"],
            timeout=60,
        )
        assert st["counters"] == {
            "received": 1, "spoken": 1, "dropped": 0, "failed": 0, "in_progress": 0,
        }  # fmt: skip
    finally:
        stop_daemon(d)


def test_preview_translate_shows_source_and_translation(
    isolated_home: Path, tiny_model: Path
) -> None:
    # The default backend here: CTranslate2, converted on the way, vocabulary limited.
    write_config(isolated_home, f"translation: {{model: '{tiny_model}'}}\n")
    result = run_cli(
        "preview", "-", "--translate", "--lang", "ja", "--code", "announce",
        stdin="All tests passed.\n\n```\nx\n```\n\nすでに日本語です。\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The tiny model's loops are rejected: the source stands in; Japanese is left as it is.
    assert result.stdout == (
        "All tests passed.\tAll tests passed.\n"
        "コードブロック。\tコードブロック。\n"
        "すでに日本語です。\tすでに日本語です。\n"
    )


def test_preview_translate_without_a_model_says_why(isolated_home: Path) -> None:
    result = run_cli("preview", "-", "--translate", "--lang", "ja", stdin="Done.\n")
    assert result.stdout == "Done.\tDone.\n"
    assert result.stderr == (
        "warning: not translated: the translation model facebook/nllb-200-distilled-600M is not "
        "downloaded; run 'claude-tts download-model' while online (speech goes on untranslated)\n"
    )


def test_download_model_offline_is_one_clear_error() -> None:
    result = run_cli("download-model")
    assert (result.returncode, result.stderr) == (
        1,
        "claude-tts: error: cannot download facebook/nllb-200-distilled-600M: the hub cannot be "
        "reached (offline?); speech goes on untranslated until it can\n",
    )


def test_status_shows_translation_off_for_english(isolated_home: Path) -> None:
    d = start_daemon({"PULSE_SERVER": "unix:/nonexistent", "LANG": "C.UTF-8"})
    try:
        result = run_cli("status", "--json")
        assert json.loads(result.stdout)["translation"] == {"state": "off"}
    finally:
        stop_daemon(d)


def test_download_model_converts_for_the_cpu_backend_once(
    isolated_home: Path, tiny_model: Path
) -> None:
    write_config(isolated_home, "language: ja\n")  # backend auto: CTranslate2 on this CPU
    result = run_cli("download-model", "--model", str(tiny_model))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"translation model {tiny_model} is ready in {tiny_model}"
    assert lines[1].startswith("converted for CTranslate2 (int8) in ")
    folder = Path(lines[1].split(" in ", 1)[1].rsplit(" (", 1)[0])
    assert (folder / "model.bin").exists()
    assert (folder.with_name(folder.name + ".vmap-jpn_Jpan-v1.2") / "vmap.txt").exists()
    again = run_cli("download-model", "--model", str(tiny_model))
    assert again.returncode == 0 and len(again.stdout.splitlines()) == 1  # not converted twice


def test_doctor_says_how_translation_will_run(isolated_home: Path, tiny_model: Path) -> None:
    write_config(isolated_home, f"language: ja\ntranslation: {{model: '{tiny_model}'}}\n")
    lines = run_cli("doctor", "--offline").stdout.splitlines()
    assert f"ok    translation model: local directory {tiny_model}" in lines
    assert (
        "ok    translation path: ctranslate2 int8 on cpu, vocabulary limited to the Jpan script"
        in lines
    )
    write_config(isolated_home, "language: en\n")
    lines = run_cli("doctor", "--offline").stdout.splitlines()
    assert "skip  translation: no translation (english)" in lines
    assert not any("translation model" in line for line in lines)
