"""Shared fixtures: an isolated home, a private PulseAudio null sink with a recorder, and a
real daemon subprocess. Nothing here writes to the real ``$HOME`` or ``~/.claude``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tts_core import client
from tts_core import paths as _paths
from tts_core.protocol import StatusReply, StatusRequest

from .audio_sink import (
    Pulse,
    Recorder,
    last_voiced_at,
    start_pulse,
    stop_pulse,
    voiced_seconds,
)
from .gtts_server import ca_bundle

__all__ = ["Pulse", "Recorder", "last_voiced_at", "voiced_seconds"]

# Fail closed, for the whole test session (session fixtures run before per-test ones, and
# huggingface_hub reads HF_HUB_OFFLINE once, at import): network engines may only reach servers
# the tests run on this machine, and the model hub is never contacted.
os.environ["CLAUDE_TTS_ALLOW_HOSTS"] = "127.0.0.1"
os.environ["HF_HUB_OFFLINE"] = "1"
# Certificates are verified: the local stand-in for Google has a certificate of this session's
# own, trusted the way a user trusts a private CA (tests/gtts_server.py), beside what this
# machine trusts already (pip in the install tests still reaches its registry).
os.environ["REQUESTS_CA_BUNDLE"] = str(
    ca_bundle(os.environ.get("REQUESTS_CA_BUNDLE") or ssl.get_default_verify_paths().cafile)
)

ROOT = Path(__file__).resolve().parent.parent
HOOK = ROOT / "hooks" / "claude_tts_hook.py"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PAYLOADS = FIXTURES / "payloads"


def short_tmpdir(prefix: str) -> Path:
    # Unix socket paths are limited to ~107 bytes: pytest's tmp_path can be longer.
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own CLAUDE_TTS_HOME and a fake HOME (pre-commit's rule: tests never
    write to the real home)."""
    base = short_tmpdir("ctt-")
    monkeypatch.setenv("HOME", str(base / "home"))
    monkeypatch.setenv(_paths.HOME_ENV, str(base / "t"))
    for var in ("XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    (base / "home").mkdir()
    yield base / "t"
    _kill_leftover_daemon(_paths.resolve())
    shutil.rmtree(base, ignore_errors=True)


def _kill_leftover_daemon(p: _paths.Paths) -> None:
    """A daemon the hook started in a test is not the test's child: end it by its pid file."""
    try:
        pid = int(p.pidfile.read_text())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def load_payload(name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A captured hook payload and the CLAUDE_* environment it came with."""
    data = json.loads((PAYLOADS / name).read_text())
    return data["payload"], data["env"]


# ---- audio ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pulse() -> Iterator[Pulse]:
    """A private PulseAudio server with one null sink, ``speaker``."""
    server = start_pulse()
    yield server
    stop_pulse(server)


@pytest.fixture
def recorder(pulse: Pulse, isolated_home: Path) -> Iterator[Recorder]:
    rec = Recorder(pulse, isolated_home.parent / "rec.wav")
    yield rec
    if rec.proc.poll() is None:
        rec.proc.kill()
        rec.proc.wait()


# ---- translation -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_model() -> Iterator[Path]:
    """A tiny NLLB-architecture model and tokenizer, saved like the hub's (tests/tiny_nllb.py)."""
    from .tiny_nllb import build

    folder = short_tmpdir("ctt-nllb-")
    yield build(folder / "tiny-nllb")
    shutil.rmtree(folder, ignore_errors=True)


# ---- daemon ---------------------------------------------------------------------------------


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


@dataclass
class DaemonClient:
    """A daemon the test talks to through its socket (started by the test or by the hook)."""

    paths: _paths.Paths

    def status(self) -> dict[str, Any]:
        reply = client.request(StatusRequest(), paths=self.paths)
        assert isinstance(reply, StatusReply)
        return reply.status

    def wait_for(self, pred: Any, timeout: float = 15.0) -> dict[str, Any]:
        """Poll status until ``pred(status)`` holds; return that status."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.status()
            if pred(st):
                return st
            assert time.monotonic() < deadline, f"condition not met; last status: {st}"
            time.sleep(0.05)


@dataclass
class DaemonProc(DaemonClient):
    """A daemon the test started, as its child process."""

    proc: subprocess.Popen[bytes]


def start_daemon(env_extra: dict[str, str] | None = None) -> DaemonProc:
    p = _paths.resolve()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tts_core", "serve"],
        env=subprocess_env(env_extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if not client.wait_until_running(p, timeout=15):
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"daemon did not start: {err.decode()}")
    return DaemonProc(paths=p, proc=proc)


def stop_daemon(d: DaemonProc) -> None:
    if d.proc.poll() is None:
        d.proc.send_signal(signal.SIGTERM)
        try:
            d.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            d.proc.kill()
            d.proc.wait()
    if d.proc.stderr is not None:
        d.proc.stderr.close()


@pytest.fixture
def daemon() -> Iterator[DaemonProc]:
    """A real daemon with no audio server (speech fails, everything else works)."""
    d = start_daemon({"PULSE_SERVER": "unix:/nonexistent"})
    yield d
    stop_daemon(d)


@pytest.fixture
def audio_daemon(pulse: Pulse) -> Iterator[DaemonProc]:
    """A real daemon playing into the private PulseAudio null sink."""
    d = start_daemon(pulse.env)
    yield d
    stop_daemon(d)


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``claude-tts ARGS`` as a user runs it, in this test's isolated home."""
    return subprocess.run(
        [sys.executable, "-m", "tts_core", *args],
        input=stdin,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_hook(
    stdin: bytes, env_extra: dict[str, str] | None = None, timeout: float = 15.0
) -> subprocess.CompletedProcess[bytes]:
    """Run the hook exactly as Claude Code does: ``python -S -I hook.py`` with stdin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_CODE")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-S", "-I", str(HOOK)],
        input=stdin,
        env=env,
        capture_output=True,
        timeout=timeout,
    )
