"""What every NLLB-200 backend shares: the :class:`Backend` protocol, :class:`TranslationError`
and the model files (hub snapshot, tokenizer, "is it downloaded").

A leaf of the backends: it must not import a backend or :mod:`auto`. transformers and
huggingface_hub are imported inside the functions that need them.
"""

from __future__ import annotations

import hashlib
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
    """One loaded NLLB model that translates batches of sentences. Implementations import their
    libraries in their constructors; callers never import torch, transformers or CTranslate2."""

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


def _need_the_hub() -> None:
    """Raise TranslationError naming the extra to install when huggingface_hub is missing."""
    import importlib.util

    if importlib.util.find_spec("huggingface_hub") is None:
        raise TranslationError(
            "translation needs torch and transformers: pip install 'claude-tts[translate]'"
        )


def local_model(model: str, cache_dir: Path) -> str:
    """The folder to load ``model`` from, without the network: a directory as it is, a hub id
    from our cache. Raises TranslationError at once when it is not downloaded (the speech path
    never downloads nor retries: speech goes on untranslated and status says why)."""
    if os.path.isdir(model):
        return model
    _need_the_hub()
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path: str = snapshot_download(
            model, cache_dir=str(cache_dir), allow_patterns=MODEL_FILES, local_files_only=True
        )
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError):
        raise TranslationError(
            f"the translation model {model} is not downloaded; run 'claude-tts download-model' "
            "while online (speech goes on untranslated)"
        ) from None
    return path


def download_size(model: str) -> int | None:
    """Bytes that downloading ``model`` fetches (its weights and tokenizer), or None when the
    hub cannot say."""
    import fnmatch

    try:
        from huggingface_hub import HfApi

        info = HfApi().model_info(model, files_metadata=True)
    except Exception:  # offline, unknown repo: the download itself will say what failed
        return None
    wanted = [
        s.size or 0 for s in info.siblings or []
        if any(fnmatch.fnmatch(s.rfilename, pattern) for pattern in MODEL_FILES)
    ]  # fmt: skip
    return sum(wanted) or None


def download(model: str, cache_dir: Path) -> str:
    """Fetch ``model`` into ``cache_dir`` (huggingface_hub's progress bars on stderr) and return
    its folder; a local directory is returned as it is. Raises TranslationError."""
    _need_the_hub()
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot(model, cache_dir)
    except LocalEntryNotFoundError:
        raise TranslationError(
            f"cannot download {model}: the hub cannot be reached (offline?); "
            "speech goes on untranslated until it can"
        ) from None
    except Exception as exc:  # the hub's errors: unknown repo, HTTP failures...
        raise TranslationError(f"cannot download {model}: {exc}") from None


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
