"""The hook and the daemon on a busy machine: every core held by a busy process, as when Claude
Code runs a build or the tests while it talks. Nothing sent may be lost or cut on the way.

Each test here runs the real hook (``python -S -I``) as Claude Code does, many at once, and the
real daemon subprocess (started by the test, or by the hooks themselves).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tts_core import client
from tts_core import paths as _paths

from .conftest import HOOK, PAYLOADS, DaemonClient, DaemonProc

HOOKS_AT_ONCE = 30


@pytest.fixture
def cpu_load() -> Iterator[int]:
    """One busy process per core for the test's duration."""
    procs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 1)
    ]
    time.sleep(0.2)  # let them take the cores
    yield len(procs)
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait()


def headless_stop(n: int) -> bytes:
    """A Stop from ``claude -p``: routed and dropped as "headless", so a whole payload is
    booked under that reason and anything else (an empty or cut body) shows as a failure."""
    data = json.loads((PAYLOADS / "Stop.json").read_text())
    payload = data["payload"]
    payload.update(prompt_id=f"prompt-{n}", last_assistant_message=f"Answer number {n}.")
    return json.dumps(payload).encode()


def hook_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_CODE")}
    env["CLAUDE_CODE_SESSION_ATTENDED"] = "0"
    env.update(extra or {})
    return env


def fire_hooks(count: int, env: dict[str, str]) -> list[float]:
    """Run ``count`` hooks at once, each from its own thread as a busy parent runs them (the
    event written when that thread gets to it, then closed); return each one's wall time in
    seconds."""
    took: list[float] = []
    results: list[subprocess.CompletedProcess[bytes]] = []

    def one(n: int) -> None:
        t0 = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-S", "-I", str(HOOK)],
            input=headless_stop(n), env=env, capture_output=True, timeout=60,
        )  # fmt: skip
        took.append(time.monotonic() - t0)
        results.append(result)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [(r.returncode, r.stdout, r.stderr) for r in results] == [(0, b"", b"")] * count
    return took


def all_booked(d: DaemonClient, count: int, timeout: float = 60.0) -> dict[str, Any]:
    st = d.wait_for(
        lambda s: s["counters"]["received"] >= count and s["counters"]["in_progress"] == 0,
        timeout=timeout,
    )
    return st


def test_30_hooks_at_once_on_a_busy_machine_all_reach_the_running_daemon(
    daemon: DaemonProc, cpu_load: int
) -> None:
    took = fire_hooks(HOOKS_AT_ONCE, hook_env({"CLAUDE_TTS_AUTOSPAWN": "0"}))
    st = all_booked(daemon, HOOKS_AT_ONCE)
    print(f"hook wall time under load: median {sorted(took)[len(took) // 2]:.3f} s, "
          f"worst {max(took):.3f} s")  # fmt: skip
    assert st["counters"] == {
        "received": HOOKS_AT_ONCE, "spoken": 0, "dropped": HOOKS_AT_ONCE, "failed": 0,
        "in_progress": 0,
    }  # fmt: skip
    assert st["dropped_by_reason"] == {"headless": HOOKS_AT_ONCE}  # each payload whole


def test_30_hooks_at_once_on_a_busy_machine_start_the_daemon_and_lose_nothing(
    cpu_load: int,
) -> None:
    p = _paths.resolve()
    fire_hooks(HOOKS_AT_ONCE, hook_env({"PULSE_SERVER": "unix:/nonexistent"}))
    assert client.wait_until_running(p, timeout=60)
    st = all_booked(DaemonClient(p), HOOKS_AT_ONCE)
    assert st["counters"]["failed"] == 0, st["last_error"]
    assert st["dropped_by_reason"] == {"headless": HOOKS_AT_ONCE}
    assert st["counters"]["received"] == HOOKS_AT_ONCE


def test_a_read_cut_short_is_marked_and_logged(daemon: DaemonProc) -> None:
    """stdin held open with half an event: what came is sent, flagged, and the hook log says
    so (the daemon books it as failed, never as a whole event)."""
    p = daemon.paths
    stdin = headless_stop(1)
    proc = subprocess.Popen(
        [sys.executable, "-S", "-I", str(HOOK)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=hook_env({"CLAUDE_TTS_AUTOSPAWN": "0"}),
    )
    assert proc.stdin is not None
    proc.stdin.write(stdin[:40])
    proc.stdin.flush()  # ... and never closed
    try:
        assert proc.wait(timeout=10) == 0
    finally:
        proc.stdin.close()
    st = all_booked(daemon, 1)
    assert st["counters"]["failed"] == 1
    log = Path(p.hook_log).read_text()
    assert "stdin still open when the wait for it ended: sent the 40 bytes read so far" in log
