"""The hook-daemon contract under faults: the real daemon, the real hook as a subprocess.

Claude Code waits for every synchronous hook, so in each case the hook must exit 0, print
nothing and be done fast; and every event sent must be accounted for afterwards (``received =
spoken + dropped + failed``, nothing left in progress), across a hung, killed or restarted
daemon, a full accept backlog, a full disk, a huge payload and a stdin held open.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tts_core import client
from tts_core import paths as _paths
from tts_core.daemon.journal import unfinished as journal_unfinished
from tts_core.protocol import MAX_RAW, hook_frame

from .conftest import (
    HOOK,
    PAYLOADS,
    ROOT,
    DaemonClient,
    DaemonProc,
    Pulse,
    Recorder,
    run_hook,
    start_daemon,
    stop_daemon,
)

HOOK_BUDGET_S = 0.5
"""Wall time allowed per hook run from the outside (its own deadline is 0.15 s after start;
process creation and interpreter start-up come on top, and CI machines are noisy)."""
ATTENDED = {"CLAUDE_CODE_SESSION_ATTENDED": "1", "CLAUDE_TTS_AUTOSPAWN": "0"}


def stop_payload(n: int, text: str | None = None) -> bytes:
    payload = json.loads((PAYLOADS / "Stop.json").read_text())["payload"]
    payload.update(
        prompt_id=f"prompt-{n}", transcript_path="/nonexistent/transcript.jsonl",
        last_assistant_message=text or f"Answer number {n}.",
    )  # fmt: skip
    return json.dumps(payload).encode()


def timed_hook(stdin: bytes, env: dict[str, str] | None = None) -> float:
    t0 = time.monotonic()
    result = run_hook(stdin, {**ATTENDED, **(env or {})})
    took = time.monotonic() - t0
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    return took


def settled(d: DaemonClient, received: int, timeout: float = 30.0) -> dict[str, Any]:
    """Wait until ``received`` events are in the books and none is in progress."""
    st = d.wait_for(
        lambda s: s["counters"]["received"] == received and s["counters"]["in_progress"] == 0,
        timeout=timeout,
    )
    c = st["counters"]
    assert c["spoken"] + c["dropped"] + c["failed"] == c["received"]
    return st


def spooled(p: _paths.Paths) -> list[str]:
    try:
        return sorted(n for n in os.listdir(p.spool) if not n.startswith("."))
    except FileNotFoundError:
        return []


def test_a_hung_daemon_costs_the_hook_nothing_and_loses_nothing(daemon: DaemonProc) -> None:
    os.kill(daemon.proc.pid, signal.SIGSTOP)
    try:
        took = [timed_hook(stop_payload(n)) for n in range(3)]
        in_doubt = len(spooled(daemon.paths))  # no answer came: each was spooled
    finally:
        os.kill(daemon.proc.pid, signal.SIGCONT)
    assert max(took) < HOOK_BUDGET_S, took
    assert in_doubt == 3
    # Each reached the stopped daemon's socket buffer, the spool, or both: every id is taken
    # once, the copies are counted as duplicates, not as events.
    st = settled(daemon, 3)
    daemon.wait_for(lambda s: not spooled(daemon.paths))
    assert 0 <= st["duplicates"] <= 3
    assert daemon.status()["counters"]["received"] == 3


def test_hung_then_killed_the_spooled_events_come_through(daemon: DaemonProc) -> None:
    os.kill(daemon.proc.pid, signal.SIGSTOP)
    took = [timed_hook(stop_payload(n)) for n in range(3)]
    os.kill(daemon.proc.pid, signal.SIGKILL)
    daemon.proc.wait()
    assert max(took) < HOOK_BUDGET_S, took
    assert len(spooled(daemon.paths)) == 3
    again = start_daemon({"PULSE_SERVER": "unix:/nonexistent"})
    try:
        settled(again, 3)
    finally:
        stop_daemon(again)


def test_a_killed_daemon_gives_back_every_event_it_had_accepted(
    pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    config = isolated_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("voice: {engine: espeak}\nlanguage: en\n")
    d = start_daemon(pulse.env)
    sentences = "One sentence to say. Another one follows it. And a third to end."
    for n in range(20):
        timed_hook(stop_payload(n, sentences))
    d.wait_for(lambda s: s["speaking"] and s["queue_length"] >= 10)
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    # What the journal holds unfinished is what the next daemon must take.
    data = (isolated_home / "state" / "journal.jsonl").read_bytes()
    assert data.count(b'"type":"hook"') == 20  # every event was journaled before its answer
    unfinished = len(journal_unfinished(data))
    assert unfinished >= 19  # at most the first was heard to its end
    t0 = time.monotonic()
    again = start_daemon({"PULSE_SERVER": "unix:/nonexistent"})
    try:
        st = settled(again, unfinished)
        print(f"restart replay: {unfinished} events booked in {time.monotonic() - t0:.2f} s")
        assert st["journal"]["open"] == 0
    finally:
        stop_daemon(again)


def test_a_full_accept_backlog_sends_the_hook_to_the_spool(daemon: DaemonProc) -> None:
    os.kill(daemon.proc.pid, signal.SIGSTOP)
    held: list[socket.socket] = []
    try:
        while True:  # fill the listen backlog of the stopped daemon
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(str(daemon.paths.socket))
            except BlockingIOError:
                s.close()
                break
            held.append(s)
            assert len(held) < 5000
        took = timed_hook(stop_payload(1))
        status = subprocess.run(
            [sys.executable, "-m", "tts_core", "status"], capture_output=True, text=True,
            timeout=30, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    finally:
        for s in held:
            s.close()
        os.kill(daemon.proc.pid, signal.SIGCONT)
    assert took < HOOK_BUDGET_S
    assert len(spooled(daemon.paths)) == 1
    assert status.returncode == 1
    assert status.stderr == "claude-tts: error: the daemon did not accept a connection in 2 s\n"
    assert client.wait_until_running(daemon.paths, timeout=10)  # it works through the backlog
    settled(daemon, 1)


def test_a_payload_near_the_frame_limit_arrives_whole(daemon: DaemonProc) -> None:
    payload = json.loads(stop_payload(1))
    base = len(json.dumps(payload).encode())
    quote_heavy = '"' * ((MAX_RAW - base - 16) // 2)  # each quote is 2 bytes once escaped
    payload["last_assistant_message"] = quote_heavy
    stdin = json.dumps(payload).encode()
    assert MAX_RAW - 64 < len(stdin) <= MAX_RAW
    took = timed_hook(stdin)
    st = settled(daemon, 1)
    assert st["counters"]["failed"] + st["counters"]["dropped"] == 1  # routed: nothing to say
    assert "hook payload" not in (st["last_error"] or "")
    assert took < 2.0  # 16 MB through a pipe and a socket


def test_a_stdin_held_open_does_not_hold_the_hook(daemon: DaemonProc) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_CODE")}
    env.update(ATTENDED)
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-S", "-I", str(HOOK)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(stop_payload(1))
    proc.stdin.flush()  # ... and never closed
    try:
        code = proc.wait(timeout=5)
        took = time.monotonic() - t0
    finally:
        proc.stdin.close()
    assert proc.stdout is not None and proc.stdout.read() == b""
    assert code == 0 and took < HOOK_BUDGET_S
    settled(daemon, 1)


DISK_FULL = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    home = sys.argv[1]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", home], check=True)
    env = {**os.environ, "CLAUDE_TTS_HOME": home, "PYTHONPATH": sys.argv[2],
           "CLAUDE_CODE_SESSION_ATTENDED": "1", "PULSE_SERVER": "unix:/nonexistent"}
    os.makedirs(os.path.join(home, "state", "spool"), mode=0o700)
    fd = os.open(os.path.join(home, "filler"), os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"x" * 4096):
            pass
    except OSError:
        pass
    os.close(fd)
    t0 = time.monotonic()
    hook = subprocess.run([sys.executable, "-S", "-I", sys.argv[3]], input=sys.argv[4].encode(),
                          env=env, capture_output=True, timeout=30)
    took = time.monotonic() - t0
    sys.path.insert(0, sys.argv[2])
    from tts_core import client, paths
    from tts_core.protocol import StatusReply, StatusRequest
    p = paths.resolve(env)
    up = client.wait_until_running(p, timeout=20)
    # Now that it runs, an event straight to it: it cannot journal it, takes it all the same.
    hook2 = subprocess.run([sys.executable, "-S", "-I", sys.argv[3]], input=sys.argv[4].encode(),
                           env=env, capture_output=True, timeout=30)
    st = None
    for _ in range(100):
        st = client.request(StatusRequest(), paths=p).status
        if st["counters"]["received"] >= 2 and st["counters"]["in_progress"] == 0:
            break
        time.sleep(0.1)
    leftovers = [n for n in os.listdir(p.spool) if n.endswith(".tmp")]
    client.request(__import__("tts_core.protocol").protocol.Shutdown(), paths=p)
    print(json.dumps({"rc": [hook.returncode, hook2.returncode],
                      "out": (hook.stdout + hook.stderr + hook2.stdout + hook2.stderr).decode(),
                      "took": took, "up": up, "status": st, "tmp": leftovers}))
    """
)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")
def test_a_full_disk_still_starts_the_daemon_and_says_so(tmp_path: Path) -> None:
    home = tmp_path / "full"
    home.mkdir()
    run = subprocess.run(
        ["unshare", "-m", "--propagation", "private", sys.executable, "-c", DISK_FULL,
         str(home), str(ROOT), str(HOOK), stop_payload(1).decode()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["rc"] == [0, 0] and result["out"] == ""
    assert result["took"] < HOOK_BUDGET_S
    assert result["up"], "the hook did not start the daemon on a full disk"
    assert result["tmp"] == []  # a failed spool write leaves nothing behind
    st = result["status"]
    assert st["journal"]["error"].startswith("cannot write the journal ")
    c = st["counters"]
    # Both events: the first carried to the daemon it started (nowhere to spool it), the
    # second sent to it straight; neither could be journaled, both were taken.
    assert c["received"] == 2 and c["in_progress"] == 0


def test_a_spool_that_cannot_be_made_still_lets_the_hook_start_the_daemon(
    isolated_home: Path,
) -> None:
    p = _paths.resolve()
    p.state.mkdir(parents=True)
    p.spool.write_text("a file where the spool folder should be")  # mkdir fails: PathError
    took = timed_hook(stop_payload(1), {"CLAUDE_TTS_AUTOSPAWN": "1"})
    assert took < HOOK_BUDGET_S
    try:
        assert client.wait_until_running(p, timeout=20)
        assert "cannot spool the event" in p.hook_log.read_text()
        time.sleep(1.2)  # a few spool polls of the blocked folder: the daemon lives on
        st = DaemonClient(p).status()
        assert st["counters"]["in_progress"] == 0
    finally:
        subprocess.run([sys.executable, "-m", "tts_core", "stop"], capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=30)  # fmt: skip


def _spawned_daemon(p: _paths.Paths) -> int:
    """Let a hook start the daemon; return its pid once it answers."""
    timed_hook(stop_payload(0), {"CLAUDE_TTS_AUTOSPAWN": "1", **HEADLESS})
    assert client.wait_until_running(p, timeout=20)
    # Booked (and so closed in the journal): the next daemon must not take it again.
    DaemonClient(p).wait_for(
        lambda s: s["counters"]["received"] == 1 and s["counters"]["in_progress"] == 0
    )
    return int(p.pidfile.read_text())


HEADLESS = {"CLAUDE_CODE_SESSION_ATTENDED": "0", "PULSE_SERVER": "unix:/nonexistent"}
HEADLESS_ENV = {"CLAUDE_CODE_SESSION_ATTENDED": "0"}


@pytest.mark.parametrize("hung", [False, True], ids=["killed", "hung-then-killed"])
def test_a_daemon_that_dies_young_comes_back_at_the_next_event(hung: bool) -> None:
    p = _paths.resolve()
    t0 = time.monotonic()
    pid = _spawned_daemon(p)
    if hung:
        os.kill(pid, signal.SIGSTOP)
        timed_hook(stop_payload(1), HEADLESS)  # spooled: nobody answers
    os.kill(pid, signal.SIGKILL)
    assert time.monotonic() - t0 < 3.0, "too slow to test the young daemon"
    for n in range(2, 5):
        timed_hook(stop_payload(n), {"CLAUDE_TTS_AUTOSPAWN": "1", **HEADLESS})
    assert client.wait_until_running(p, timeout=20), "the next event did not start a daemon"
    again = DaemonClient(p)
    wanted = 4 if hung else 3
    st = again.wait_for(
        lambda s: s["counters"]["received"] >= wanted and s["counters"]["in_progress"] == 0,
        timeout=30,
    )
    assert st["dropped_by_reason"] == {"headless": wanted}
    assert int(p.pidfile.read_text()) != pid
    assert spooled(p) == []


def test_a_daemon_that_never_comes_up_is_not_started_at_every_event() -> None:
    """Failed starts back off (none after the first, then 1, 2, 4 ... s): a daemon that
    crashes at start-up must not cost every hook a Python start-up."""
    p = _paths.resolve()
    _paths.ensure_private_dir(p.runtime)
    p.spawn_stamp.write_text("3\n")  # three starts in a row never came up
    timed_hook(stop_payload(1), {"CLAUDE_TTS_AUTOSPAWN": "1"})
    assert not client.wait_until_running(p, timeout=1.0)
    assert p.spawn_stamp.read_text() == "3\n"  # backing off: not started, not counted
    assert client.spawn_backoff(3) == 2.0 and client.spawn_backoff(1) == 0.0
    os.utime(p.spawn_stamp, (time.time() - 3, time.time() - 3))  # the back-off has passed
    timed_hook(stop_payload(2), {"CLAUDE_TTS_AUTOSPAWN": "1", **HEADLESS})
    assert client.wait_until_running(p, timeout=20)
    DaemonClient(p).wait_for(
        lambda s: s["counters"]["received"] == 2 and s["counters"]["in_progress"] == 0
    )
    deadline = time.monotonic() + 10
    while p.spawn_stamp.exists():  # it came up: the count of failures starts again
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_spool_entries_that_cannot_be_read_are_set_aside_once(isolated_home: Path) -> None:
    """Garbage, a folder, a FIFO, a symlink, a torn frame: each logged once, moved into
    spool/rejected/ (0700), never retried; the good events behind them all come through."""
    p = _paths.resolve()
    spool_dir = _paths.ensure_private_dir(p.spool)
    good = [stop_payload(n) for n in range(2)]
    (spool_dir / "00-garbage.json").write_bytes(b"garbage{")
    (spool_dir / "01-folder.json").mkdir()
    os.mkfifo(spool_dir / "02-fifo.json")  # reading it would block: it must not freeze us
    (spool_dir / "03-link.json").symlink_to(isolated_home / "elsewhere")
    (isolated_home / "elsewhere").write_bytes(b"not ours to read")
    torn = client.spool(b'{"v":1,"type":"hook","size":100}\n' + b"x" * 10, p)
    assert torn is not None
    torn.rename(spool_dir / "04-torn.json")
    for n, stdin in enumerate(good):
        frame = hook_frame(stdin, HEADLESS_ENV, time.time(), f"good-{n}")
        assert client.spool(frame, p) is not None
    d = start_daemon({"PULSE_SERVER": "unix:/nonexistent"})
    try:
        st = d.wait_for(lambda s: s["dropped_by_reason"].get("headless") == 2, timeout=20)
        time.sleep(1.5)  # three more polls: nothing is read or logged again
        st = d.status()
    finally:
        stop_daemon(d)
    rejected = spool_dir / "rejected"
    assert sorted(os.listdir(rejected)) == [
        "00-garbage.json", "01-folder.json", "02-fifo.json", "03-link.json", "04-torn.json",
    ]  # fmt: skip
    assert rejected.stat().st_mode & 0o777 == 0o700
    assert spooled(p) == ["rejected"]
    log = p.daemon_log.read_text()
    assert log.count("cannot be read") == 5, log
    assert "02-fifo.json cannot be read (not a regular file)" in log
    assert "04-torn.json cannot be read (hook: 100 bytes announced, 10 came)" in log
    # The two files that were meant as events are booked as failed; the rest are not events.
    assert st["counters"]["failed"] == 2 and st["counters"]["received"] == 4


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tts_core", *args], capture_output=True, text=True,
        timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )  # fmt: skip


def _machine_is_wrong(case: str, isolated_home: Path) -> tuple[dict[str, str], str]:
    """An environment where the daemon cannot run, and the one line that must say why."""
    if case == "long-socket-path":
        home = isolated_home.parent / ("x" * 110)
        env = {_paths.HOME_ENV: str(home)}
        sock = _paths.resolve(env).socket
        size = len(os.fsencode(str(sock)))
        return env, (
            f"socket path is {size} bytes, over the limit of {_paths.MAX_SOCKET_PATH}: {sock} "
            "(set CLAUDE_TTS_HOME or XDG_RUNTIME_DIR to a shorter directory)"
        )
    p = _paths.resolve()
    p.runtime.parent.mkdir(parents=True, exist_ok=True)
    p.runtime.write_text("a file where the runtime folder should be")
    return {}, (
        f"cannot create directory {p.runtime}: File exists (the daemon's runtime folder: make "
        "it a folder you can write, or set XDG_RUNTIME_DIR or CLAUDE_TTS_HOME to one that is)"
    )


@pytest.mark.parametrize("case", ["long-socket-path", "unwritable-runtime"])
def test_a_machine_the_daemon_cannot_run_on_gets_one_clear_line(
    case: str, isolated_home: Path
) -> None:
    env, why = _machine_is_wrong(case, isolated_home)
    p = _paths.resolve({**os.environ, **env})
    start = _cli("start", "--wait", "3", env=env)
    assert (start.returncode, start.stdout, start.stderr) == (1, "", f"claude-tts: error: {why}\n")
    doctor = _cli("doctor", "--offline", "--settings", str(isolated_home / "none.json"), env=env)
    assert f"FAIL  daemon: {why}\n" in doctor.stdout
    for n in range(2):  # every hook says why, none starts a daemon
        timed_hook(stop_payload(n), {"CLAUDE_TTS_AUTOSPAWN": "1", **HEADLESS, **env})
    lines = p.hook_log.read_text().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [f"cannot start the daemon: {why}"] * 2
    assert not client.is_running(p)
    assert not (p.state / "log" / "crash.log").exists()
    # Run by hand, the daemon itself writes why in the log that `start` points to.
    serve = _cli("serve", env=env)
    assert serve.returncode == 1 and serve.stderr == f"claude-tts: error: {why}\n"
    assert f"ERROR tts_core.daemon.process: the daemon cannot start: {why}\n" in (
        p.daemon_log.read_text()
    )


def test_daemon_down_and_nowhere_to_spool_every_event_still_comes_through(
    isolated_home: Path,
) -> None:
    """The spool cannot be written (a file where its folder should be, as a full disk would
    refuse it) and no daemon runs: the first hook starts one, and every event, those sent
    while it is still starting included, reaches it."""
    p = _paths.resolve()
    p.state.mkdir(parents=True)
    p.spool.write_text("a file where the spool folder should be")
    took = [
        timed_hook(stop_payload(n), {"CLAUDE_TTS_AUTOSPAWN": "1", **HEADLESS}) for n in range(3)
    ]
    assert max(took) < HOOK_BUDGET_S
    assert client.wait_until_running(p, timeout=20)
    st = DaemonClient(p).wait_for(
        lambda s: s["counters"]["received"] == 3 and s["counters"]["in_progress"] == 0,
        timeout=30,
    )
    assert st["dropped_by_reason"] == {"headless": 3}
    log = p.hook_log.read_text()
    assert log.count("a courier takes it to the daemon") == 3
