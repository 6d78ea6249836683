"""Live reload with the real watchdog and the real daemon, proven by what the daemon then does."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tts_core import client
from tts_core.engines import registry
from tts_core.languages.catalog import lookup
from tts_core.protocol import Ok, Say

from .conftest import DaemonProc, Pulse, Recorder, run_cli, start_daemon, stop_daemon


@pytest.fixture
def config_path(isolated_home: Path) -> Path:
    path = isolated_home / "config" / "config.yaml"
    path.parent.mkdir(parents=True)
    return path


@pytest.fixture
def live(config_path: Path) -> Iterator[DaemonProc]:
    config_path.write_text("voice: {engine: offline}\n")
    d = start_daemon({"PULSE_SERVER": "unix:/nonexistent", "LANG": "C.UTF-8"})
    yield d
    stop_daemon(d)


# The offline chains as installed here: a neural voice first when its extra is installed.
EN_OFFLINE = ", ".join(registry.offline_chain(lookup("en")))
JA_OFFLINE = ", ".join(registry.offline_chain(lookup("ja")))


def said_with(d: DaemonProc, text: str) -> dict[str, Any]:
    """Ask for speech; return the status once it is over (it fails: no audio device here, but
    the engine chain that was chosen for it shows what the daemon made of the config)."""
    before = d.status()["counters"]["received"]
    assert client.request(Say(text), paths=d.paths) == Ok("queued")
    return d.wait_for(
        lambda s: s["counters"]["received"] == before + 1 and s["counters"]["in_progress"] == 0
    )


def test_edit_in_place_changes_the_next_utterance(live: DaemonProc, config_path: Path) -> None:
    assert said_with(live, "Hello.")["engine"] == EN_OFFLINE
    with open(config_path, "w") as fh:  # rewrite the same inode, as some editors do
        fh.write("language: ja\nvoice: {engine: offline}\n")
    st = live.wait_for(lambda s: s["language"] == "ja")
    assert st["config"]["error"] is None
    assert said_with(live, "こんにちは。")["engine"] == JA_OFFLINE


def test_save_by_rename_as_vim_does(live: DaemonProc, config_path: Path) -> None:
    swap = config_path.with_name(".config.yaml.swp")
    swap.write_text("voice: {engine: 'espeak, gtts'}\n")
    os.replace(swap, config_path)
    live.wait_for(lambda s: s["engine"] == "espeak, gtts")
    assert said_with(live, "Renamed.")["engine"] == "espeak, gtts"


def test_delete_falls_back_to_defaults_and_recreate_applies(
    live: DaemonProc, config_path: Path
) -> None:
    config_path.unlink()
    live.wait_for(lambda s: s["engine"] == f"gtts, {EN_OFFLINE}")  # the default chain: auto
    assert "no config file at" in live.paths.daemon_log.read_text()
    config_path.write_text("voice: {engine: espeak}\n")
    live.wait_for(lambda s: s["engine"] == "espeak")


def test_rapid_edits_end_in_the_last_one(live: DaemonProc, config_path: Path) -> None:
    for speed in ("1.1", "1.2", "1.3", "1.4", "0.9"):
        config_path.write_text(f"voice: {{engine: espeak, speed: {speed}}}\nlanguage: fr\n")
    live.wait_for(lambda s: s["language"] == "fr")
    time.sleep(0.5)
    loads = live.paths.daemon_log.read_text().count("config loaded from")
    assert loads <= 3  # the start, then the burst debounced into one or two reloads
    assert said_with(live, "Bonjour.")["language"] == "fr"


def test_a_broken_edit_keeps_the_last_good_config_until_fixed(
    live: DaemonProc, config_path: Path
) -> None:
    config_path.write_text("language: ja\nvoice: {engine: offline}\n")
    live.wait_for(lambda s: s["language"] == "ja")
    config_path.write_text("language: ja\nvoice: {engine: gtss}\n")
    st = live.wait_for(lambda s: s["config"]["error"] is not None)
    assert st["config"]["error"] == (
        f"==> File {config_path}\n==> At key: voice\n==> At key: engine\n=====> Expected one of "
        "auto, offline, gtts, espeak, say, openjtalk, piper, kokoro but got: 'gtss' (did you mean "
        "'gtts'?)"
    )
    assert said_with(live, "まだ。")["engine"] == JA_OFFLINE  # the last good one
    shown = run_cli("status").stdout.splitlines()
    at = shown.index("  config: BROKEN, the last good settings stay in effect until it is fixed:")
    assert shown[at + 1 : at + 5] == [
        f"    ==> File {config_path}", "    ==> At key: voice", "    ==> At key: engine",
        "    =====> Expected one of auto, offline, gtts, espeak, say, openjtalk, piper, kokoro but "
        "got: 'gtss' (did you mean 'gtts'?)",
    ]  # fmt: skip
    config_path.write_text("language: ja\nvoice: {engine: espeak}\n")
    st = live.wait_for(lambda s: s["config"]["error"] is None)
    assert st["engine"] == "espeak"


def test_a_project_file_overrides_for_that_projects_events(
    live: DaemonProc, tmp_path: Path
) -> None:
    from .conftest import run_hook

    project = tmp_path / "proj"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "claude-tts.yaml").write_text("enabled: false\n")
    payload = (
        '{"hook_event_name": "Notification", "session_id": "s", "notification_type": '
        f'"permission_prompt", "message": "Claude needs your permission", "cwd": "{project}"}}'
    )
    run_hook(payload.encode(), {"CLAUDE_PROJECT_DIR": str(project)})
    st = live.wait_for(lambda s: s["counters"]["dropped"] == 1)
    assert st["dropped_by_reason"] == {"disabled": 1}
    run_hook(payload.replace(str(project), str(tmp_path)).encode())
    st = live.wait_for(
        lambda s: s["counters"]["received"] == 2 and s["counters"]["in_progress"] == 0
    )
    assert st["counters"]["failed"] == 1  # spoken (no audio device here), not dropped


def test_a_voice_change_while_speaking_loses_nothing(
    pulse: Pulse, recorder: Recorder, config_path: Path
) -> None:
    config_path.write_text("voice: {engine: espeak}\n")
    d = start_daemon(pulse.env)
    try:
        long = " ".join(f"This is sentence {i} of a long answer." for i in range(4))
        client.request(Say(long), paths=d.paths)
        d.wait_for(lambda s: s["speaking"])
        config_path.write_text("voice: {engine: espeak, speed: 1.5}\n")
        d.wait_for(lambda s: s["config"]["loaded_at"] > 0 and not s["speaking"], timeout=60)
        st = d.status()
        assert st["counters"]["spoken"] == 1 and st["counters"]["dropped"] == 0
        client.request(Say("And the next one."), paths=d.paths)
        st = d.wait_for(lambda s: s["counters"]["spoken"] == 2, timeout=30)
        assert st["engines"]["used"] == {"espeak": 1}  # a new chain, built for the new speed
    finally:
        stop_daemon(d)
