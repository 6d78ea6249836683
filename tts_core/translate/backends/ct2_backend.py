"""NLLB-200 on CTranslate2 (CPU or CUDA), converted once from the same model and cached.

The output vocabulary is restricted with CTranslate2's vocabulary map (``vmap.txt``), which it
reads from the model folder: each target language gets a folder of links to the converted model
plus its own map (:mod:`.vocabulary`). Greedy decoding calls back after every token, which is
where a cancelled sentence stops.

CTranslate2 4.8 keeps, across calls, the table that maps an id to its row of the restricted
output layer, and builds it only once per id (``update_output_layer``): a *forced* prefix token
is then looked up at the row it had in the translator's first call, which is another language
code once the restricted set differs (measured on the trained toy model: 49 of 200 sentences
right). So with the map: no forced prefix. The target's code is the only language code in the
map and the model writes it itself (NLLB learnt to, after ``</s>``); generated tokens go
through the table that is rebuilt every call. A translation that does not start with it is
done again with the whole vocabulary and the forced prefix.
Each sentence is its own call, because the map's rows are the union of the batch's sources:
alone or in any batch, a sentence may copy only its own pieces.
"""

from __future__ import annotations

import logging
import os
import re
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


MAP_VERSION = 2
"""Bumped with the map's layout (2: one language code, the target's), so maps are made again."""
_LANGUAGE_CODE = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")


def model_folder(converted: Path, tgt: str, limit: bool) -> tuple[str | None, Path]:
    """What a translator into ``tgt`` loads: the converted model itself, or, with the vocabulary
    limited, a folder of links to it plus ``tgt``'s own map; and ``tgt`` (or None)."""
    if not limit or script_of(tgt) not in OUTPUT_SCRIPTS:
        return None, converted
    name = f"{converted.name}.vmap-{tgt}-v{VERSION}.{MAP_VERSION}"
    return tgt, converted.with_name(name)


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
        self,
        model: str,
        device: str,
        dtype: str,
        cache_dir: Path,
        limit_vocabulary: bool = True,
        source: str | None = None,
    ) -> None:
        """``model`` names the model (and its converted folder); ``source`` is the folder it is
        in when already resolved (else it is found in, or fetched into, our cache)."""
        try:
            import ctranslate2
        except ImportError:
            raise TranslationError("backend ctranslate2 needs: pip install ctranslate2") from None
        self._ct2 = ctranslate2
        self.device = device
        self.compute = compute_type(dtype)
        self.name = f"ctranslate2-{self.compute}"
        self.limit_vocabulary = limit_vocabulary
        self.tokenizer = load_tokenizer(source or model, cache_dir)
        out = converted_folder(model, self.compute, cache_dir)
        if not (out / "model.bin").exists():
            log.info("converting %s for CTranslate2 (%s), once", model, self.compute)
            tmp = out.with_name(out.name + ".tmp")
            try:
                # The converter knows no cache folder: give it ours, where download-model put it.
                source = source or snapshot(model, cache_dir)
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
        self.limited_to: str | None = None  # the target of the loaded translator's map
        self.full_vocabulary_retries = 0
        self._loaded: tuple[Path, Any] | None = None  # the folder it came from, the translator

    def _write_map(self, tgt: str, folder: Path) -> None:
        """Links to the converted model plus ``tgt``'s vocabulary map, in which ``tgt`` is the
        only language code (the model chooses it; nothing is forced: see the module)."""
        vocab = self.tokenizer.get_vocab()
        others = {i for p, i in vocab.items() if _LANGUAGE_CODE.match(p) and p != tgt}
        kept = target_pieces(vocab, tgt, self.tokenizer.all_special_ids) or []
        ids = [i for i in kept if i not in others]
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
        limited = [script_of(self.limited_to)] if self.limited_to else []
        return {
            "limited_vocabulary": limited,
            "full_vocabulary_retries": self.full_vocabulary_retries,
        }

    def prepare(self, tgt: str) -> None:
        self._translator(tgt)

    def hypotheses(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> list[list[str]]:
        """Token strings out, starting with the target language token."""
        translator = self._translator(tgt)
        self.tokenizer.src_lang = src
        sources = [self.tokenizer.convert_ids_to_tokens(self.tokenizer(t).input_ids) for t in texts]
        options: dict[str, Any] = {
            # Plain greedy, nothing that rewrites the output: no_repeat_ngram_size corrupted
            # sentences that really repeat a phrase. Loops are caught afterwards (degenerate).
            "beam_size": 1,
            "max_decoding_length": max_new_tokens + 1,
        }
        if self.limited_to is None:
            results = translator.translate_batch(
                sources, target_prefix=[[tgt]] * len(texts), callback=_stopper(stop), **options
            )
            return [r.hypotheses[0] for r in results]
        out = []
        for source in sources:  # one call each: see the module
            (result,) = translator.translate_batch(
                [source], use_vmap=True, callback=_stopper(stop), **options
            )
            hypothesis = result.hypotheses[0]
            if hypothesis[:1] != [tgt] and not (stop is not None and stop.is_set()):
                (result,) = translator.translate_batch(
                    [source], target_prefix=[[tgt]], callback=_stopper(stop), **options
                )
                hypothesis = result.hypotheses[0]
                self.full_vocabulary_retries += 1
            out.append(hypothesis)
        return out

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
            tokens = hypothesis[1:]  # drop the language token
            ids = self.tokenizer.convert_tokens_to_ids(tokens)
            out.append(self.tokenizer.decode(ids, skip_special_tokens=True))
        return out


def _stopper(stop: threading.Event | None) -> Any:
    """CTranslate2's per-token callback: True ends the decoding (cancelled speech). It cannot
    check the first token: with a vocabulary map the token it reports is wrong (an id of the
    restricted layer read in the whole vocabulary), while the hypothesis is right."""
    if stop is None:
        return None
    return lambda _step: stop.is_set()
