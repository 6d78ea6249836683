"""PCM audio as numpy arrays: WAV in and out, silence, gain. Pure: no devices, no network."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``rate`` Hz."""

    samples: Samples
    rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    def with_gain(self, gain: float) -> Audio:
        if gain == 1.0:
            return self
        return Audio(np.clip(self.samples * gain, -1.0, 1.0).astype(np.float32), self.rate)


def silence(seconds: float, rate: int) -> Audio:
    return Audio(np.zeros(int(seconds * rate), dtype=np.float32), rate)


def concat(parts: list[Audio]) -> Audio:
    """Join clips of one sample rate. Raises ValueError on mixed rates or no clips."""
    if not parts:
        raise ValueError("nothing to join")
    rates = {p.rate for p in parts}
    if len(rates) != 1:
        raise ValueError(f"cannot join clips of different rates: {sorted(rates)}")
    return Audio(np.concatenate([p.samples for p in parts]).astype(np.float32), parts[0].rate)


def from_wav_bytes(data: bytes) -> Audio:
    """Decode a PCM WAV (8/16/32-bit integer, any channel count, mixed down to mono)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            width = wav.getsampwidth()
            channels = wav.getnchannels()
            rate = wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a PCM WAV: {exc}") from None
    if width == 1:
        pcm = (np.frombuffer(frames, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        pcm = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 4:
        pcm = np.frombuffer(frames, dtype="<i4").astype(np.float32) / 2147483648.0
    else:
        raise ValueError(f"unsupported WAV sample width: {width} bytes")
    if channels > 1:
        pcm = pcm[: len(pcm) - len(pcm) % channels].reshape(-1, channels).mean(axis=1)
    return Audio(pcm.astype(np.float32), rate)


def to_wav_bytes(audio: Audio) -> bytes:
    """Encode as 16-bit mono PCM WAV."""
    pcm = (np.clip(audio.samples, -1.0, 1.0) * 32767.0).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(audio.rate)
        wav.writeframes(pcm.tobytes())
    return buf.getvalue()


def write_wav(path: Path, audio: Audio) -> None:
    path.write_bytes(to_wav_bytes(audio))
