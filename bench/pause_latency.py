"""How fast `claude-tts pause` silences the sink and `resume` brings sound back, measured on
the recording of a PulseAudio null sink (the real daemon, player and audio path).

    python3 bench/pause_latency.py [-n 12]

Starts a private null sink, its recorder and a daemon (espeak) in a temporary home. One long
answer is paused and resumed ``n`` times at random moments. The recorder's file length at the
moment of each request places it in the recording (the recorder lags real time by its ~20 ms
latency, so the figures are upper bounds). Pause-to-silence: from the request to the end of the
last voiced 20 ms frame; resume-to-sound: from the request to the first voiced frame. A pause
that lands in a gap between words reads 0; a resume whose rest begins in a gap reads long.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.audio_sink import Recorder, start_pulse, stop_pulse  # noqa: E402
from tts_core import client  # noqa: E402
from tts_core import paths as _paths  # noqa: E402
from tts_core.protocol import Pause, Resume, Say, StatusReply, StatusRequest  # noqa: E402

LONG = " ".join(f"This is sentence number {i} of a long answer." for i in range(30))
FRAME = 320  # 20 ms at 16 kHz


def frames_now(path: Path) -> int:
    head = path.read_bytes()[:4096]
    width = int(struct.unpack_from("<H", head, head.index(b"fmt ") + 22)[0]) // 8
    return int((os.path.getsize(path) - head.index(b"data") - 8) // width)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=12)
    n = parser.parse_args().n
    pulse = start_pulse()
    home = Path(tempfile.mkdtemp(prefix="ctt-bench-", dir="/tmp"))
    (home / "config").mkdir()
    (home / "config" / "config.yaml").write_text("voice: {engine: espeak}\n")
    env = {**os.environ, **pulse.env, "CLAUDE_TTS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    p = _paths.resolve({**env})
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tts_core", "serve"], env=env, stderr=subprocess.DEVNULL
    )
    rec = Recorder(pulse, home / "rec.wav")
    marks: list[tuple[int, int]] = []
    try:
        assert client.wait_until_running(p, timeout=15)
        client.request(Say(LONG), paths=p)
        while True:
            reply = client.request(StatusRequest(), paths=p)
            assert isinstance(reply, StatusReply)
            if reply.status["speaking"]:
                break
            time.sleep(0.01)
        time.sleep(1.0)
        for _ in range(n):
            time.sleep(random.uniform(0.4, 1.2))
            at_pause = frames_now(rec.path)
            client.request(Pause(), paths=p)
            time.sleep(0.6)
            at_resume = frames_now(rec.path)
            client.request(Resume(), paths=p)
            marks.append((at_pause, at_resume))
        time.sleep(1.0)
        samples = rec.stop()
    finally:
        daemon.terminate()
        daemon.wait()
        stop_pulse(pulse)
    frames = len(samples) // FRAME
    rms = np.sqrt(np.mean(samples[: frames * FRAME].reshape(frames, FRAME) ** 2, axis=1))
    voiced = rms > 0.01
    silence, sound = [], []
    for at_pause, at_resume in marks:
        pf, rf = at_pause // FRAME, at_resume // FRAME
        during = np.nonzero(voiced[pf:rf])[0]
        silence.append((int(during[-1]) + 1) * 20 if len(during) else 0)
        after = np.nonzero(voiced[rf:])[0]
        sound.append(int(after[0]) * 20 if len(after) else -1)
    print(f"trials: {n}")
    print(f"pause -> silence on the sink: median {statistics.median(silence):4.0f} ms, "
          f"worst {max(silence):4.0f} ms  {sorted(silence)}")  # fmt: skip
    print(f"resume -> sound on the sink:  median {statistics.median(sound):4.0f} ms, "
          f"worst {max(sound):4.0f} ms  {sorted(sound)}")  # fmt: skip


if __name__ == "__main__":
    main()
