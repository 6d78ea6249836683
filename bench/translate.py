"""Translation latency of NLLB-600M's exact architecture, per backend and dtype, side by side.

    python3 bench/translate.py [-n 10] [--device cpu|cuda] [--share 0.125]

Random weights (the hub is not reachable here; speed does not depend on the weights) and a
tokenizer of the same size whose pieces are named so that ``--share`` of them are written in
Japanese script (the rest Latin): the output-vocabulary restriction then keeps that share, as
it keeps a script's pieces of the real vocabulary. The model and tokenizer are saved once; each
variant then runs in a fresh process through the daemon's own backend classes (loading,
int8 caching, CTranslate2 conversion and vocabulary map included), so no variant inherits
another's thread pools or memory. One 20-token sentence to exactly 28 new tokens, greedy,
batch 1, median of n runs after a warm-up, with the ratio to transformers fp32, the load time
and the process's peak resident memory. Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SRC_TOKENS, NEW_TOKENS = 20, 28
NLLB_600M: dict[str, Any] = dict(
    d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
    decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096,
    max_position_embeddings=1024, scale_embedding=True, pad_token_id=1, bos_token_id=0,
    eos_token_id=2, decoder_start_token_id=2,
)  # fmt: skip
SPM_PIECES = 256000  # NLLB's sentencepiece model; the language codes and <mask> come on top
CPU = ["transformers fp32", "transformers fp32 +vocab", "transformers bf16", "torch-int8",
       "torch-int8 +vocab", "ctranslate2 int8", "ctranslate2 int8 +vocab"]  # fmt: skip
GPU = ["transformers fp32", "transformers fp16", "transformers fp16 +vocab",
       "transformers bf16", "transformers fp16 compiled", "transformers bf16 compiled",
       "ctranslate2 float16", "ctranslate2 float16 +vocab"]  # fmt: skip


def piece(i: int, share: float) -> str:
    """Deterministic piece names: ``share`` of them Japanese (katakana pairs), the rest Latin."""
    kana = [chr(c) for c in range(0x30A1, 0x30F7)]
    if (i * 0.6180339887) % 1.0 < share:
        return "\u2581" + kana[i % len(kana)] + kana[(i // len(kana)) % len(kana)] + str(i)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "\u2581" + letters[i % 26] + letters[(i // 26) % 26] + letters[(i // 676) % 26] + str(i)


def build(folder: Path, share: float) -> None:
    import torch
    from tokenizers import Tokenizer, models
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces += [(piece(i, share), -1.0) for i in range(4, SPM_PIECES)]
    tokenizer = NllbTokenizer(
        tokenizer_object=Tokenizer(models.Unigram(pieces, unk_id=3)), src_lang="eng_Latn"
    )
    torch.manual_seed(0)
    model = M2M100ForConditionalGeneration(M2M100Config(vocab_size=len(tokenizer), **NLLB_600M))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def rss_mb() -> float:
    """Peak resident memory of this process (VmHWM: ru_maxrss survives exec on Linux, so it
    would report the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)  # bytes on macOS


def variant(name: str, folder: Path, cache: Path, device: str, n: int) -> dict[str, float]:
    """Run in a fresh process: load one backend, time it, report as JSON."""
    import torch
    from transformers import BatchEncoding

    from tts_core.translate.backends.compiled import BATCH, SOURCE_STEP, CompiledDecoding
    from tts_core.translate.backends.ct2_backend import CTranslate2Backend
    from tts_core.translate.backends.transformers_backend import TransformersBackend

    limit, compiled = name.endswith("+vocab"), name.endswith(" compiled")
    kind, _, short = name.removesuffix(" +vocab").removesuffix(" compiled").partition(" ")
    dtype = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16", "": "int8"}.get(short, short)
    start = time.perf_counter()
    tgt = "jpn_Jpan"
    backend: Any
    if kind == "ctranslate2":
        backend = CTranslate2Backend(str(folder), device, dtype, cache, limit)
        backend.prepare(tgt)
    else:
        backend = TransformersBackend(str(folder), device, dtype, cache, limit, compiled)
        if compiled:  # the bench's sentence fits the first bucket: compile only that one
            mode = "default" if device == "cpu" else "reduce-overhead"  # cpu: a dry run
            backend.compiled = CompiledDecoding(
                mode=mode, all_devices=device == "cpu", buckets=(32,)
            )
        backend.prepare(tgt)
        if backend._warming is not None:  # compiled: every bucket, in the background
            backend._warming.join()
            if backend.compiled is None or backend.compiled.failed:
                sys.exit(f"compile failed: {backend.compiled and backend.compiled.failed}")
    load = time.perf_counter() - start
    tok = backend.tokenizer
    ids = torch.randint(4, min(SPM_PIECES, len(tok) - 210), (1, SRC_TOKENS))
    ids[0, -1] = tok.eos_token_id
    source = tok.convert_ids_to_tokens(ids[0].tolist())

    def go() -> Any:
        if compiled:  # a full bucket, as the daemon sends it: BATCH rows of SOURCE_STEP tokens
            padded = torch.full((BATCH, SOURCE_STEP), tok.pad_token_id)
            padded[:, :SRC_TOKENS] = ids
            enc = BatchEncoding({"input_ids": padded, "attention_mask": padded != tok.pad_token_id})
            extra = backend.compiled.generate_kwargs() | {"no_repeat_ngram_size": 0}
            return backend._on_worker(  # the thread that recorded the CUDA graphs
                backend._generate, enc, tgt, NEW_TOKENS, None, min_new_tokens=NEW_TOKENS, **extra
            )
        if isinstance(backend, CTranslate2Backend):
            translator = backend._translator(tgt)
            vmap = backend.limited_to is not None
            # As the backend calls it: with the map, the language token is not forced (the
            # backend's module says why); without it, it is.
            return translator.translate_batch(
                [source], target_prefix=None if vmap else [[tgt]], beam_size=1, use_vmap=vmap,
                min_decoding_length=NEW_TOKENS + 1, max_decoding_length=NEW_TOKENS + 1,
            )  # fmt: skip
        if backend.head is not None:
            backend.head.limit(backend._limit_key(tgt), [])
        with torch.inference_mode():
            return backend.model.generate(
                input_ids=ids.to(device), forced_bos_token_id=tok.convert_tokens_to_ids(tgt),
                min_new_tokens=NEW_TOKENS, max_new_tokens=NEW_TOKENS, num_beams=1,
                do_sample=False,
            )  # fmt: skip

    go()  # warm-up
    runs = []
    for _ in range(n):
        t0 = time.perf_counter()
        go()
        if device == "cuda":
            torch.cuda.synchronize()
        runs.append((time.perf_counter() - t0) * 1000)
    return {"ms": statistics.median(runs), "load_s": load, "rss_mb": rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10)
    parser.add_argument("--device", default=None)
    parser.add_argument("--share", type=float, default=0.125, help="target script's share")
    parser.add_argument("--only", default="", help="comma-separated parts of variant names")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        result = variant(args.variant, args.folder, args.cache, args.device, args.n)
        print(json.dumps(result))
        return
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        folder, cache = Path(tmp) / "model", Path(tmp) / "cache"
        t0 = time.perf_counter()
        build(folder, args.share)
        print(f"model built and saved in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        rows: list[tuple[str, dict[str, float]]] = []
        wanted = [w for w in args.only.split(",") if w]
        variants = CPU if device == "cpu" else GPU  # the first, fp32, is the ratios' base
        names = [n for i, n in enumerate(variants) if i == 0 or not wanted
                 or any(w in n for w in wanted)]  # fmt: skip
        for name in names:
            argv = [sys.executable, __file__, "--variant", name, "--folder", str(folder),
                    "--cache", str(cache), "--device", device, "-n", str(args.n)]  # fmt: skip
            done = subprocess.run(argv, capture_output=True, text=True)
            if done.returncode != 0:
                why = done.stderr.strip().splitlines()[-1:] or ["?"]
                print(f"{name}: skipped ({why[0]})", file=sys.stderr)
                continue
            rows.append((name, json.loads(done.stdout.strip().splitlines()[-1])))
            print(f"{name}: {rows[-1][1]['ms']:.0f} ms", file=sys.stderr)
    if not rows:
        sys.exit("no variant ran")
    fp32 = rows[0][1]["ms"]
    print(f"\nNLLB-600M architecture, random weights, {SRC_TOKENS} -> {NEW_TOKENS} tokens, greedy, "
          f"batch 1, {device}, median of {args.n}; +vocab: output limited to the target "
          f"script ({args.share:.1%} of the pieces here)\n")  # fmt: skip
    print("| variant | ms per sentence | vs fp32 | load s | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(f"| {name} | {r['ms']:.0f} | {fp32 / r['ms']:.2f}x | {r['load_s']:.1f} | "
              f"{r['rss_mb']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
