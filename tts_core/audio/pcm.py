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


def resample(audio: Audio, rate: int) -> Audio:
    """Linear-interpolation resampling: enough for speech between the usual 16-48 kHz rates."""
    if audio.rate == rate or len(audio.samples) == 0:
        return audio
    n = max(1, round(len(audio.samples) * rate / audio.rate))
    positions = np.linspace(0, len(audio.samples) - 1, n)
    samples = np.interp(positions, np.arange(len(audio.samples)), audio.samples)
    return Audio(samples.astype(np.float32), rate)


def chime(rate: int = 22050) -> Audio:
    """Two short rising tones (E5 then A5) with soft edges: a cue, not speech."""
    tones = []
    for freq in (659.25, 880.0):
        t = np.arange(int(0.09 * rate)) / rate
        envelope = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
        tones.append((0.25 * np.sin(2 * np.pi * freq * t) * envelope).astype(np.float32))
    return Audio(np.concatenate(tones), rate)


def concat(parts: list[Audio]) -> Audio:
    """Join clips, at the first clip's sample rate. Raises ValueError if there are none."""
    if not parts:
        raise ValueError("nothing to join")
    rate = parts[0].rate
    joined = np.concatenate([resample(p, rate).samples for p in parts])
    return Audio(joined.astype(np.float32), rate)


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


def decode_mp3(data: bytes) -> Audio:
    """Decode one MP3 (libsndfile through soundfile), mixed down to mono. Raises ValueError."""
    import soundfile

    try:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise ValueError(f"not a readable MP3: {exc}") from None
    return Audio(samples.mean(axis=1).astype(np.float32), int(rate))


def time_stretch(audio: Audio, speed: float) -> Audio:
    """Change tempo by ``speed`` without changing pitch (WSOLA: windowed overlap-add whose
    frames are shifted to the best-matching position, so voices do not warble)."""
    if speed == 1.0 or len(audio.samples) == 0:
        return audio
    x = audio.samples.astype(np.float32)
    frame = max(64, int(audio.rate * 0.03))  # 30 ms frames
    hop_out = frame // 2
    hop_in = hop_out * speed
    tolerance = frame // 4
    window = np.hanning(frame).astype(np.float32)
    n_frames = max(1, int((len(x) - frame - tolerance) / hop_in))
    out = np.zeros(n_frames * hop_out + frame, dtype=np.float32)
    norm = np.zeros_like(out)
    padded = np.concatenate([x, np.zeros(frame + 2 * tolerance, dtype=np.float32)])
    prev = padded[:frame]
    for k in range(n_frames):
        center = int(k * hop_in)
        lo, hi = max(0, center - tolerance), center + tolerance
        if k > 0:
            # pick the offset whose frame best continues what was written last
            target = prev[hop_out:]
            region = padded[lo : hi + frame]
            scores = np.correlate(region[: hi - lo + len(target)], target, mode="valid")
            center = lo + int(np.argmax(scores[: hi - lo + 1]))
        seg = padded[center : center + frame]
        out[k * hop_out : k * hop_out + frame] += seg * window
        norm[k * hop_out : k * hop_out + frame] += window
        prev = seg
    stretched = (out / np.maximum(norm, 1e-3)).astype(np.float32)
    return Audio(stretched[: int(len(x) / speed)], audio.rate)
