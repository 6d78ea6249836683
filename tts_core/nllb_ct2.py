"""NLLB-200 on CTranslate2 (CPU or CUDA), converted once from the same model and cached.

The output vocabulary is restricted with CTranslate2's vocabulary map (``vmap.txt``), which it
reads from the model folder: each target script gets a folder of links to the converted model
plus its own map (tts_core.vocabulary). Greedy decoding calls back after every token, which is
where a cancelled sentence stops.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from tts_core.nllb import TranslationError, load_tokenizer, not_available, slug, snapshot
from tts_core.vocabulary import OUTPUT_SCRIPTS, VERSION, script_of, target_pieces, vmap_text

log = logging.getLogger(__name__)


def converted_folder(model: str, compute: str, cache_dir: Path) -> Path:
    """Where ``model`` converted for this CTranslate2 version and compute type lives."""
    import ctranslate2

    return cache_dir / "ct2" / f"{slug(model)}-{compute}-{ctranslate2.__version__}"


def vmap_folder(converted: Path, script: str) -> Path:
    """The links to ``converted`` with the vocabulary map of ``script``."""
    return converted.with_name(f"{converted.name}.vmap-{script}-v{VERSION}")


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
        self._loaded: tuple[str | None, Any] | None = None

    def _folder_for(self, tgt: str) -> tuple[str | None, Path]:
        """The model folder for ``tgt``: the plain one, or its script's folder with a vmap."""
        key = script_of(tgt)
        if not self.limit_vocabulary or key not in OUTPUT_SCRIPTS:
            return None, self.folder
        folder = vmap_folder(self.folder, key)
        if not (folder / "vmap.txt").exists():
            vocab = self.tokenizer.get_vocab()
            ids = target_pieces(vocab, tgt, self.tokenizer.all_special_ids)
            assert ids is not None  # the script is in the table
            tmp = folder.with_name(folder.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            for item in self.folder.iterdir():
                (tmp / item.name).symlink_to(item.resolve())
            (tmp / "vmap.txt").write_text(vmap_text(vocab, ids), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
        return key, folder

    def _translator(self, tgt: str) -> tuple[Any, bool]:
        """The loaded translator for ``tgt`` and whether it restricts the vocabulary."""
        key = script_of(tgt) if self.limit_vocabulary else None
        if self._loaded is None or self._loaded[0] != key:
            used, folder = self._folder_for(tgt)
            self._loaded = None  # free the previous one before loading the next
            translator = self._ct2.Translator(
                str(folder), device=self.device, compute_type=self.compute
            )
            self._loaded = (key, (translator, used is not None))
        pair: tuple[Any, bool] = self._loaded[1]
        return pair

    def details(self) -> dict[str, object]:
        limited = self._loaded is not None and self._loaded[1][1]
        return {"limited_vocabulary": [self._loaded[0]] if limited and self._loaded else []}

    def prepare(self, tgt: str) -> None:
        self._translator(tgt)

    def prepare_files(self, tgt: str) -> None:
        """Write ``tgt``'s vocabulary-map folder without loading a translator."""
        self._folder_for(tgt)

    def hypotheses(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> Any:
        """Token strings out, starting with the forced target language token."""
        translator, vmap = self._translator(tgt)
        self.tokenizer.src_lang = src
        sources = [self.tokenizer.convert_ids_to_tokens(self.tokenizer(t).input_ids) for t in texts]
        results = translator.translate_batch(
            sources,
            target_prefix=[[tgt]] * len(texts),
            beam_size=1,
            max_decoding_length=max_new_tokens + 1,
            no_repeat_ngram_size=4,
            use_vmap=vmap,
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
