"""NLLB-200 backends: transformers (CPU, CUDA, Apple MPS), torch dynamic int8 (CPU) and
CTranslate2 (CPU or CUDA). Thin wrappers in faster-whisper's manner: ``device="auto"``, heavy
imports inside the constructors, one ``translate_batch`` call.

The backends live in nllb_torch (transformers, torch int8) and nllb_ct2 (CTranslate2); this
module chooses among them from measurements (bench/translate.py, README) and loads one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol

from tts_core.errors import ClaudeTTSError

log = logging.getLogger(__name__)


class TranslationError(ClaudeTTSError):
    """The translation model cannot be loaded or run."""


class Backend(Protocol):
    name: str
    device: str

    def translate_batch(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> list[str]:
        """``stop``, when set, ends the generation early (the speech was cancelled)."""
        ...

    def prepare(self, tgt: str) -> None:
        """Get ready to translate into ``tgt`` (its restricted output vocabulary), so that the
        first sentence does not pay for it."""
        ...

    def details(self) -> dict[str, object]:
        """What the speed-ups are doing, for ``claude-tts status``."""
        ...


def pick_device(requested: str, cuda: bool, mps: bool) -> str:
    """``auto`` -> mps on Apple silicon, else cuda, else cpu; an explicit choice must exist."""
    if requested == "auto":
        return "mps" if mps else "cuda" if cuda else "cpu"
    if (requested == "cuda" and not cuda) or (requested == "mps" and not mps):
        raise TranslationError(f"translation device {requested!r} is not available here")
    return requested


def pick_backend(requested: str, device: str, ctranslate2: bool = True) -> str:
    """``auto``: CTranslate2 on the CPU (fastest there once the output vocabulary is limited:
    342 ms against torch int8's 591 for a Japanese-sized vocabulary, 620 against 692 for half of
    it; a third of the memory), torch int8 when CTranslate2 is not installed, and transformers
    on a GPU (half precision, compiled on CUDA)."""
    if requested != "auto":
        if requested == "torch-int8" and device != "cpu":
            raise TranslationError("backend torch-int8 runs on the CPU only")
        if requested == "ctranslate2" and device == "mps":
            raise TranslationError("backend ctranslate2 has no Apple MPS support")
        return requested
    if device != "cpu":
        return "transformers"
    return "ctranslate2" if ctranslate2 else "torch-int8"


def pick_dtype(requested: str, device: str, backend: str) -> str:
    if requested != "auto":
        return requested
    if backend in ("torch-int8", "ctranslate2") and device == "cpu":
        return "int8"
    return "float32" if device == "cpu" else "float16"


def _devices() -> tuple[bool, bool]:
    import torch

    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return torch.cuda.is_available(), mps


def slug(model: str) -> str:
    digest = hashlib.sha256(model.encode()).hexdigest()[:10]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model)[-40:] + "-" + digest


MODEL_FILES = ["*.json", "*.safetensors", "*.model", "*.txt"]
"""What a model needs from its hub repository (not the .bin duplicates of the weights)."""


def snapshot(model: str, cache_dir: Path) -> str:
    """The local folder of ``model``: a directory as it is, a hub id from our cache (fetched
    first when missing and online). Raises huggingface_hub's errors."""
    if os.path.isdir(model):
        return model
    from huggingface_hub import snapshot_download

    path: str = snapshot_download(model, cache_dir=str(cache_dir), allow_patterns=MODEL_FILES)
    return path


def is_downloaded(model: str, cache_dir: Path) -> bool:
    """A local directory, or a hub id whose files are in our cache (no network).
    Raises ImportError without huggingface_hub (the translation extra)."""
    if os.path.isdir(model):
        return True
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(model, "config.json", cache_dir=str(cache_dir)), str)


def load_tokenizer(model: str, cache_dir: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(model, cache_dir=str(cache_dir))
    except OSError as exc:
        raise not_available(model, exc) from None


def not_available(model: str, exc: Exception) -> TranslationError:
    if os.path.isdir(model):
        return TranslationError(f"cannot load the translation model from {model}: {exc}")
    return TranslationError(
        f"the translation model {model} is not downloaded and the hub cannot be reached; "
        "run 'claude-tts download-model' while online (speech goes on untranslated)"
    )


def choose(backend: str, device: str, dtype: str) -> tuple[str, str, str]:
    """The backend, device and dtype that these settings mean on this machine.
    Raises TranslationError."""
    try:
        cuda, mps = _devices()
    except ImportError:
        raise TranslationError(
            "translation needs torch and transformers: pip install 'claude-tts[translate]'"
        ) from None
    chosen_device = pick_device(device, cuda, mps)
    has_ct2 = importlib.util.find_spec("ctranslate2") is not None
    chosen_backend = pick_backend(backend, chosen_device, has_ct2)
    chosen_dtype = pick_dtype(dtype, chosen_device, chosen_backend)
    if chosen_backend == "torch-int8":
        chosen_dtype = "int8"
    return chosen_backend, chosen_device, chosen_dtype


def load_backend(
    model: str,
    backend: str,
    device: str,
    dtype: str,
    cache_dir: Path,
    limit_vocabulary: bool = True,
    compile_gpu: bool = True,
) -> Backend:
    """Build the backend the settings ask for. Raises TranslationError."""
    chosen_backend, chosen_device, chosen_dtype = choose(backend, device, dtype)
    log.info("loading %s: %s on %s (%s)", model, chosen_backend, chosen_device, chosen_dtype)
    if chosen_backend == "ctranslate2":
        from tts_core.nllb_ct2 import CTranslate2Backend

        return CTranslate2Backend(model, chosen_device, chosen_dtype, cache_dir, limit_vocabulary)
    from tts_core.nllb_torch import TransformersBackend

    return TransformersBackend(
        model, chosen_device, chosen_dtype, cache_dir, limit_vocabulary, compile_gpu
    )
