"""Where files go: CLAUDE_TTS_HOME relocates everything; XDG and macOS conventions otherwise."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tts_core import paths
from tts_core.errors import PathError


def test_claude_tts_home_relocates_every_directory(tmp_path: Path) -> None:
    p = paths.resolve({"CLAUDE_TTS_HOME": str(tmp_path), "XDG_RUNTIME_DIR": "/run/user/1"})
    for d in (p.runtime, p.state, p.log, p.cache, p.config, p.spool):
        assert d.is_relative_to(tmp_path), d
    assert p.socket == tmp_path / "run" / "daemon.sock"


def test_linux_uses_xdg_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    p = paths.resolve({"XDG_RUNTIME_DIR": "/run/user/1000"})
    assert p.socket == Path("/run/user/1000/claude-tts/daemon.sock")


def test_linux_without_runtime_dir_falls_back_to_the_cache_dir(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    p = paths.resolve({"XDG_RUNTIME_DIR": "relative/is/ignored"})
    assert p.runtime == Path.home() / ".cache" / "claude-tts" / "run"
    assert p.state == Path.home() / ".local" / "state" / "claude-tts"


def test_macos_uses_library_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    p = paths.resolve({})
    assert p.socket == Path.home() / "Library" / "Caches" / "claude-tts" / "run" / "daemon.sock"
    assert p.log == Path.home() / "Library" / "Logs" / "claude-tts"


def test_private_dir_is_0700(tmp_path: Path) -> None:
    d = tmp_path / "a" / "b"
    d.parent.mkdir()
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    paths.ensure_private_dir(d)
    assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_private_dir_error_names_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(PathError, match=f"cannot create directory {blocker}/sub: "):
        paths.ensure_private_dir(blocker / "sub")


def test_too_long_socket_path_is_a_clear_error() -> None:
    long = Path("/tmp/" + "x" * 120 + "/daemon.sock")
    with pytest.raises(PathError) as info:
        paths.check_socket_path(long)
    assert str(info.value) == (
        f"socket path is {len(str(long))} bytes, over the limit of {paths.MAX_SOCKET_PATH}: "
        f"{long} (set CLAUDE_TTS_HOME or XDG_RUNTIME_DIR to a shorter directory)"
    )
