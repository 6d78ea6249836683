"""The translation model's commands: ``download-model`` (size first, progress, then the
CTranslate2 conversion when that backend is in use) and the download that the first ``start``
does where progress shows. The daemon itself never downloads."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tts_core import paths as _paths
from tts_core.cli.user_config import user_config
from tts_core.config.schema import Config
from tts_core.errors import ClaudeTTSError


def cmd_download_model(args: argparse.Namespace, p: _paths.Paths) -> int:
    config = user_config(p)
    model = args.model or config.translation.model
    path = download_model(model, p)
    print(f"translation model {model} is ready in {path}")
    done = convert_model(model, config, p)
    if done:
        print(done)
    return 0


def convert_model(model: str, config: Config, p: _paths.Paths) -> str | None:
    """Convert ``model`` for CTranslate2 here, once, when that is the backend the daemon will
    use (the CPU's default): a visible minute now rather than an invisible one, and 4 GB of
    memory, in the daemon on its first sentence. What was done, or None."""
    from tts_core.config import loader
    from tts_core.translate.backends.auto import choose

    options = config.translation
    backend, device, dtype = choose(options.backend, options.device, options.dtype)
    if backend != "ctranslate2":
        return None
    from tts_core.translate.backends import ct2_backend

    cache = p.cache / "models"
    target = loader.resolve_language(config.language, os.environ).nllb
    if ct2_backend.files_ready(model, dtype, cache, target, options.limit_vocabulary):
        return None  # done before: 'start' stays quick
    t0 = time.monotonic()
    ct2 = ct2_backend.CTranslate2Backend(model, device, dtype, cache, options.limit_vocabulary)
    ct2.prepare_files(target)
    took = time.monotonic() - t0
    return f"converted for CTranslate2 ({ct2.compute}) in {ct2.folder} ({took:.0f} s)"


def _cached(model: str, cache: Path) -> bool:
    from tts_core.translate.backends.base import is_downloaded

    try:
        return is_downloaded(model, cache)
    except ImportError:
        return False  # download() says what to install


def download_model(model: str, p: _paths.Paths) -> str:
    """Fetch ``model`` into our cache (progress bars on stderr); a local directory is kept."""
    from tts_core.translate.backends.base import TranslationError, download, download_size

    cache = p.cache / "models"
    try:
        if not os.path.isdir(model) and not _cached(model, cache):
            size = download_size(model)  # None offline: the download says why it failed
            if size:
                print(f"downloading the translation model {model} (about {size / 1e9:.1f} GB) "
                      f"into {cache}", file=sys.stderr)  # fmt: skip
        return download(model, cache)
    except TranslationError as exc:
        raise ClaudeTTSError(str(exc)) from None


def fetch_model_first(p: _paths.Paths) -> None:
    """On the first start, download the translation model here, where progress shows."""
    from tts_core.speech.voicing import translation_target
    from tts_core.translate.backends.base import is_downloaded

    config = user_config(p)
    if translation_target(config, os.environ) is None:
        return
    model = config.translation.model
    try:
        cached = is_downloaded(model, p.cache / "models")
    except ImportError:
        return  # no translation extra: the daemon reports it
    try:
        if not cached:
            download_model(model, p)
        done = convert_model(model, config, p)
        if done:
            print(done, file=sys.stderr)
    except ClaudeTTSError as exc:
        print(f"warning: {exc}", file=sys.stderr)
