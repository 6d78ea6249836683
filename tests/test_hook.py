"""The hook as Claude Code runs it: a ``python -S -I`` subprocess fed a real payload."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tts_core import client
from tts_core import paths as _paths
from tts_core.protocol import HookEvent, decode

from .conftest import HOOK, PAYLOADS, ROOT, DaemonClient, DaemonProc, run_hook

FORBIDDEN = ("yaml", "asyncio", "numpy", "torch", "transformers", "sounddevice", "watchdog")


def payload_bytes(name: str) -> tuple[bytes, dict[str, str]]:
    data = json.loads((PAYLOADS / name).read_text())
    return json.dumps(data["payload"]).encode(), data["env"]


ALL_PAYLOADS = sorted(p.name for p in PAYLOADS.glob("*.json"))


def test_every_real_payload_reaches_the_daemon(daemon: DaemonProc) -> None:
    for name in ALL_PAYLOADS:
        stdin, env = payload_bytes(name)
        result = run_hook(stdin, env)
        assert (result.returncode, result.stdout) == (0, b""), name
    st = daemon.wait_for(lambda s: s["counters"]["in_progress"] == 0)
    c = st["counters"]
    assert c["received"] == len(ALL_PAYLOADS)
    assert c["spoken"] + c["dropped"] + c["failed"] == c["received"]
    # The headless (`claude -p`) captures are dropped as such; the interactive permission
    # prompt and the StopFailure (captured without environment) are spoken, and fail here only
    # because this daemon has no audio device.
    assert st["dropped_by_reason"] == {
        "headless": 18,
        "control": 1,
        "notification_type": 1,
        "event_not_spoken": 1,
    }
    assert c["failed"] == 2
    assert st["last_error"].startswith("no audio output device")


@pytest.mark.parametrize(
    "stdin",
    [b"", b"garbage{", b"\xff\xfe\x00not utf8", b"[]", b'{"hook_event_name": 5}'],
    ids=["empty", "garbage", "binary", "array", "bad-name"],
)
def test_bad_input_exits_0_and_is_counted_as_failed(daemon: DaemonProc, stdin: bytes) -> None:
    result = run_hook(stdin)
    assert (result.returncode, result.stdout) == (0, b"")
    st = daemon.wait_for(
        lambda s: s["counters"]["received"] == 1 and s["counters"]["in_progress"] == 0
    )
    assert st["counters"]["failed"] == 1


def test_a_5_mb_payload_is_delivered_whole(daemon: DaemonProc) -> None:
    data = json.loads((PAYLOADS / "Stop.json").read_text())
    payload, env = data["payload"], data["env"]
    payload["last_assistant_message"] = "word " * (1024 * 1024)
    stdin = json.dumps(payload).encode()
    assert len(stdin) > 5_000_000
    result = run_hook(stdin, env)
    assert (result.returncode, result.stdout) == (0, b"")
    st = daemon.wait_for(
        lambda s: s["counters"]["received"] == 1 and s["counters"]["in_progress"] == 0
    )  # routing 5 MB takes a while on a busy machine
    assert st["dropped_by_reason"] == {"headless": 1}  # parsed, routed, nothing lost


def test_hook_imports_only_the_light_layer(daemon: DaemonProc) -> None:
    stdin, env = payload_bytes("Stop.json")
    result = run_hook_with_importtime(stdin, env)
    assert result[0] == 0
    imported = {line.split("|")[-1].strip() for line in result[1].splitlines() if "|" in line}
    top = {name.split(".")[0] for name in imported}
    assert "tts_core" in top, "the importtime trace is empty: the test would prove nothing"
    assert not top & set(FORBIDDEN), sorted(top & set(FORBIDDEN))
    assert {n for n in imported if n.startswith("tts_core.")} <= {
        "tts_core.errors",
        "tts_core.paths",
        "tts_core.protocol",
        "tts_core.protocol.frames",
        "tts_core.protocol.messages",
        "tts_core.client",
    }


def run_hook_with_importtime(stdin: bytes, env: dict[str, str]) -> tuple[int, str]:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-S", "-I", str(HOOK)],
        input=stdin,
        env={**os.environ, **env},
        capture_output=True,
        timeout=15,
    )
    return proc.returncode, proc.stderr.decode()


def test_without_a_daemon_the_event_is_spooled_and_the_daemon_started() -> None:
    p = _paths.resolve()
    stdin, env = payload_bytes("Notification_permission_prompt.json")
    t0 = time.monotonic()
    result = run_hook(stdin, env)
    elapsed = time.monotonic() - t0
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert elapsed < 2.0  # detached: the hook does not wait for the daemon
    assert client.wait_until_running(p, timeout=15)
    d = DaemonClient(p)
    st = d.wait_for(lambda s: s["counters"]["received"] == 1 and s["counters"]["in_progress"] == 0)
    assert st["counters"]["received"] == 1
    assert os.listdir(p.spool) == []


def test_spooled_file_holds_the_event_when_autospawn_is_off() -> None:
    p = _paths.resolve()
    stdin, env = payload_bytes("Stop.json")
    result = run_hook(stdin, {**env, "CLAUDE_TTS_AUTOSPAWN": "0"})
    assert result.returncode == 0
    (name,) = os.listdir(p.spool)
    event = decode((p.spool / name).read_bytes())
    assert isinstance(event, HookEvent)
    assert json.loads(event.raw)["hook_event_name"] == "Stop"
    assert event.env["CLAUDE_CODE_SESSION_ATTENDED"] == "0"
    assert not p.socket.exists()


def test_a_hung_daemon_cannot_hold_the_hook() -> None:
    """Something accepts on the socket but never answers: the hook gives up in time."""
    p = _paths.resolve()
    _paths.ensure_private_dir(p.runtime)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(p.socket))
    server.listen(8)
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
    try:
        stdin, env = payload_bytes("Stop.json")
        t0 = time.monotonic()
        result = run_hook(stdin, env)
        elapsed = time.monotonic() - t0
    finally:
        server.close()
    assert (result.returncode, result.stdout) == (0, b"")
    assert elapsed < 0.5  # the hook's own deadline is 0.15 s after it started
    # Not acknowledged: spooled for the daemon, which takes each event id only once.
    (spooled,) = [n for n in os.listdir(p.spool) if not n.startswith(".")]
    event = decode((p.spool / spooled).read_bytes())
    assert isinstance(event, HookEvent) and event.raw.encode() == stdin and event.id


def test_hook_works_when_installed_into_a_venv(tmp_path: Path, daemon: DaemonProc) -> None:
    """As install.sh sets it up: a venv holding the package, the hook run by its interpreter
    with -S -I from a path outside any checkout."""
    import subprocess

    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--no-deps",
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    copy = tmp_path / "hooks" / "claude_tts_hook.py"
    copy.parent.mkdir()
    copy.write_bytes(HOOK.read_bytes())
    stdin, env = payload_bytes("Stop.json")
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-S", "-I", str(copy)],
        input=stdin,
        env={**os.environ, **env},
        capture_output=True,
        timeout=15,
    )
    assert (proc.returncode, proc.stdout) == (0, b"")
    assert not daemon.paths.hook_log.exists(), daemon.paths.hook_log.read_text()
    daemon.wait_for(lambda s: s["counters"]["received"] == 1 and s["counters"]["in_progress"] == 0)


def _debian_like_venv(tmp_path: Path) -> tuple[Path, Path]:
    """A venv laid out as Debian's python3 -m venv makes it, with tts_core installed in its
    lib/pythonX.Y/site-packages (a link to this checkout's package)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"home = {os.path.dirname(sys.executable)}\n")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = venv / "lib" / version / "site-packages"
    site.mkdir(parents=True)
    (site / "tts_core").symlink_to(ROOT / "tts_core")
    hook_dir = tmp_path / "hooks"  # installed apart from any checkout
    hook_dir.mkdir()
    return venv, site


def test_the_hook_finds_its_venv_under_debians_posix_local_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util
    import sysconfig

    venv, site = _debian_like_venv(tmp_path)
    installed = tmp_path / "hooks" / "claude_tts_hook.py"
    installed.write_bytes(HOOK.read_bytes())
    # Debian's patched sysconfig: the default scheme is posix_local, whose purelib
    # (<base>/local/lib/pythonX.Y/dist-packages) does not exist in a venv.
    schemes = dict(sysconfig._INSTALL_SCHEMES)  # type: ignore[attr-defined]
    local = dict(schemes["posix_prefix"])
    local["purelib"] = "{base}/local/lib/python{py_version_short}/dist-packages"
    local["platlib"] = local["purelib"]
    monkeypatch.setattr(sysconfig, "_INSTALL_SCHEMES", {**schemes, "posix_local": local})
    monkeypatch.setattr(sysconfig, "get_default_scheme", lambda: "posix_local")
    # get_path's default scheme is bound when sysconfig is imported, as on Debian.
    monkeypatch.setattr(sysconfig.get_path, "__defaults__", ("posix_local", None, True))
    assert sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}) == (
        f"{venv}/local/lib/python{sys.version_info.major}.{sys.version_info.minor}/dist-packages"
    )  # the trap the old lookup fell into
    monkeypatch.setattr(sys, "executable", str(venv / "bin" / "python"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("installed_hook", installed)
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    hook._add_package_to_path()
    assert sys.path[0] == str(site)


def test_the_hook_uses_the_package_root_that_install_sh_recorded(tmp_path: Path) -> None:
    _, site = _debian_like_venv(tmp_path)
    hook_dir = tmp_path / "hooks"
    installed = hook_dir / "claude_tts_hook.py"
    installed.write_bytes(HOOK.read_bytes())
    (hook_dir / "package-root").write_text(f"{site}\n")
    # Run by an interpreter that is not the venv's: only the recorded root can help.
    probe = (
        "import runpy, sys; ns = runpy.run_path(sys.argv[1]); ns['_add_package_to_path']();"
        " import tts_core.protocol as p; print(p.__file__)"
    )
    out = subprocess.run([sys.executable, "-S", "-I", "-c", probe, str(installed)],
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(site / "tts_core" / "protocol" / "__init__.py")


def test_a_hook_that_cannot_import_logs_why_next_to_itself(tmp_path: Path) -> None:
    hook_dir = tmp_path / "lonely" / "hooks"
    hook_dir.mkdir(parents=True)
    installed = hook_dir / "claude_tts_hook.py"
    installed.write_bytes(HOOK.read_bytes())
    result = subprocess.run([sys.executable, "-S", "-I", str(installed)], input=b"{}",
                            capture_output=True, timeout=30)  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    (line,) = (hook_dir / "hook-error.log").read_text().splitlines()
    assert "hook error: ImportError: no tts_core package in any of: " in line
    assert str(tmp_path / "lonely") in line


def test_the_daemon_a_hook_starts_takes_nothing_of_the_sessions_environment(
    tmp_path: Path,
) -> None:
    """A session's PYTHONPATH, LD_* or stray secrets never reach the daemon that then serves
    every project: it runs ``-I`` with the allow-listed variables only."""
    p = _paths.resolve()
    evil = tmp_path / "evil"
    (evil / "tts_core").mkdir(parents=True)
    marker = tmp_path / "marker"
    code = f"open({str(marker)!r}, 'a').write('ran\\n')\n"
    (evil / "sitecustomize.py").write_text(code)
    (evil / "tts_core" / "__init__.py").write_text(code)
    stdin, env = payload_bytes("Stop.json")
    session = {
        "PYTHONPATH": str(evil),
        "LD_LIBRARY_PATH": str(evil),
        "SESSION_SECRET": "s3cret",
        "PULSE_SERVER": "unix:/nonexistent",
        "LC_ALL": "C.UTF-8",
    }
    result = run_hook(stdin, {**env, **session})
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert client.wait_until_running(p, timeout=20)
    pid = int(p.pidfile.read_text())
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    names = {item.split(b"=", 1)[0].decode() for item in raw if item}
    assert not names & {"PYTHONPATH", "LD_LIBRARY_PATH", "SESSION_SECRET"}, sorted(names)
    assert {"HOME", "PATH", "PULSE_SERVER", "LC_ALL", _paths.HOME_ENV} <= names
    allowed = client.ENV_ALLOWED_PREFIXES
    assert all(n in client.ENV_ALLOWED or n.startswith(allowed) for n in names), sorted(names)
    assert b"-I" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    DaemonClient(p).wait_for(
        lambda s: s["counters"]["received"] == 1 and s["counters"]["in_progress"] == 0
    )  # the event came
    assert not marker.exists(), "code from the session's PYTHONPATH ran in the daemon"
    log = p.daemon_log.read_text()
    kept = sorted(names - {client.LOCK_FD_ENV})  # used at start-up, then dropped
    assert f"environment: {' '.join(kept)}\n" in log


def test_the_hook_logs_never_follow_a_planted_symlink(tmp_path: Path) -> None:
    """The error log next to the hook and its fallback in the temporary directory: a symlink
    planted at either is not written through; the line lands in a private file instead."""
    hook_dir = tmp_path / "lonely" / "hooks"
    hook_dir.mkdir(parents=True)
    installed = hook_dir / "claude_tts_hook.py"
    installed.write_bytes(HOOK.read_bytes())
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (hook_dir / "hook-error.log").symlink_to(victim)
    fallback = tmp / f"claude-tts-{os.getuid()}-hook-error.log"
    fallback.symlink_to(victim)
    env = {"TMPDIR": str(tmp)}
    result = subprocess.run([sys.executable, "-S", "-I", str(installed)], input=b"{}",
                            capture_output=True, timeout=30, env=env)  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert victim.read_text() == "precious\n"
    fallback.unlink()
    subprocess.run([sys.executable, "-S", "-I", str(installed)], input=b"{}",
                   capture_output=True, timeout=30, env=env)  # fmt: skip
    assert victim.read_text() == "precious\n"
    assert "hook error: ImportError" in fallback.read_text()
    assert fallback.stat().st_mode & 0o777 == 0o600


def test_the_hook_log_is_not_written_through_a_symlink() -> None:
    p = _paths.resolve()
    _paths.ensure_private_dir(p.log)
    victim = p.log.parent / "victim"
    victim.write_text("precious\n")
    p.hook_log.symlink_to(victim)
    _paths.ensure_private_dir(p.state)
    p.spool.write_text("not a folder")  # the hook cannot spool: it logs why
    stdin, env = payload_bytes("Stop.json")
    result = run_hook(stdin, {**env, "CLAUDE_TTS_AUTOSPAWN": "0"})
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert victim.read_text() == "precious\n"


def test_a_spool_file_is_private_and_never_written_through_a_planted_symlink(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = _paths.resolve()
    spool_dir = _paths.ensure_private_dir(p.spool)
    victim = p.state / "victim"
    victim.write_text("precious\n")
    monkeypatch.setattr(time, "time_ns", lambda: 42)  # the name an attacker predicts
    for name in (f"{42:020d}-{os.getpid()}.json", f"{42:020d}-{os.getpid()}-0.json"):
        (spool_dir / f".{name}.tmp").symlink_to(victim)
    path = client.spool(b"frame")
    assert path is not None and path.read_bytes() == b"frame"
    assert victim.read_text() == "precious\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.name != f"{42:020d}-{os.getpid()}.json"  # not predictable
