"""NLLB-200 on CTranslate2 (CPU or CUDA), converted once from the same model and cached.

The output vocabulary is restricted with CTranslate2's vocabulary map (``vmap.txt``), which it
reads from the model folder: each target script gets a folder of links to the converted model
plus its own map (:mod:`.vocabulary`). Greedy decoding calls back after every token, which is
where a cancelled sentence stops.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from tts_core.languages.scripts import OUTPUT_SCRIPTS, script_of
from tts_core.translate.backends.base import (
    TranslationError,
    load_tokenizer,
    not_available,
    slug,
    snapshot,
)
from tts_core.translate.backends.vocabulary import VERSION, target_pieces, vmap_text

log = logging.getLogger(__name__)


def converted_folder(model: str, compute: str, cache_dir: Path) -> Path:
    """Where ``model`` converted for this CTranslate2 version and compute type lives."""
    import ctranslate2

    return cache_dir / "ct2" / f"{slug(model)}-{compute}-{ctranslate2.__version__}"


def model_folder(converted: Path, tgt: str, limit: bool) -> tuple[str | None, Path]:
    """What a translator into ``tgt`` loads: the converted model itself, or, with the vocabulary
    limited, a folder of links to it plus its script's map; and that script (or None)."""
    script = script_of(tgt)
    if not limit or script not in OUTPUT_SCRIPTS:
        return None, converted
    return script, converted.with_name(f"{converted.name}.vmap-{script}-v{VERSION}")


def files_ready(model: str, dtype: str, cache_dir: Path, tgt: str, limit: bool) -> bool:
    """True if converting and mapping for ``tgt`` are done already (nothing loads)."""
    converted = converted_folder(model, compute_type(dtype), cache_dir)
    script, folder = model_folder(converted, tgt, limit)
    done = (converted / "model.bin").exists()
    return done and (script is None or (folder / "vmap.txt").exists())


def compute_type(dtype: str) -> str:
    return "int8" if dtype in ("auto", "int8") else dtype


class CTranslate2Backend:
    """One translator is loaded at a time: a target in another script reloads it (~1 s)."""

    def __init__(
        self, model: str, device: str, dtype: str, cache_dir: Path, limit_vocabulary: bool = True
    ) -> None:
        try:
            import ctranslate2
        except ImportError:
            raise TranslationError("backend ctranslate2 needs: pip install ctranslate2") from None
        self._ct2 = ctranslate2
        self.device = device
        self.compute = compute_type(dtype)
        self.name = f"ctranslate2-{self.compute}"
        self.limit_vocabulary = limit_vocabulary
        self.tokenizer = load_tokenizer(model, cache_dir)
        out = converted_folder(model, self.compute, cache_dir)
        if not (out / "model.bin").exists():
            log.info("converting %s for CTranslate2 (%s), once", model, self.compute)
            tmp = out.with_name(out.name + ".tmp")
            try:
                # The converter knows no cache folder: give it ours, where download-model put it.
                source = snapshot(model, cache_dir)
            except Exception as exc:  # not in the cache and offline, an unknown repository...
                raise not_available(model, exc) from None
            try:
                converter = ctranslate2.converters.TransformersConverter(source)
                converter.convert(str(tmp), quantization=self.compute, force=True)
            except Exception as exc:  # not an NLLB/M2M100 model, out of memory or disk...
                why = f"{type(exc).__name__}: {exc}"
                raise TranslationError(f"cannot convert {model} for CTranslate2: {why}") from None
            os.replace(tmp, out)
        self.folder = out
        self.limited_to: str | None = None  # the script of the loaded translator's map
        self._loaded: tuple[Path, Any] | None = None  # the folder it came from, the translator

    def _write_map(self, tgt: str, folder: Path) -> None:
        """Links to the converted model plus the vocabulary map of ``tgt``'s script."""
        vocab = self.tokenizer.get_vocab()
        ids = target_pieces(vocab, tgt, self.tokenizer.all_special_ids)
        assert ids is not None  # model_folder gave a script of the table
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for item in self.folder.iterdir():
            (tmp / item.name).symlink_to(item.resolve())
        (tmp / "vmap.txt").write_text(vmap_text(vocab, ids), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)

    def prepare_files(self, tgt: str) -> tuple[str | None, Path]:
        """The folder to load for ``tgt``, its map written if missing (nothing loads)."""
        script, folder = model_folder(self.folder, tgt, self.limit_vocabulary)
        if script is not None and not (folder / "vmap.txt").exists():
            self._write_map(tgt, folder)
        return script, folder

    def _translator(self, tgt: str) -> Any:
        """The translator for ``tgt``, loaded when its folder differs from the loaded one."""
        script, folder = self.prepare_files(tgt)
        if self._loaded is None or self._loaded[0] != folder:
            self._loaded = None  # free the previous one before loading the next
            translator = self._ct2.Translator(
                str(folder), device=self.device, compute_type=self.compute
            )
            self._loaded, self.limited_to = (folder, translator), script
        return self._loaded[1]

    def details(self) -> dict[str, object]:
        return {"limited_vocabulary": [self.limited_to] if self.limited_to else []}

    def prepare(self, tgt: str) -> None:
        self._translator(tgt)

    def hypotheses(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> Any:
        """Token strings out, starting with the forced target language token."""
        translator = self._translator(tgt)
        self.tokenizer.src_lang = src
        sources = [self.tokenizer.convert_ids_to_tokens(self.tokenizer(t).input_ids) for t in texts]
        results = translator.translate_batch(
            sources,
            target_prefix=[[tgt]] * len(texts),
            beam_size=1,
            max_decoding_length=max_new_tokens + 1,
            no_repeat_ngram_size=4,
            use_vmap=self.limited_to is not None,
            # Called for every token of greedy decoding; True ends the batch (cancelled speech).
            callback=(lambda _step: stop.is_set()) if stop is not None else None,
        )
        return [r.hypotheses[0] for r in results]

    def translate_batch(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> list[str]:
        out = []
        for hypothesis in self.hypotheses(texts, src, tgt, max_new_tokens, stop):
            tokens = hypothesis[1:]  # drop the forced language token
            ids = self.tokenizer.convert_tokens_to_ids(tokens)
            out.append(self.tokenizer.decode(ids, skip_special_tokens=True))
        return out
