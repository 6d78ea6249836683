"""Translation latency of NLLB-600M's exact architecture, per backend and dtype, side by side.

    python3 bench/translate.py [-n 10] [--device cpu|cuda]

Random weights (the hub is not reachable here; speed does not depend on the weights): one
20-token sentence to exactly 28 new tokens, greedy, batch 1, median of n runs after a warm-up,
for every variant that runs on the device, with the ratio to transformers fp32, the load time
and the process's resident memory after loading. Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from transformers import M2M100Config, M2M100ForConditionalGeneration

SRC_TOKENS, NEW_TOKENS = 20, 28
NLLB_600M: dict[str, Any] = dict(
    vocab_size=256206, d_model=1024, encoder_layers=12, decoder_layers=12,
    encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096,
    decoder_ffn_dim=4096, max_position_embeddings=1024, scale_embedding=True,
    pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
)  # fmt: skip


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any], n: int) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


def generate(model: Any, ids: torch.Tensor) -> Any:
    with torch.inference_mode():
        return model.generate(
            input_ids=ids, forced_bos_token_id=256079, min_new_tokens=NEW_TOKENS,
            max_new_tokens=NEW_TOKENS, num_beams=1, do_sample=False,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    torch.manual_seed(0)
    t0 = time.perf_counter()
    base: Any = M2M100ForConditionalGeneration(M2M100Config(**NLLB_600M))
    base.eval()
    build_s = time.perf_counter() - t0
    ids = torch.randint(4, 256000, (1, SRC_TOKENS))
    rows: list[tuple[str, float, float, float]] = []

    def run(name: str, make: Callable[[], Any], on: str) -> None:
        gc.collect()
        start = time.perf_counter()
        try:
            model = make()
        except Exception as exc:  # a variant this machine cannot run
            print(f"{name}: skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
            return
        load = time.perf_counter() - start
        ms = timed(lambda: generate(model, ids.to(on)), args.n)
        rows.append((name, ms, load, rss_mb()))
        print(f"{name}: {ms:.0f} ms", file=sys.stderr)

    dev = args.device
    run(f"transformers fp32 ({dev})", lambda: base.to(dev), dev)
    if dev == "cpu":
        run("transformers bf16 (cpu)", lambda: base.to(torch.bfloat16), "cpu")
        base.to(torch.float32)
        run(
            "torch dynamic int8 (cpu)",
            lambda: torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                base, {torch.nn.Linear}, dtype=torch.qint8
            ),
            "cpu",
        )
    else:
        run(f"transformers fp16 ({dev})", lambda: base.to(torch.float16), dev)
        run(f"transformers bf16 ({dev})", lambda: base.to(torch.bfloat16), dev)
    with tempfile.TemporaryDirectory() as tmp:
        run_ctranslate2(base, ids, args.n, dev, Path(tmp), rows)
    fp32 = rows[0][1]
    print(f"\nNLLB-600M architecture, random weights, {SRC_TOKENS} -> {NEW_TOKENS} tokens, "
          f"greedy, batch 1, median of {args.n} (model built in {build_s:.0f} s)\n")  # fmt: skip
    print("| variant | ms per sentence | vs fp32 | load s | max RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ms, load, rss in rows:
        print(f"| {name} | {ms:.0f} | {fp32 / ms:.2f}x | {load:.1f} | {rss:.0f} |")


def run_ctranslate2(
    base: Any, ids: torch.Tensor, n: int, dev: str, tmp: Path,
    rows: list[tuple[str, float, float, float]],
) -> None:  # fmt: skip
    """CTranslate2 int8, converted from the same weights (needs a vocabulary of token names)."""
    try:
        import ctranslate2
        from ctranslate2.converters.transformers import M2M100Loader
        from ctranslate2.specs import TransformerSpec  # noqa: F401 - present in the versions used
    except ImportError as exc:
        print(f"ctranslate2: skipped ({exc})", file=sys.stderr)
        return
    start = time.perf_counter()
    try:
        folder = tmp / "hf"
        base.save_pretrained(folder)
        vocab = [f"t{i}" for i in range(NLLB_600M["vocab_size"])]
        vocab[:4] = ["<s>", "<pad>", "</s>", "<unk>"]
        vocab[256079] = "jpn_Jpan"
        loader = M2M100Loader()
        spec = loader.get_model_spec(base)
        spec.register_source_vocabulary(vocab)
        spec.register_target_vocabulary(vocab)
        spec.validate()
        spec.optimize(quantization="int8")
        (tmp / "ct2").mkdir()
        spec.save(str(tmp / "ct2"))
        translator = ctranslate2.Translator(str(tmp / "ct2"), device=dev, compute_type="int8")
    except Exception as exc:
        print(f"ctranslate2: skipped ({type(exc).__name__}: {exc})", file=sys.stderr)
        return
    load = time.perf_counter() - start
    source = [[vocab[i] for i in ids[0].tolist()] + ["</s>"]]

    def go() -> Any:
        return translator.translate_batch(
            source, target_prefix=[["jpn_Jpan"]], beam_size=1,
            min_decoding_length=NEW_TOKENS + 1, max_decoding_length=NEW_TOKENS + 1,
        )  # fmt: skip

    rows.append((f"ctranslate2 int8 ({dev})", timed(go, n), load, rss_mb()))


if __name__ == "__main__":
    main()
