"""Plays audio on the output device through sounddevice (PortAudio).

Writes small blocks from a worker thread so that :meth:`Player.stop` takes effect within one
block (~20 ms). One output stream stays open from clip to clip while they follow each other
(the clauses of a sentence, the sentences of an answer): a new stream per clip cost each
boundary the stream's start and a tail pad, an audible gap between clauses. After
:data:`IDLE_CLOSE_S` without a clip, the stream plays its tail pad (so the last milliseconds
are heard) and closes. A missing PortAudio library or output device raises
:class:`~tts_core.errors.AudioUnavailable` from :meth:`Player.play`; the next play tries again,
re-reading the device list, so a device that comes back (headphones plugged in again, a sound
server restarted) is used without restarting the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

import numpy as np

from tts_core.audio.pcm import Audio
from tts_core.errors import AudioUnavailable

POLL_S = 0.005
IDLE_CLOSE_S = 0.5
"""How long an open stream waits for the next clip before it is closed."""
STALL_S = 3.0
"""How long a device may take no audio at all before the clip fails and the device is reset.
Counted from the last frames it took (or from the start): not from the clip's length, so a
sink that is merely slow to start (an idle PulseAudio null sink renders 2 s at a time, and so
does one resuming from module-suspend-on-idle) is waited for, while a dead one fails within
this bound of its last sign of life."""


class Player:
    """One output device. ``play`` calls must not overlap (the pipeline plays one at a time)."""

    def __init__(
        self, device: str | None = None, *, block_ms: int = 20, pad_s: float = 0.1
    ) -> None:
        self.wanted_device = device
        self.block_ms = block_ms
        self.pad_s = pad_s
        self.device_name: str | None = None
        self._stop = threading.Event()
        self._keep = threading.Event()  # set with _stop by interrupt(): keep the rest
        self.rest: Audio | None = None
        """What the last clip had left when :meth:`interrupt` ended it (None otherwise)."""
        self._sd: Any = None
        self._needs_reinit = False
        self._lock = threading.Lock()
        """One user of the open stream at a time: a clip, or the idle closer."""
        self._open: tuple[Any, int, int] | None = None
        """The stream kept open between clips, its device index and sample rate."""
        self._clips = 0
        """Clips begun: the idle closer closes only if none began since it was set."""

    def _module(self) -> Any:
        if self._sd is None:
            try:
                import sounddevice
            except OSError as exc:  # the Python package is there, libportaudio is not
                raise AudioUnavailable(
                    f"PortAudio library not found ({exc}); install libportaudio2"
                ) from None
            except ImportError:
                raise AudioUnavailable("the sounddevice package is not installed") from None
            self._sd = sounddevice
        elif self._needs_reinit:
            # PortAudio reads the device list once; re-initialize to see devices that changed.
            self._sd._terminate()
            self._sd._initialize()
        self._needs_reinit = False
        return self._sd

    def _resolve_device(self, sd: Any) -> tuple[int, str]:
        try:
            if self.wanted_device:
                for index, info in enumerate(sd.query_devices()):
                    if info["max_output_channels"] > 0 and self.wanted_device in info["name"]:
                        return index, str(info["name"])
                raise AudioUnavailable(f"no output device matches {self.wanted_device!r}")
            info = sd.query_devices(kind="output")
            return int(info["index"]), str(info["name"])
        except sd.PortAudioError as exc:
            raise AudioUnavailable(f"no audio output device: {exc}") from None

    def probe(self) -> str:
        """Return the output device's name. Raises AudioUnavailable."""
        sd = self._module()
        try:
            _, name = self._resolve_device(sd)
        except AudioUnavailable:
            self._needs_reinit = True
            raise
        self.device_name = name
        return name

    def stop(self) -> None:
        """Cut the current clip short (thread-safe, returns at once)."""
        self._stop.set()

    def interrupt(self) -> None:
        """End the current clip within a poll (~5 ms) and keep what was not heard in
        :attr:`rest` (thread-safe, returns at once)."""
        self._keep.set()
        self._stop.set()

    async def play(self, audio: Audio) -> bool:
        """Play ``audio`` to the end (True) or until :meth:`stop` (False).

        Raises:
            AudioUnavailable: no PortAudio, no device, or the device failed mid-play.
        """
        self._stop.clear()
        self._keep.clear()
        self.rest = None
        return await asyncio.to_thread(self._play_blocking, audio)

    def _play_blocking(self, audio: Audio) -> bool:
        with self._lock:
            self._clips += 1
            if self._needs_reinit:
                self._drop_stream()  # PortAudio is re-initialized: no stream outlives that
            sd = self._module()
            try:
                index, name = self._resolve_device(sd)
                self.device_name = name
                stream = self._stream(sd, index, audio.rate)
                block = max(1, audio.rate * self.block_ms // 1000)
                played = self._feed(stream, audio.samples.astype(np.float32).reshape(-1, 1), block)
            except sd.PortAudioError as exc:
                self._drop_stream()
                self._needs_reinit = True
                raise AudioUnavailable(f"audio device failed: {exc}") from None
            except AudioUnavailable:
                self._drop_stream()
                self._needs_reinit = True
                raise
            if played is True:
                closer = threading.Timer(IDLE_CLOSE_S, self._close_idle, (self._clips,))
                closer.daemon = True
                closer.start()
                return True
            self._drop_stream()  # aborted by stop() or interrupt()
        if self._keep.is_set():
            if played >= len(audio.samples):
                return True  # interrupted as it ended: the clip was heard
            self.rest = Audio(audio.samples[played:], audio.rate)
        return False

    def _stream(self, sd: Any, index: int, rate: int) -> Any:
        """The open stream for this device and rate, or a new one (the old one finished)."""
        if self._open is not None and self._open[1:] == (index, rate):
            return self._open[0]
        self._finish_stream()
        stream = sd.OutputStream(
            samplerate=rate,
            channels=1,
            dtype="float32",
            device=index,
            latency="low",
            # No fixed blocksize: with one, PortAudio's ALSA -> PulseAudio path accepted
            # whole clips at once and lost them (measured: 0.44 s heard of 1.5 s).
        )
        stream.start()
        self._open = (stream, index, rate)
        return stream

    def _close_idle(self, clips: int) -> None:
        with self._lock:
            if clips == self._clips:  # no clip began since: nothing follows soon
                self._finish_stream()

    def _finish_stream(self) -> None:
        """Play the open stream's tail pad (the end of a stream loses ~40 ms), then close it."""
        if self._open is None:
            return
        stream, _, rate = self._open
        self._open = None
        pad = np.zeros((int(self.pad_s * rate), 1), dtype=np.float32)
        try:
            if not self._stop.is_set():
                self._feed(stream, pad, max(1, rate * self.block_ms // 1000))
            stream.close()
        except Exception:  # a device gone meanwhile: the next clip finds out and says so
            self._needs_reinit = True
            with contextlib.suppress(Exception):
                stream.close(ignore_errors=True)

    def _drop_stream(self) -> None:
        """Close the open stream at once, discarding what it still holds."""
        if self._open is None:
            return
        stream = self._open[0]
        self._open = None
        with contextlib.suppress(Exception):
            stream.abort()
        with contextlib.suppress(Exception):
            stream.close(ignore_errors=True)

    def _feed(self, stream: Any, samples: Any, block: int) -> int | bool:
        """Write only what the device buffer takes without blocking, checking the stop flag
        every few ms: a blocking write can hang for seconds on some devices (an idle
        PulseAudio null sink renders 2 s at a time), and stop() must not wait for it. A device
        that takes nothing for :data:`STALL_S` fails the clip (an underrun that never
        recovers must not hang the utterance). Returns True when played to the end, else how
        many frames the device had taken when it was stopped (the rest was not heard)."""
        capacity = stream.write_available  # the buffer is empty now
        pos = 0
        taken = 0  # frames the device has taken from the buffer
        alive = time.monotonic()  # when it last took some (or the start)
        while True:
            room = stream.write_available
            if self._stop.is_set():
                stream.abort()
                return int(max(0, pos - (capacity - room)))
            if pos - (capacity - room) > taken:
                taken, alive = pos - (capacity - room), time.monotonic()
            if pos >= len(samples) and room >= capacity:
                return True  # written and drained
            if pos < len(samples) and room > 0:
                n = min(room, block, len(samples) - pos)
                stream.write(samples[pos : pos + n])
                pos += n
                continue
            if time.monotonic() - alive > STALL_S:
                what = "taking" if pos < len(samples) else "playing"
                raise AudioUnavailable(f"the audio device stopped {what} audio; it is reset")
            time.sleep(POLL_S)
