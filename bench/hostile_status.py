"""How long `status` takes to answer while hostile projects and rules are at work.

    python3 bench/hostile_status.py [-n EVENTS]

A real daemon (its own temporary home, no audio) serves Stops from projects whose
.claude/claude-tts.yaml is hostile (a YAML alias bomb, 40 levels of nesting, a file over the
size cap, a FIFO in the file's place, keys a project may not set) while the user's own config
holds a rule that backtracks. A second thread asks for status every 20 ms throughout; the
figures are its answer times (median, p95, worst) beside the same daemon idle.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tts_core import client  # noqa: E402
from tts_core import paths as _paths  # noqa: E402
from tts_core.protocol import HookEvent, StatusRequest  # noqa: E402

BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def projects(base: Path) -> list[Path]:
    out = []
    for name, body in {
        "bomb": BOMB,
        "deep": "x: " + "[" * 40 + "]" * 40 + "\n",
        "huge": "language: en\n" + "# padding\n" * 20_000,
        "keys": "voice: {engine: gtts, gtts_endpoint: 'https://127.0.0.1:9'}\n"
        "filters: {rules: [{pattern: '(a|aa)+$', replace: x}]}\n",
    }.items():
        folder = base / name / ".claude"
        folder.mkdir(parents=True)
        (folder / "claude-tts.yaml").write_text(body)
        out.append(folder.parent)
    fifo = base / "fifo" / ".claude"
    fifo.mkdir(parents=True)
    os.mkfifo(fifo / "claude-tts.yaml")
    out.append(fifo.parent)
    return out


def poll(p: _paths.Paths, stop: threading.Event, times: list[float]) -> None:
    while not stop.is_set():
        t0 = time.perf_counter()
        client.request(StatusRequest(), paths=p, timeout=10)
        times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.02)


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"median {statistics.median(ordered):6.1f} ms, p95 {p95:6.1f} ms, "
            f"worst {ordered[-1]:6.1f} ms ({len(ordered)} answers)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50, help="Stops sent (default 50)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ctt-hostile-"))
    env = {**os.environ, _paths.HOME_ENV: str(home), "PULSE_SERVER": "unix:/nonexistent",
           "CLAUDE_TTS_ALLOW_HOSTS": "127.0.0.1", "PYTHONPATH": str(ROOT)}  # fmt: skip
    p = _paths.resolve(env)
    p.config.mkdir(parents=True)
    (p.config / "config.yaml").write_text(
        "voice: {engine: espeak}\nfilters: {rules: [{pattern: '(a|aa)+$', replace: y}]}\n"
    )
    daemon = subprocess.Popen([sys.executable, "-m", "tts_core", "serve"], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert client.wait_until_running(p, timeout=30), "the daemon did not start"
        idle: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(target=poll, args=(p, stop, idle))
        poller.start()
        time.sleep(2)
        stop.set()
        poller.join()
        hostile = projects(home / "projects")
        busy: list[float] = []
        stop = threading.Event()
        poller = threading.Thread(target=poll, args=(p, stop, busy))
        poller.start()
        text = "The end " + "a" * 60 + "b. " + "Word " * 200
        for i in range(args.n):
            project = hostile[i % len(hostile)]
            payload = {"hook_event_name": "Stop", "session_id": f"s{i}", "prompt_id": str(i),
                       "cwd": str(project), "last_assistant_message": text}  # fmt: skip
            event = HookEvent(json.dumps(payload), env={"CLAUDE_PROJECT_DIR": str(project)})
            client.request(event, paths=p, timeout=10)
            time.sleep(0.05)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            st = client.request(StatusRequest(), paths=p).status  # type: ignore[attr-defined]
            if st["counters"]["in_progress"] == 0:
                break
            time.sleep(0.1)
        stop.set()
        poller.join()
        print(f"status, daemon idle:              {figures(idle)}")
        print(f"status, {args.n} Stops from hostile projects: {figures(busy)}")
        print(f"project warnings shown: {len(st['config']['project_warnings'])}; "
              f"rules switched off: {len(st['config']['rules_off'])}; "
              f"events: {st['counters']}")  # fmt: skip
    finally:
        daemon.terminate()
        daemon.wait(10)


if __name__ == "__main__":
    main()
