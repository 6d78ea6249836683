"""NLLB-200 backends: transformers (CPU, CUDA, Apple MPS), torch dynamic int8 (CPU) and
CTranslate2 (CPU or CUDA). Thin wrappers in faster-whisper's manner: ``device="auto"``, heavy
imports inside the constructors, one ``translate_batch`` call.

Measured on a 2-core CPU with NLLB-600M's exact architecture (see bench/translate.py and
../README): torch int8 was the fastest there, so ``backend: auto`` picks it on CPU, and
transformers in half precision on a GPU.
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


def pick_device(requested: str, cuda: bool, mps: bool) -> str:
    """``auto`` -> mps on Apple silicon, else cuda, else cpu; an explicit choice must exist."""
    if requested == "auto":
        return "mps" if mps else "cuda" if cuda else "cpu"
    if (requested == "cuda" and not cuda) or (requested == "mps" and not mps):
        raise TranslationError(f"translation device {requested!r} is not available here")
    return requested


def pick_backend(requested: str, device: str) -> str:
    if requested != "auto":
        if requested == "torch-int8" and device != "cpu":
            raise TranslationError("backend torch-int8 runs on the CPU only")
        if requested == "ctranslate2" and device == "mps":
            raise TranslationError("backend ctranslate2 has no Apple MPS support")
        return requested
    return "torch-int8" if device == "cpu" else "transformers"


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


def _slug(model: str) -> str:
    digest = hashlib.sha256(model.encode()).hexdigest()[:10]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model)[-40:] + "-" + digest


def _load_tokenizer(model: str, cache_dir: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(model, cache_dir=str(cache_dir))
    except OSError as exc:
        raise _not_available(model, exc) from None


def _not_available(model: str, exc: Exception) -> TranslationError:
    if os.path.isdir(model):
        return TranslationError(f"cannot load the translation model from {model}: {exc}")
    return TranslationError(
        f"the translation model {model} is not downloaded and the hub cannot be reached; "
        "run 'claude-tts download-model' while online (speech goes on untranslated)"
    )


class TransformersBackend:
    """``AutoModelForSeq2SeqLM`` + ``generate``; optionally torch dynamic int8 on the CPU."""

    def __init__(self, model: str, device: str, dtype: str, cache_dir: Path) -> None:
        try:
            import torch
            from transformers import AutoModelForSeq2SeqLM
        except ImportError:
            raise TranslationError(
                "translation needs torch and transformers: pip install 'claude-tts[translate]'"
            ) from None
        self._torch = torch
        self.device = device
        self.name = "torch-int8" if dtype == "int8" else f"transformers-{dtype}"
        self.tokenizer = _load_tokenizer(model, cache_dir)
        int8_file = cache_dir / "int8" / f"{_slug(model)}-{torch.__version__}.pt"
        if dtype == "int8" and int8_file.exists():
            # The quantized module itself: quantizing anew costs 13-16 s at every start.
            self.model = torch.load(int8_file, weights_only=False)
        else:
            torch_dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(
                dtype, torch.float32
            )
            try:
                loaded = AutoModelForSeq2SeqLM.from_pretrained(
                    model, cache_dir=str(cache_dir), dtype=torch_dtype
                )
            except OSError as exc:
                raise _not_available(model, exc) from None
            if dtype == "int8":
                loaded = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                    loaded, {torch.nn.Linear}, dtype=torch.qint8
                )
                int8_file.parent.mkdir(parents=True, exist_ok=True)
                torch.save(loaded, int8_file)
            self.model = loaded.to(device)
        self.model.eval()

    def generate(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> Any:
        """Token ids out: decoder start, the forced target language token, the translation."""
        torch = self._torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        class Abort(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                cancelled = stop is not None and stop.is_set()
                return torch.full((input_ids.shape[0],), cancelled, dtype=torch.bool)

        self.tokenizer.src_lang = src
        enc = self.tokenizer(texts, return_tensors="pt", padding=True).to(self.device)
        with torch.inference_mode():
            return self.model.generate(
                **enc,
                stopping_criteria=StoppingCriteriaList([Abort()]),
                forced_bos_token_id=self.tokenizer.convert_tokens_to_ids(tgt),
                max_new_tokens=max_new_tokens,
                num_beams=1,
                do_sample=False,
                no_repeat_ngram_size=4,
            )

    def translate_batch(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> list[str]:
        out = self.generate(texts, src, tgt, max_new_tokens, stop)
        decoded: list[str] = self.tokenizer.batch_decode(out, skip_special_tokens=True)
        return decoded


class CTranslate2Backend:
    """CTranslate2, from the same model converted on first use and cached."""

    def __init__(self, model: str, device: str, dtype: str, cache_dir: Path) -> None:
        try:
            import ctranslate2
        except ImportError:
            raise TranslationError("backend ctranslate2 needs: pip install ctranslate2") from None
        self.device = device
        compute = "int8" if dtype in ("auto", "int8") else dtype
        self.name = f"ctranslate2-{compute}"
        self.tokenizer = _load_tokenizer(model, cache_dir)
        out = cache_dir / "ct2" / f"{_slug(model)}-{compute}-{ctranslate2.__version__}"
        if not (out / "model.bin").exists():
            log.info("converting %s for CTranslate2 (%s), once", model, compute)
            tmp = out.with_name(out.name + ".tmp")
            try:
                converter = ctranslate2.converters.TransformersConverter(model)
                converter.convert(str(tmp), quantization=compute, force=True)
            except OSError as exc:
                raise _not_available(model, exc) from None
            os.replace(tmp, out)
        self.translator = ctranslate2.Translator(str(out), device=device, compute_type=compute)

    def hypotheses(self, texts: list[str], src: str, tgt: str, max_new_tokens: int) -> Any:
        """Token strings out, starting with the forced target language token."""
        self.tokenizer.src_lang = src
        sources = [self.tokenizer.convert_ids_to_tokens(self.tokenizer(t).input_ids) for t in texts]
        results = self.translator.translate_batch(
            sources,
            target_prefix=[[tgt]] * len(texts),
            beam_size=1,
            max_decoding_length=max_new_tokens + 1,
            no_repeat_ngram_size=4,
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
        # CTranslate2 cannot be interrupted mid-batch; a cancelled batch runs to its end.
        out = []
        for hypothesis in self.hypotheses(texts, src, tgt, max_new_tokens):
            tokens = hypothesis[1:]  # drop the forced language token
            ids = self.tokenizer.convert_tokens_to_ids(tokens)
            out.append(self.tokenizer.decode(ids, skip_special_tokens=True))
        return out


def load_backend(model: str, backend: str, device: str, dtype: str, cache_dir: Path) -> Backend:
    """Build the backend the settings ask for. Raises TranslationError."""
    try:
        cuda, mps = _devices()
    except ImportError:
        raise TranslationError(
            "translation needs torch and transformers: pip install 'claude-tts[translate]'"
        ) from None
    chosen_device = pick_device(device, cuda, mps)
    chosen_backend = pick_backend(backend, chosen_device)
    chosen_dtype = pick_dtype(dtype, chosen_device, chosen_backend)
    log.info("loading %s: %s on %s (%s)", model, chosen_backend, chosen_device, chosen_dtype)
    if chosen_backend == "ctranslate2":
        return CTranslate2Backend(model, chosen_device, chosen_dtype, cache_dir)
    if chosen_backend == "torch-int8":
        chosen_dtype = "int8"
    return TransformersBackend(model, chosen_device, chosen_dtype, cache_dir)
