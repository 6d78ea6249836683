"""The claude-tts command line: one-line errors, exit codes, the daemon's lifecycle."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tts_core.audio.pcm import from_wav_bytes
from tts_core.cli import main as cli
from tts_core.cli.status_text import translation_line

from .conftest import DaemonProc, run_cli, subprocess_env, voiced_seconds


def test_status_without_a_daemon(isolated_home: Path) -> None:
    result = run_cli("status")
    assert result.returncode == 1
    sock = isolated_home / "run" / "daemon.sock"
    assert result.stdout == f"claude-tts daemon: not running (socket {sock})\n"
    result = run_cli("status", "--json")
    assert json.loads(result.stdout) == {
        "running": False,
        "socket": f"{isolated_home}/run/daemon.sock",
    }


def test_status_json_has_the_documented_fields(daemon: DaemonProc) -> None:
    result = run_cli("status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["running"] is True and status["pid"] == daemon.proc.pid
    for key in ("uptime_s", "queue_length", "audio_device", "last_error", "counters"):
        assert key in status
    assert set(status["counters"]) >= {"received", "spoken", "dropped", "failed"}


def test_human_status(daemon: DaemonProc) -> None:
    out = run_cli("status").stdout.splitlines()
    assert out[0].startswith(f"claude-tts daemon: running, pid {daemon.proc.pid}, up ")
    assert out[3] == "  events: 0 received, 0 spoken, 0 dropped, 0 failed"


def test_start_stop_and_start_again(isolated_home: Path) -> None:
    assert run_cli("start").stdout == (
        f"claude-tts daemon started (socket {isolated_home}/run/daemon.sock)\n"
    )
    assert run_cli("start").stdout == "claude-tts daemon is already running\n"
    assert run_cli("stop").stdout == "claude-tts daemon stopped\n"
    assert run_cli("stop").stdout == "claude-tts daemon is not running\n"
    assert not (isolated_home / "run" / "daemon.sock").exists()


def test_say_output_writes_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    result = run_cli("say", "--output", str(out), "Hello there.", "Second sentence here.")
    assert result.returncode == 0, result.stderr
    audio = from_wav_bytes(out.read_bytes())
    assert result.stdout == f"wrote {out} ({audio.duration_s:.2f} s)\n"
    assert 1.0 < voiced_seconds(audio.samples, audio.rate) < 4.0


def test_say_output_with_nothing_speakable() -> None:
    result = run_cli("say", "--output", "/tmp/never.wav", "```\ncode only\n```")
    assert (result.returncode, result.stderr) == (
        1,
        "claude-tts: error: nothing speakable in that text\n",
    )


def test_unknown_engine_is_a_one_line_error() -> None:
    result = run_cli("say", "--engine", "gtss", "--output", "/tmp/x.wav", "hi")
    assert (result.returncode, result.stderr) == (
        1,
        "claude-tts: error: unknown engine 'gtss'; expected one of auto, offline, gtts, espeak, "
        "say, openjtalk, piper, kokoro\n",
    )


def test_logs_before_any_daemon(isolated_home: Path) -> None:
    result = run_cli("logs")
    assert (result.returncode, result.stderr) == (
        1,
        f"claude-tts: error: no log yet at {isolated_home}/state/log/daemon.log\n",
    )


def test_logs_show_the_daemon_log(daemon: DaemonProc) -> None:
    result = run_cli("logs", "-n", "5")
    assert result.returncode == 0
    assert "listening on" in result.stdout


def test_shutup_without_a_daemon_is_fine() -> None:
    assert run_cli("shutup").returncode == 0


def test_unexpected_errors_exit_3_with_a_traceback_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    def boom(args: object, p: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cli, "cmd_status", boom)
    assert cli.main(["status"]) == 3
    crash = isolated_home / "state" / "log" / "crash.log"
    assert capsys.readouterr().err == (
        f"claude-tts: unexpected error: RuntimeError('kaboom') (traceback in {crash})\n"
    )
    assert "RuntimeError: kaboom" in crash.read_text()


def test_version() -> None:
    result = run_cli("--version")
    assert result.stdout == "claude-tts 0.1.0\n"


def test_preview_reads_a_file_without_a_daemon(tmp_path: Path) -> None:
    message = tmp_path / "answer.md"
    message.write_text(
        "# Done\n\nI fixed `parse_payload` in src/app/main.py:42.\n\n```py\nx = 1\n```\n"
    )
    result = run_cli("preview", str(message), "--code", "announce")
    assert (result.returncode, result.stdout) == (
        0,
        "Done\nI fixed parse payload in main.py line 42.\nCode block.\n",
    )


def test_preview_reads_stdin_and_announces_in_the_language_given() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tts_core", "preview", "-", "--lang", "ja", "--code", "announce"],
        input="設定しました。\n\n```\nx\n```\n",
        env=subprocess_env(),
        capture_output=True,
        text=True,
    )
    assert result.stdout == "設定しました。\nコードブロック。\n"


def test_preview_of_a_missing_file() -> None:
    result = run_cli("preview", "/nonexistent/answer.md")
    assert (result.returncode, result.stderr) == (
        1,
        "claude-tts: error: cannot read /nonexistent/answer.md: No such file or directory\n",
    )


def test_voices_lists_every_engine() -> None:
    result = run_cli("voices", "--json")
    report = {e["engine"]: e for e in json.loads(result.stdout)}
    assert set(report) == {"gtts", "espeak", "say", "openjtalk", "piper", "kokoro"}
    assert report["espeak"]["available"] and "en-us" in report["espeak"]["voices"]
    assert report["gtts"]["network"] is True and "ja" in report["gtts"]["voices"]
    assert report["say"] == {
        "engine": "say",
        "licence": "macOS's own voices (Apple's licence)",
        "available": False,
        "reason": "the 'say' command is missing (it ships with macOS only)",
    }
    # Each neural voice says what its licence means for the user.
    assert report["piper"]["licence"] == (
        "Piper, GPL-3.0, run as a separate process; voice 'joe' is fine-tuned from the lessac "
        "voice, whose corpus restricts commercial synthesis"
    )
    assert report["kokoro"]["licence"].startswith("Kokoro-82M, Apache-2.0")


@pytest.mark.parametrize(
    ("t", "line"),
    [
        ({"state": "off"}, "off"),
        ({"state": "loading"}, "loading"),
        ({"state": "failed", "error": "no model here"}, "failed: no model here"),
        (
            {"state": "ready", "backend": "ctranslate2-int8", "device": "cpu",
             "limited_vocabulary": ["Jpan"], "translated": 12, "cache_hits": 3},
            "ready, ctranslate2-int8 on cpu, vocabulary limited to Jpan; 12 translated, "
            "3 cache hits",
        ),
        (
            {"state": "ready", "backend": "transformers-float16", "device": "cuda",
             "limited_vocabulary": [], "compiled_source_sizes": [32, 64], "compile_error": None},
            "ready, transformers-float16 on cuda, compiled for 32/64 tokens",
        ),
        (
            {"state": "ready", "backend": "transformers-float16", "device": "cuda",
             "compiled_source_sizes": [], "compile_error": "RuntimeError: no"},
            "ready, transformers-float16 on cuda, compiling "
            "(compile failed, eager: RuntimeError: no)",
        ),
    ],
)  # fmt: skip
def test_status_says_what_translation_is_doing(t: dict[str, object], line: str) -> None:
    assert translation_line(t) == line


def test_say_that_cannot_be_heard_exits_1_with_the_reason(daemon: DaemonProc) -> None:
    # The daemon has no audio server: the sentence is synthesized but cannot be played.
    result = run_cli("say", "--engine", "espeak", "Nobody will hear this.")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("claude-tts: error: nothing was heard: failed: ")
    assert "audio" in line or "device" in line, line
    assert daemon.status()["counters"]["failed"] == 1


def test_say_no_wait_returns_once_queued(daemon: DaemonProc) -> None:
    result = run_cli("say", "--no-wait", "--engine", "espeak", "Queued only.")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
