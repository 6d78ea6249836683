"""How fast `claude-tts shutup` silences speech, through the real daemon and audio path.

    python3 bench/stop_latency.py [-n 10]

Starts a private PulseAudio null sink and a daemon in a temporary CLAUDE_TTS_HOME (needs the
Debian packages of the test setup). Each trial speaks a long text, waits a random 0.5-1.5 s,
sends Shutup and times (a) the Shutup round trip and (b) until the daemon reports it is no
longer speaking (player aborted, utterance closed). Also prints a bare Ping round trip, measured
in the same run, as the floor.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.audio_sink import start_pulse, stop_pulse  # noqa: E402
from tts_core import client  # noqa: E402
from tts_core import paths as _paths  # noqa: E402
from tts_core.protocol import Ping, Say, Shutup, StatusReply, StatusRequest  # noqa: E402

LONG = " ".join(f"This is sentence number {i} of a long answer." for i in range(30))


def speaking(p: _paths.Paths) -> bool:
    reply = client.request(StatusRequest(), paths=p)
    assert isinstance(reply, StatusReply)
    return bool(reply.status["speaking"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10)
    n = parser.parse_args().n
    pulse = start_pulse()
    home = tempfile.mkdtemp(prefix="ctt-bench-", dir="/tmp")
    env = {**os.environ, **pulse.env, "CLAUDE_TTS_HOME": home, "PYTHONPATH": str(ROOT)}
    p = _paths.resolve({**env})
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tts_core", "serve"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        assert client.wait_until_running(p, timeout=15)
        ping, rtt, silent = [], [], []
        for _ in range(n):
            client.request(Say(LONG), paths=p)
            while not speaking(p):
                time.sleep(0.01)
            time.sleep(random.uniform(0.5, 1.5))
            t0 = time.perf_counter()
            client.request(Ping(), paths=p)
            ping.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            client.request(Shutup(), paths=p)
            rtt.append((time.perf_counter() - t0) * 1000)
            while speaking(p):
                time.sleep(0.002)
            silent.append((time.perf_counter() - t0) * 1000)
    finally:
        daemon.terminate()
        daemon.wait()
        stop_pulse(pulse)
    print(f"trials: {n}")
    print(f"ping round trip (floor):          median {statistics.median(ping):6.1f} ms")
    print(f"shutup round trip:                median {statistics.median(rtt):6.1f} ms")
    print(
        f"shutup -> daemon not speaking:    median {statistics.median(silent):6.1f} ms, "
        f"max {max(silent):6.1f} ms"
    )


if __name__ == "__main__":
    main()
