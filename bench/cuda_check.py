"""One short check of the CUDA path, for a session that is lent a GPU (no GPU in CI).

    python3 bench/cuda_check.py && python3 bench/translate.py -n 10 --only fp16,float16

On the tiny NLLB (tests/tiny_nllb.py), through the daemon's own loader with every setting on
``auto``: the choice (transformers, float16, cuda, vocabulary limited, compiled decoding), an
eager translation, cancellation, the background compile of the source-size buckets, compiled
output against eager output of an unlimited model, and the absence of recompiles across
targets. Prints one JSON report; exits 1 if a check failed, 2 without CUDA.
``--dry-run`` runs the same checks on the CPU (inductor, no CUDA graphs), to test this script.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXTS = ["All tests passed.", "The build finished.", "I updated the file."]


def main() -> int:
    import torch

    dry = "--dry-run" in sys.argv
    if not dry and not torch.cuda.is_available():
        print("no CUDA device here", file=sys.stderr)
        return 2
    from torch._dynamo.utils import counters

    from tests.tiny_nllb import build
    from tts_core.translate.backends.auto import load_backend
    from tts_core.translate.backends.compiled import CompiledDecoding
    from tts_core.translate.backends.transformers_backend import TransformersBackend

    device, half = ("cpu", "float32") if dry else ("cuda", "float16")
    name = "cpu (dry run)" if dry else torch.cuda.get_device_name(0)
    report: dict[str, Any] = {"device": name, "torch": torch.__version__}
    failures: list[str] = []

    def check(name: str, ok: bool, detail: object = None) -> None:
        report[name] = {"ok": ok, "detail": detail}
        if not ok:
            failures.append(name)

    with tempfile.TemporaryDirectory() as tmp:
        model = str(build(Path(tmp) / "tiny"))
        if dry:
            backend = load_backend(model, "transformers", "cpu", "auto", Path(tmp) / "cache")
            assert isinstance(backend, TransformersBackend)
            backend.compiled = CompiledDecoding("default", True, buckets=(32,))
        else:
            backend = load_backend(model, "auto", "auto", "auto", Path(tmp) / "cache")
        assert isinstance(backend, TransformersBackend)
        check(
            "auto choice",
            (backend.name, backend.device) == (f"transformers-{half}", device)
            and backend.head is not None
            and backend.compiled is not None,
            [backend.name, backend.device, backend.head is not None, backend.compiled is not None],
        )
        t0 = time.perf_counter()
        out = backend.translate_batch(TEXTS, "eng_Latn", "jpn_Jpan", 16)
        check("eager limited translation", len(out) == len(TEXTS), [out, time.perf_counter() - t0])
        stop = threading.Event()
        stop.set()
        ids = backend.generate(TEXTS[:1], "eng_Latn", "jpn_Jpan", 50, stop)
        check("cancel stops at the next token", ids.shape[1] <= 3, list(ids.shape))

        t0 = time.perf_counter()
        backend.prepare("jpn_Jpan")
        assert backend._warming is not None and backend.compiled is not None
        backend._warming.join(480)
        compiled = backend.compiled
        check(
            "compile warm-up",
            compiled.failed is None and compiled.warm_buckets == set(compiled.buckets),
            {"error": compiled.failed, "seconds": compiled.compile_s,
             "total_s": round(time.perf_counter() - t0, 1)},
        )  # fmt: skip
        unlimited = TransformersBackend(model, device, half, Path(tmp) / "cache", False, False)
        graphs = counters["stats"]["unique_graphs"]
        same, timings = [], {}
        for tgt in ("jpn_Jpan", "kor_Hang", "fra_Latn"):
            t0 = time.perf_counter()
            fast = backend.generate(TEXTS, "eng_Latn", tgt, 20)
            if not dry:
                torch.cuda.synchronize()
            timings[tgt] = round((time.perf_counter() - t0) * 1000, 1)
            slow = unlimited.generate(TEXTS, "eng_Latn", tgt, 20)
            same.append(fast.tolist() == slow.tolist())
        check("compiled equals eager", all(same), same)
        check("no recompile", counters["stats"]["unique_graphs"] == graphs, timings)
    report["failed"] = failures
    print(json.dumps(report, indent=1, default=str))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
