"""NLLB-200 on transformers: CPU (float or torch dynamic int8), CUDA and Apple MPS.

``AutoModelForSeq2SeqLM`` + ``generate``, with two speed-ups around it: the output layer limited
to the target script's pieces (:mod:`.head`) and, on CUDA, a compiled decoding step with a
static cache, warmed in the background (:mod:`.compiled`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tts_core.languages.scripts import script_of
from tts_core.translate.backends.base import TranslationError, load_tokenizer, not_available, slug
from tts_core.translate.backends.compiled import BATCH, CompiledDecoding, OneThread
from tts_core.translate.backends.vocabulary import copy_pieces, target_pieces

log = logging.getLogger(__name__)


class TransformersBackend:
    """NLLB through transformers' ``generate`` on the CPU, CUDA or MPS (fp32, half precision or
    torch dynamic int8), with the limited output layer and, on CUDA, compiled decoding. The only
    module besides the CTranslate2 backend that imports torch at run time."""

    def __init__(
        self,
        model: str,
        device: str,
        dtype: str,
        cache_dir: Path,
        limit_vocabulary: bool = True,
        compile_gpu: bool = True,
        source: str | None = None,
    ) -> None:
        """``model`` names the model (and its cached int8 file); ``source`` is the folder to
        load it from when it is already resolved (else ``model`` is loaded as transformers
        finds it)."""
        try:
            import torch
            from transformers import AutoModelForSeq2SeqLM

            from tts_core.translate.backends.head import LimitedHead, quantize_int8
        except ImportError:
            raise TranslationError(
                "translation needs torch and transformers: pip install 'claude-tts[translate]'"
            ) from None
        self._torch = torch
        self.device = device
        self.name = "torch-int8" if dtype == "int8" else f"transformers-{dtype}"
        self.one_per_call = dtype == "int8"
        """Dynamic int8 quantizes each layer's input with one scale for the whole batch, so a
        sentence's translation would depend on its neighbours (1 of 200 differed on the toy
        model): int8 translates one sentence per call, as CTranslate2 with its map does."""
        self.tokenizer = load_tokenizer(source or model, cache_dir)
        int8_file = cache_dir / "int8" / f"{slug(model)}-{torch.__version__}.pt"
        if dtype == "int8" and int8_file.exists():
            # The quantized module itself: quantizing anew costs 13-16 s at every start.
            # Memory-mapped: 5.5 s instead of 9.2 s for NLLB-600M.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # torch's own TypedStorage use
                self.model = torch.load(int8_file, weights_only=False, mmap=True)
        else:
            torch_dtype = {"float16": torch.float16, "bfloat16": torch.bfloat16}.get(
                dtype, torch.float32
            )
            try:
                loaded = AutoModelForSeq2SeqLM.from_pretrained(
                    source or model, cache_dir=str(cache_dir), dtype=torch_dtype
                )
            except OSError as exc:
                raise not_available(model, exc) from None
            if dtype == "int8":
                loaded = quantize_int8(loaded)
                int8_file.parent.mkdir(parents=True, exist_ok=True)
                torch.save(loaded, int8_file)
            self.model = loaded.to(device)
        self.model.eval()
        self.head = LimitedHead.wrap(self.model) if limit_vocabulary else None
        self.vocab: dict[str, int] = self.tokenizer.get_vocab() if self.head else {}
        self._keys: dict[str, str | None] = {}
        self.compiled = _compiled() if compile_gpu and device == "cuda" else None
        self._lock = threading.Lock()  # one call at a time sets the output layer, src_lang...
        self._last_use = 0.0
        self._warming: threading.Thread | None = None
        self._worker: OneThread | None = None

    def prepare(self, tgt: str) -> None:
        with self._lock:
            self._limit_key(tgt)
        if self.compiled is not None and self._warming is None:
            self._warming = threading.Thread(
                target=self.compiled.warm,
                args=(
                    functools.partial(self._on_worker, self._compile_bucket, tgt),
                    lambda: time.monotonic() - self._last_use,
                ),
                name="nllb-compile",
                daemon=True,
            )
            self._warming.start()

    def _compile_bucket(self, tgt: str, bucket: int) -> object:
        """The warm-up's run for one bucket: a full batch through the compiled path."""
        with self._lock:
            return self._generate_compiled([], "eng_Latn", tgt, bucket)

    def _on_worker(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the one thread that does all compiled-path work: CUDA graphs are
        recorded per thread (torch keeps one graph tree per thread), so graphs recorded by the
        warm-up are only replayed from the thread that recorded them. Without compiling: here.
        """
        if self.compiled is None:
            return fn(*args, **kwargs)
        if self._worker is None:
            self._worker = OneThread("nllb-cuda")
        return self._worker.call(functools.partial(fn, *args, **kwargs))

    def details(self) -> dict[str, object]:
        out: dict[str, object] = {"limited_vocabulary": sorted(k for k in self._keys.values() if k)}
        if self.compiled is not None:
            out["compiled_source_sizes"] = sorted(self.compiled.warm_buckets)
            out["compile_error"] = self.compiled.failed
        return out

    def _limit_key(self, tgt: str) -> str | None:
        """Build ``tgt``'s restricted output layer once; its key (None: no restriction)."""
        if self.head is None:
            return None
        if tgt not in self._keys:
            ids = target_pieces(self.vocab, tgt, self.tokenizer.all_special_ids)
            if ids is not None:
                self.head.prepare(script_of(tgt), ids)
            self._keys[tgt] = None if ids is None else script_of(tgt)
        return self._keys[tgt]

    def generate(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> Any:
        """Token ids out: decoder start, the forced target language token, the translation."""
        return self._on_worker(self._generate_now, texts, src, tgt, max_new_tokens, stop)

    def _generate_now(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None,
    ) -> Any:
        """The compiled path where a warm bucket fits, else eager with the limited vocabulary."""
        with self._lock:
            try:
                self.tokenizer.src_lang = src
                enc = self.tokenizer(texts, return_tensors="pt", padding=True)
                tokens = enc.input_ids.shape[1]
                bucket = self.compiled and self.compiled.usable(len(texts), tokens, max_new_tokens)
                if bucket:
                    return self._generate_compiled(texts, src, tgt, bucket, max_new_tokens, stop)
                if self.head is not None:
                    rows = [self.tokenizer.convert_ids_to_tokens(r) for r in enc.input_ids.tolist()]
                    copies = [copy_pieces(self.vocab, pieces) for pieces in rows]
                    self.head.limit(self._limit_key(tgt), copies)
                return self._generate(enc, tgt, max_new_tokens, stop)
            finally:
                self._last_use = time.monotonic()

    def _generate_compiled(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        bucket: int,
        max_new_tokens: int | None = None,
        stop: threading.Event | None = None,
    ) -> Any:
        """A full batch at the bucket's source length, through the compiled decoding step (an
        empty ``texts`` is the warm-up). The output layer is whole here: one graph for every
        batch, and a GPU bound by kernel launches gains little from a smaller one."""
        assert self.compiled is not None
        rows = list(texts) or ["Warm up."]
        rows += [rows[-1]] * (BATCH - len(rows))
        self.tokenizer.src_lang = src
        enc = self.tokenizer(rows, return_tensors="pt", padding="max_length", max_length=bucket)
        if self.head is not None:
            self.head.limit(None)
        limit = max_new_tokens or self.compiled.max_new
        out = self._generate(enc, tgt, limit, stop, **self.compiled.generate_kwargs())
        return out[: len(texts)] if texts else out

    def _generate(
        self, enc: Any, tgt: str, max_new_tokens: int, stop: threading.Event | None, **extra: Any
    ) -> Any:
        torch = self._torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        class Abort(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                cancelled = stop is not None and stop.is_set()
                # On the model's device: generate ORs it with its own flags (CUDA, MPS).
                shape = (input_ids.shape[0],)
                return torch.full(shape, cancelled, dtype=torch.bool, device=input_ids.device)

        options: dict[str, Any] = {
            "stopping_criteria": StoppingCriteriaList([Abort()]),
            "forced_bos_token_id": self.tokenizer.convert_tokens_to_ids(tgt),
            "max_new_tokens": max_new_tokens,
            "num_beams": 1,
            "do_sample": False,
            # Plain greedy, nothing that rewrites the output: no_repeat_ngram_size corrupted
            # sentences that really repeat a phrase ("the test passed on the main branch and
            # the test passed on the old branch"). A decoder that loops is caught afterwards by
            # masking.degenerate (the English is spoken instead) and bounded by max_new_tokens.
        }
        with torch.inference_mode():
            return self.model.generate(**enc.to(self.device), **(options | extra))

    def translate_batch(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        max_new_tokens: int,
        stop: threading.Event | None = None,
    ) -> list[str]:
        if self.one_per_call and len(texts) > 1:
            one = self.translate_batch
            return [out for text in texts for out in one([text], src, tgt, max_new_tokens, stop)]
        out = self.generate(texts, src, tgt, max_new_tokens, stop)
        decoded: list[str] = self.tokenizer.batch_decode(out, skip_special_tokens=True)
        return decoded


def _compiled() -> CompiledDecoding | None:
    try:
        return CompiledDecoding()
    except ImportError:  # a transformers without CompileConfig: eager
        log.warning("this transformers cannot compile generation; decoding stays eager")
        return None
