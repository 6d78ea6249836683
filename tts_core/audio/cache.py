"""An on-disk cache of synthesized audio, keyed by (engine, where its audio came from, voice,
language, speed, text).

Bounded in bytes, least recently used evicted first; entries survive restarts. Each file holds
a small header with a CRC of its samples, so a truncated or corrupted entry is detected,
dropped and synthesized again. Safe for one writer (the daemon); readers see whole files only
(written to a temporary file made exclusively in the folder, with a name nobody can predict,
then renamed). What Claude said can be heard in these clips: the folder is 0700, the clips 0600,
whatever the umask.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from tts_core.audio.pcm import Audio

log = logging.getLogger(__name__)
MAGIC = b"CTTSAUD1"
_HEADER = struct.Struct("<8sIII")  # magic, sample rate, sample count, crc32 of the samples


class AudioCache:
    """Synthesized clips on disk, keyed by engine, voice, language, speed and text, CRC-checked and
    trimmed least-recently-used first. One job: never synthesize the same sentence twice. Must not
    import an engine."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self.corrupt = 0
        self.write_error: str | None = None
        """Why the last write failed (a full disk), until one succeeds: shown in status."""
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if directory.stat().st_mode & 0o077:
                os.chmod(directory, 0o700)  # made by an older version under umask 022
            self._size = sum(f.stat().st_size for f in directory.glob("*.pcm"))
        except OSError as exc:
            self.write_error = f"the audio cache cannot be written ({exc.strerror or exc})"
            self._size = 0

    @staticmethod
    def key(engine: str, origin: str, voice: str | None, lang: str, speed: float, text: str) -> str:
        """``origin``: where the engine's audio comes from (a server), so that audio from one
        destination is never played for another."""
        raw = "\x1f".join((engine, origin, voice or "", lang, f"{speed:.3f}", text))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.pcm"

    def get(self, key: str) -> Audio | None:
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as fh:
                data = fh.read(self.max_bytes + 1)
        except OSError:  # none, or not a file of ours (a link planted in our folder)
            self.misses += 1
            return None
        audio = _decode(data)
        if audio is None:
            log.warning("dropping corrupt cache entry %s", path.name)
            self.corrupt += 1
            self.misses += 1
            self._remove(path)
            return None
        os.utime(path)  # recency for LRU eviction
        self.hits += 1
        return audio

    def put(self, key: str, audio: Audio) -> None:
        data = _encode(audio)
        if self.max_bytes <= 0 or len(data) > self.max_bytes:
            return
        path = self._path(key)
        tmp = ""
        try:
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.directory)  # 0600
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            old = path.stat().st_size if path.exists() else 0
            os.replace(tmp, path)
        except OSError as exc:  # a full disk: speak on without the cache, and say so once
            with contextlib.suppress(OSError):
                if tmp:
                    os.unlink(tmp)
            message = f"the audio cache cannot be written ({exc.strerror or exc}): {self.directory}"
            if self.write_error != message:
                log.error("%s; speech goes on without it", message)
            self.write_error = message
            return
        self.write_error = None
        self._size += len(data) - old
        if self._size > self.max_bytes:
            self._evict()

    def _evict(self) -> None:
        entries = sorted(self.directory.glob("*.pcm"), key=lambda f: f.stat().st_mtime)
        for path in entries:
            if self._size <= self.max_bytes * 0.9:  # evict in one go, not on every put
                break
            self._remove(path)

    def _remove(self, path: Path) -> None:
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return
        self._size -= size

    @property
    def size_bytes(self) -> int:
        return self._size

    def stats(self) -> dict[str, object]:
        return {"hits": self.hits, "misses": self.misses, "corrupt": self.corrupt,
                "bytes": self._size, "write_error": self.write_error}  # fmt: skip


def _encode(audio: Audio) -> bytes:
    pcm = np.clip(audio.samples, -1.0, 1.0).astype("<f4").tobytes()
    return _HEADER.pack(MAGIC, audio.rate, len(audio.samples), zlib.crc32(pcm)) + pcm


def _decode(data: bytes) -> Audio | None:
    if len(data) < _HEADER.size:
        return None
    magic, rate, count, crc = _HEADER.unpack_from(data)
    pcm = data[_HEADER.size :]
    if magic != MAGIC or len(pcm) != count * 4 or zlib.crc32(pcm) != crc or rate == 0:
        return None
    return Audio(np.frombuffer(pcm, dtype="<f4").astype(np.float32), rate)
