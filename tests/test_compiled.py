"""The compiled decoding path (static cache + torch.compile), run here on the CPU with inductor:
CUDA graphs need CUDA, but the bucketing, the warm-up and the equality with eager are the same
code on both."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tts_core.translate.backends.compiled import BATCH, CompiledDecoding, OneThread, source_bucket
from tts_core.translate.backends.transformers_backend import TransformersBackend

TEXTS = ["All tests passed.", "The build finished."]


@pytest.mark.parametrize(
    ("tokens", "bucket"), [(1, 32), (20, 32), (32, 32), (33, 64), (128, 128), (129, None)]
)
def test_source_lengths_fall_into_buckets(tokens: int, bucket: int | None) -> None:
    assert source_bucket(tokens) == bucket


def test_only_warm_buckets_and_fitting_calls_take_the_compiled_path() -> None:
    compiled = CompiledDecoding(buckets=(32, 64), max_new=40)
    assert compiled.usable(1, 20, 30) is None  # nothing compiled yet
    compiled.warm(lambda bucket: None)
    assert compiled.usable(1, 20, 30) == 32 and compiled.usable(BATCH, 50, 40) == 64
    assert compiled.usable(BATCH + 1, 20, 30) is None  # more rows than a bucket has
    assert compiled.usable(1, 20, 41) is None  # more tokens than the static cache holds
    assert compiled.usable(1, 100, 30) is None  # a source bucket never compiled


def test_each_bucket_waits_for_a_quiet_model() -> None:
    compiled = CompiledDecoding(buckets=(32, 64), quiet=0.3)
    last_use = time.monotonic()  # a translation just ended
    started: list[float] = []
    compiled.warm(
        lambda bucket: started.append(time.monotonic() - last_use),
        lambda: time.monotonic() - last_use,
    )
    assert len(started) == 2 and all(t >= 0.3 for t in started)
    assert compiled.warm_buckets == {32, 64}


def test_a_compile_failure_turns_the_fast_path_off_for_good() -> None:
    compiled = CompiledDecoding(buckets=(32, 64), max_new=40)

    def broken(bucket: int) -> None:
        raise RuntimeError("no kernel for this GPU")

    compiled.warm(broken)
    assert compiled.failed == "RuntimeError: no kernel for this GPU"
    assert compiled.warm_buckets == set() and compiled.usable(1, 20, 30) is None


def test_compiled_decoding_matches_eager_without_recompiling(
    tiny_model: Path, tmp_path: Path
) -> None:
    from torch._dynamo.utils import counters

    # The daemon's default: the vocabulary limited for eager calls. Compiled calls score the
    # whole vocabulary (one graph for all), so they must equal an unlimited eager model.
    backend = TransformersBackend(str(tiny_model), "cpu", "float32", tmp_path)
    assert backend.compiled is None and backend.head is not None  # only CUDA compiles itself
    unlimited = TransformersBackend(str(tiny_model), "cpu", "float32", tmp_path, False)
    lengths = [len(backend.tokenizer(t).input_ids) for t in TEXTS]
    assert max(lengths) <= 32  # one bucket holds every call below
    eager = {
        tgt: unlimited.generate(TEXTS, "eng_Latn", tgt, 20).tolist()
        for tgt in ("jpn_Jpan", "kor_Hang")
    }
    compiled = CompiledDecoding(mode="default", all_devices=True, buckets=(32,), max_new=24)
    backend.compiled = compiled
    threads: set[str] = set()
    generate = backend._generate

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.add(threading.current_thread().name)
        return generate(*args, **kwargs)

    backend._generate = recorded  # type: ignore[method-assign]
    backend.prepare("jpn_Jpan")  # starts the warm-up in the background
    assert backend._warming is not None
    backend._warming.join(300)
    assert compiled.failed is None and compiled.warm_buckets == {32}
    graphs = counters["stats"]["unique_graphs"]
    assert graphs > 0
    for tgt, expected in eager.items():
        backend.generate(TEXTS, "eng_Latn", tgt, 30)  # longer than the cache: eager, limited
        assert backend.generate(TEXTS, "eng_Latn", tgt, 20).tolist() == expected
        assert backend.generate(TEXTS[:1], "eng_Latn", tgt, 12).tolist()[0] == expected[0][:13]
    assert counters["stats"]["unique_graphs"] == graphs  # the buckets held: no new compile
    # CUDA graphs are kept per thread: warm-up and translations all ran on one worker thread.
    assert len(threads) == 1 and threads.pop().startswith("nllb-cuda")


def test_one_thread_runs_calls_in_turn_and_hands_back_errors() -> None:
    worker = OneThread("test-worker")
    assert worker.call(lambda: threading.current_thread().name) == "test-worker"
    with pytest.raises(ZeroDivisionError):
        worker.call(lambda: 1 / 0)
    assert worker.call(lambda: 42) == 42  # still serving after an error
