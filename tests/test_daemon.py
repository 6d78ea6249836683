"""The real daemon as a subprocess: frames, single instance, stale sockets, signals, peers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

from tts_core import client
from tts_core import paths as _paths
from tts_core.daemon.server import MAX_LINE
from tts_core.protocol import Error, HookEvent, Ok, Say, decode, encode

from .conftest import (
    PAYLOADS,
    DaemonClient,
    DaemonProc,
    Pulse,
    run_hook,
    start_daemon,
    stop_daemon,
    subprocess_env,
)


def exchange(path: str, *frames: bytes) -> list[bytes]:
    """Send raw frames on one connection; return the reply lines."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        replies = []
        for frame in frames:
            s.sendall(frame)
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            replies.append(buf)
        return replies


def test_malformed_frames_get_error_replies_and_the_daemon_lives_on(daemon: DaemonProc) -> None:
    replies = exchange(
        str(daemon.paths.socket),
        b"not json\n",
        b'{"v":9,"type":"ping"}\n',
        b'{"v":1,"type":"explode"}\n',
        b'{"v":1,"type":"say","text":7}\n',
        b'{"v":1,"type":"ok"}\n',
        b'{"v":1,"type":"ping"}\n',
    )
    decoded = [decode(r) for r in replies]
    assert [m.code if isinstance(m, Error) else m for m in decoded] == [
        "bad_json",
        "bad_version",
        "unknown_type",
        "bad_field",
        "unknown_type",
        Ok("pong"),
    ]
    assert decoded[4] == Error("unknown_type", "'ok' is a reply, not a request")
    assert daemon.proc.poll() is None


def test_an_oversized_line_is_refused_and_the_daemon_lives_on(daemon: DaemonProc) -> None:
    (reply,) = exchange(str(daemon.paths.socket), b"x" * (MAX_LINE + 10) + b"\n")
    assert decode(reply) == Error("too_large", f"a line exceeds {MAX_LINE} bytes")
    assert client.is_running(daemon.paths)


def test_socket_is_private(daemon: DaemonProc) -> None:
    assert stat.S_IMODE(daemon.paths.socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(daemon.paths.runtime.stat().st_mode) == 0o700


def test_a_second_daemon_refuses_to_start(daemon: DaemonProc) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "tts_core", "serve"],
        env=subprocess_env(),
        capture_output=True,
        timeout=30,
    )
    pid = daemon.proc.pid
    assert second.returncode == 1
    assert second.stderr.decode() == (
        f"claude-tts: error: claude-tts daemon is already running (pid {pid})\n"
    )
    assert client.is_running(daemon.paths)


def test_a_stale_socket_file_is_replaced() -> None:
    p = _paths.resolve()
    _paths.ensure_private_dir(p.runtime)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(p.socket))  # bound, never listening: what a crashed daemon leaves
    stale.close()
    assert p.socket.exists() and not client.is_running(p)
    d = start_daemon()
    try:
        assert client.is_running(p)
    finally:
        stop_daemon(d)


def test_sigterm_drains_and_removes_the_socket(daemon: DaemonProc) -> None:
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=10) == 0
    assert not daemon.paths.socket.exists()
    assert not daemon.paths.pidfile.exists()
    log = daemon.paths.daemon_log.read_text()
    assert "signal received: shutting down" in log and "stopped;" in log


def test_kill_9_then_a_hook_event_restarts_it_and_the_spooled_event_is_spoken(
    pulse: Pulse,
) -> None:
    d = start_daemon(pulse.env)
    d.proc.kill()
    d.proc.wait()
    assert d.paths.socket.exists()  # left behind by kill -9
    data = json.loads((PAYLOADS / "Notification_permission_prompt.json").read_text())
    result = run_hook(json.dumps(data["payload"]).encode(), {**data["env"], **pulse.env})
    assert (result.returncode, result.stdout) == (0, b"")
    assert client.wait_until_running(d.paths, timeout=20)
    restarted = DaemonClient(d.paths)
    st = restarted.wait_for(lambda s: s["counters"]["spoken"] == 1, timeout=30)
    assert st["pid"] != d.proc.pid
    assert st["counters"]["received"] == 1
    assert "spooled event" in d.paths.daemon_log.read_text()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_peers_of_another_uid_are_refused(daemon: DaemonProc) -> None:
    # Open the directory and socket to everyone, so that only the peer check stands.
    run = daemon.paths.runtime
    for d in (run, run.parent, run.parent.parent):
        os.chmod(d, 0o755)
    os.chmod(daemon.paths.socket, 0o666)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: become "nobody" and ask for a ping
        try:
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(str(daemon.paths.socket))
                # The daemon may answer and hang up before our frame is even sent.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    s.sendall(b'{"v":1,"type":"ping"}\n')
                os.write(write_end, s.recv(4096))
        except BaseException as exc:
            os.write(write_end, f"child failed: {exc!r}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    reply = os.read(read_end, 4096)
    os.close(read_end)
    assert decode(reply) == Error("forbidden", "connection from another user")
    assert "refused a connection from uid 65534" in daemon.paths.daemon_log.read_text()


def test_a_say_request_is_counted_once(daemon: DaemonProc) -> None:
    assert client.request(Say("hello"), paths=daemon.paths) == Ok("queued")
    st = daemon.wait_for(lambda s: s["counters"]["in_progress"] == 0)
    assert st["counters"]["received"] == 1
    assert st["counters"]["failed"] == 1  # no audio device in this fixture
    assert st["audio_device"] is None


def test_shutdown_request_stops_the_daemon(daemon: DaemonProc) -> None:
    t0 = time.monotonic()
    rc = subprocess.run(
        [sys.executable, "-m", "tts_core", "stop"], env=subprocess_env(), capture_output=True
    )
    assert rc.returncode == 0 and rc.stdout == b"claude-tts daemon stopped\n"
    assert daemon.proc.wait(timeout=10) == 0
    assert time.monotonic() - t0 < 5


def test_spooled_events_are_drained_at_start_and_stale_ones_dropped() -> None:
    p = _paths.resolve()
    payload = json.dumps({"hook_event_name": "SessionStart", "session_id": "s"})
    client.spool(encode(HookEvent(raw=payload, sent_at=time.time() - 3600)), p)
    client.spool(encode(HookEvent(raw=payload, sent_at=time.time())), p)
    (p.spool / "junk.json").write_bytes(b"not a frame")
    d = start_daemon()
    try:
        st = d.wait_for(
            lambda s: s["counters"]["received"] == 3 and s["counters"]["in_progress"] == 0
        )
    finally:
        stop_daemon(d)
    assert st["dropped_by_reason"] == {"stale": 1, "event_not_spoken": 1}
    assert st["counters"]["failed"] == 1
    assert os.listdir(p.spool) == ["rejected"]  # drained; the junk was set aside, not retried
    assert os.listdir(p.spool / "rejected") == ["junk.json"]


def test_the_books_balance_received_against_outcomes() -> None:
    from tts_core.daemon.books import Accounting

    books = Accounting()
    for _ in range(4):
        books.received()
    books.finish("spoken")
    books.finish("dropped", "stale")
    books.finish("dropped")
    books.error("no voice for zulu")
    assert books.status() == {
        "last_error": "no voice for zulu",
        "counters": {"received": 4, "spoken": 1, "dropped": 2, "failed": 0, "in_progress": 1},
        "dropped_by_reason": {"stale": 1, "unspecified": 1},
    }
