"""A private PulseAudio server with a null sink, and a recorder of its monitor.

Proves that sound was really played on a machine without a sound card: PortAudio -> ALSA
``default`` -> the pulse ALSA plugin -> null sink ``speaker`` -> ``parecord`` of its monitor.
Used by the tests (as fixtures) and by the benchmarks. Nothing here touches ``$HOME``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tts_core.audio.pcm import from_wav_bytes


@dataclass
class Pulse:
    dir: Path
    env: dict[str, str]
    """PULSE_* variables that point a client at this server."""


def start_pulse() -> Pulse:
    d = Path(tempfile.mkdtemp(prefix="ctt-pulse-", dir="/tmp"))
    (d / "server.pa").write_text(
        f"load-module module-native-protocol-unix auth-anonymous=1 auth-cookie-enabled=0 "
        f"socket={d}/native\n"
        "load-module module-null-sink sink_name=speaker\n"
        "set-default-sink speaker\n"
    )
    env = {
        "PULSE_SERVER": f"unix:{d}/native",
        "PULSE_RUNTIME_PATH": str(d),
        "PULSE_COOKIE": str(d / "cookie"),
        "PULSE_STATE_PATH": str(d),
    }
    pulse = Pulse(d, env)
    launch(pulse)
    return pulse


def launch(pulse: Pulse) -> None:
    """Start (or start again) the server of ``pulse``, on the same socket."""
    d = pulse.dir
    full = {**os.environ, **pulse.env, "HOME": str(d)}
    subprocess.run(
        ["pulseaudio", "--daemonize=yes", "-n", "-F", str(d / "server.pa"),
         "--exit-idle-time=-1", "--use-pid-file=yes", f"--log-target=file:{d}/pulse.log"],
        env=full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, check=True, timeout=20,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=full, capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError((d / "pulse.log").read_text())
        time.sleep(0.05)


def kill(pulse: Pulse) -> None:
    """Stop the server (as when a sound server dies or headphones go away)."""
    env = {**os.environ, **pulse.env, "HOME": str(pulse.dir)}
    subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True)
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "pulseaudio did not stop"
        time.sleep(0.05)


def stop_pulse(pulse: Pulse) -> None:
    kill(pulse)
    shutil.rmtree(pulse.dir, ignore_errors=True)


class Recorder:
    """Records the null sink's monitor to a WAV file, in real time."""

    def __init__(self, pulse: Pulse, path: Path) -> None:
        self.path = path
        env = {**os.environ, **pulse.env}
        self.proc = subprocess.Popen(
            [
                "parecord",
                "--device=speaker.monitor",
                "--latency-msec=20",
                "--file-format=wav",
                "--channels=1",
                "--rate=16000",
                str(path),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3)
        # An idle null sink renders in 2 s blocks: a suspend/resume cycle makes it real-time.
        for state in ("1", "0"):
            subprocess.run(["pactl", "suspend-sink", "speaker", state], env=env, check=True)
        self.started = time.monotonic()

    def stop(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)
        return from_wav_bytes(self.path.read_bytes()).samples


def voiced_seconds(samples: np.ndarray[Any, np.dtype[np.float32]], rate: int = 16000) -> float:
    """Seconds of 20 ms frames whose RMS is above a silence threshold."""
    frame = rate // 50
    n = len(samples) // frame
    if n == 0:
        return 0.0
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1))
    return float(np.count_nonzero(rms > 0.01)) * 0.02


def last_voiced_at(samples: np.ndarray[Any, np.dtype[np.float32]], rate: int = 16000) -> float:
    """Time (s from the start of the recording) of the end of the last voiced frame."""
    frame = rate // 50
    n = len(samples) // frame
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1))
    voiced = np.nonzero(rms > 0.01)[0]
    return float(voiced[-1] + 1) * 0.02 if len(voiced) else 0.0
