"""Exact-match table of every translation backend on the trained toy NLLB (tests/fixtures).

    python3 bench/toy_accuracy.py [-n 200] [--seed 2]

For each backend (transformers fp32, torch int8, CTranslate2 int8), with the output vocabulary
limited and whole, sentences generated from the seed are translated one per call and in
batches of 4 (each backend in its own process, as in bench/translate.py: CTranslate2 and torch
slow each other down in one), and compared with the toy task's ground truth. The model's one
known weakness (a final "." after a raw number) is counted like anything else.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "fixtures" / "toy-nllb"
VARIANTS = ["transformers fp32", "torch int8", "ctranslate2 int8"]


def sentences(n: int, seed: int) -> tuple[list[str], list[str]]:
    sys.path.insert(0, str(ROOT))
    from tests.toy_task import Reference, Sentences

    dictionary = json.loads((TOY / "toy_task.json").read_text())["dictionary"]
    reference = Reference(dictionary)
    gen = Sentences(dictionary, reference, random.Random(seed))
    texts = [gen.sentence() for _ in range(n)]
    return texts, [reference.translate(t) for t in texts]


def run_variant(name: str, limit: bool, n: int, seed: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from tts_core.translate.backends.ct2_backend import CTranslate2Backend
    from tts_core.translate.backends.transformers_backend import TransformersBackend

    texts, expected = sentences(n, seed)
    with tempfile.TemporaryDirectory() as cache:
        backend: CTranslate2Backend | TransformersBackend
        if name.startswith("ctranslate2"):
            backend = CTranslate2Backend(str(TOY), "cpu", "int8", Path(cache), limit)
        else:
            dtype = "int8" if "int8" in name else "float32"
            backend = TransformersBackend(str(TOY), "cpu", dtype, Path(cache), limit)
        t0 = time.perf_counter()
        alone = [backend.translate_batch([t], "eng_Latn", "jpn_Jpan", 64)[0] for t in texts]
        alone_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        batched = [
            out for i in range(0, n, 4)
            for out in backend.translate_batch(texts[i : i + 4], "eng_Latn", "jpn_Jpan", 64)
        ]  # fmt: skip
        batched_s = time.perf_counter() - t0
    return {
        "alone": sum(a == e for a, e in zip(alone, expected, strict=True)),
        "batched": sum(b == e for b, e in zip(batched, expected, strict=True)),
        "same": sum(a == b for a, b in zip(alone, batched, strict=True)),
        "alone_ms": alone_s * 1000 / n,
        "batched_ms": batched_s * 1000 / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, bool(args.limit), args.n, args.seed)))
        return
    print(f"toy NLLB, {args.n} sentences (seed {args.seed}), exact match with the ground truth\n")
    print("| backend | vocabulary | one per call | batches of 4 | alone == batched | ms/sentence "
          "alone / batched |")  # fmt: skip
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name in VARIANTS:
        for limit in (True, False):
            argv = [sys.executable, __file__, "--variant", name, "--limit", str(int(limit)),
                    "-n", str(args.n), "--seed", str(args.seed)]  # fmt: skip
            done = subprocess.run(argv, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"| {name} | {'limited' if limit else 'whole'} | failed: "
                      f"{done.stderr.strip().splitlines()[-1:]} |")  # fmt: skip
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {name} | {'limited' if limit else 'whole'} | {r['alone']}/{args.n} | "
                  f"{r['batched']}/{args.n} | {r['same']}/{args.n} | "
                  f"{r['alone_ms']:.1f} / {r['batched_ms']:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
