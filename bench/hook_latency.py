"""Hook wall time (process start to exit) with the daemon running, against a bare interpreter.

    python3 bench/hook_latency.py [-n 50] [--load]

Runs both side by side in one process and prints medians, p95 and the ratio. Uses a temporary
CLAUDE_TTS_HOME and the captured headless Stop payload (routed, counted, not spoken).

``--load`` holds every core with a busy process meanwhile (a build running beside Claude
Code), prints the worst run too, and checks that the daemon booked every event whole.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOOK = ROOT / "hooks" / "claude_tts_hook.py"
PAYLOAD = ROOT / "tests" / "fixtures" / "payloads" / "Stop.json"


def timed(argv: list[str], stdin: bytes, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, input=stdin, env=env, stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--load", action="store_true", help="one busy process per core")
    args = parser.parse_args()
    n = args.n
    home = tempfile.mkdtemp(prefix="ctt-bench-", dir="/tmp")
    env = {**os.environ, "CLAUDE_TTS_HOME": home, "PYTHONPATH": str(ROOT)}
    data = json.loads(PAYLOAD.read_text())
    env.update(data["env"])
    stdin = json.dumps(data["payload"]).encode()
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tts_core", "serve"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        sock = Path(home) / "run" / "daemon.sock"
        while not sock.exists():
            time.sleep(0.05)
        time.sleep(0.5)
        busy = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range((os.cpu_count() or 1) if args.load else 0)
        ]
        bare: list[float] = []
        hook: list[float] = []
        try:
            for _ in range(n):  # interleaved, so both see the same machine load
                bare.append(timed([sys.executable, "-S", "-I", "-c", "pass"], stdin, env))
                hook.append(timed([sys.executable, "-S", "-I", str(HOOK)], stdin, env))
        finally:
            for proc in busy:
                proc.kill()
                proc.wait()
        booked = _booked(home, n)
    finally:
        daemon.terminate()
        daemon.wait()

    def p95(xs: list[float]) -> float:
        return sorted(xs)[int(0.95 * (len(xs) - 1))]

    print(f"runs: {n}{f', under load: {os.cpu_count()} busy processes' if args.load else ''}")
    print(
        f"bare interpreter (-S -I -c pass): median {statistics.median(bare):.1f} ms, "
        f"p95 {p95(bare):.1f} ms"
    )
    print(
        f"hook with daemon running:          median {statistics.median(hook):.1f} ms, "
        f"p95 {p95(hook):.1f} ms"
    )
    print(f"ratio hook/bare (median): {statistics.median(hook) / statistics.median(bare):.2f}")
    print(f"worst hook run: {max(hook):.1f} ms; events booked whole: {booked} of {n}")


def _booked(home: str, n: int) -> int:
    """How many events the daemon routed as a whole headless Stop (waits for all n)."""
    sys.path.insert(0, str(ROOT))
    from tts_core import client, paths
    from tts_core.protocol import StatusReply, StatusRequest

    p = paths.resolve({"CLAUDE_TTS_HOME": home})
    deadline = time.monotonic() + 30
    while True:
        reply = client.request(StatusRequest(), paths=p)
        assert isinstance(reply, StatusReply)
        st = reply.status
        done = st["counters"]["received"] >= n and st["counters"]["in_progress"] == 0
        if done or time.monotonic() > deadline:
            return int(st["dropped_by_reason"].get("headless", 0))
        time.sleep(0.1)


if __name__ == "__main__":
    main()
