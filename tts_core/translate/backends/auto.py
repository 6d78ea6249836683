"""The ``auto`` choice of backend, device and dtype, from measurements (bench/translate.py,
README), and loading the chosen backend. The top of the backends: the only module that imports
them all (lazily, so a missing CTranslate2 only matters when it is chosen).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from tts_core.translate.backends.base import Backend, TranslationError, local_model

log = logging.getLogger(__name__)


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
    """Build the backend the settings ask for, from files already on disk (nothing is fetched:
    a model that is not downloaded fails at once). Raises TranslationError."""
    chosen_backend, chosen_device, chosen_dtype = choose(backend, device, dtype)
    source = local_model(model, cache_dir)
    log.info("loading %s: %s on %s (%s)", model, chosen_backend, chosen_device, chosen_dtype)
    if chosen_backend == "ctranslate2":
        from tts_core.translate.backends.ct2_backend import CTranslate2Backend

        return CTranslate2Backend(
            model, chosen_device, chosen_dtype, cache_dir, limit_vocabulary, source=source
        )
    from tts_core.translate.backends.transformers_backend import TransformersBackend

    return TransformersBackend(
        model, chosen_device, chosen_dtype, cache_dir, limit_vocabulary, compile_gpu, source=source
    )
