"""The GPU fast path for transformers: a static KV cache and ``torch.compile`` of the decoding
step (CUDA graphs on CUDA), as transformers does when ``generate`` gets a static cache.

On an H200, NLLB-600M took 152 ms per sentence eager (5.2 ms per token: bound by kernel
launches, not by compute) and 66 ms in bf16 with a static cache and CUDA graphs (see
../shared measurements in README). transformers >= 5 keeps the positional-embedding resize out
of the compiled graph when the cache is static (the branch that caused 6 graph breaks before).

Compiling costs seconds for each input shape, and a new shape would compile on the speech
path. So shapes are bucketed: the batch is padded to ``BATCH`` rows (a GPU that is bound by
launches does four rows in the time of one), the source to a multiple of ``SOURCE_STEP``
tokens, and the cache always has room for ``MAX_NEW`` tokens. ``warm`` compiles each bucket
once, in the background after the model is ready; until a bucket is warm (or for a shape no
bucket holds) sentences take the eager path. Any compile failure turns the fast path off for
good, with one log line: eager always works.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

BATCH = 4
SOURCE_STEP = 32
SOURCE_MAX = 128
MAX_NEW = 160
QUIET_S = 2.0


def source_bucket(tokens: int) -> int | None:
    """The padded source length for ``tokens`` tokens, or None when it is too long."""
    if tokens > SOURCE_MAX:
        return None
    return max(SOURCE_STEP, -(-tokens // SOURCE_STEP) * SOURCE_STEP)


class CompiledDecoding:
    """Which buckets are compiled, and the compiled ``generate`` call for them."""

    def __init__(
        self,
        mode: str = "reduce-overhead",
        all_devices: bool = False,
        buckets: tuple[int, ...] = tuple(range(SOURCE_STEP, SOURCE_MAX + 1, SOURCE_STEP)),
        max_new: int = MAX_NEW,
        quiet: float = QUIET_S,
    ) -> None:
        from transformers import CompileConfig

        self.config = CompileConfig(fullgraph=False, dynamic=False, mode=mode)
        if all_devices:  # compile on the CPU too (tests; CUDA graphs need CUDA)
            self.config._compile_all_devices = True  # type: ignore[assignment]
        self.buckets = buckets
        self.max_new = max_new
        self.quiet = quiet
        self.warm_buckets: set[int] = set()
        self.failed: str | None = None
        self.compile_s: dict[int, float] = {}

    def usable(self, texts: int, tokens: int, max_new_tokens: int) -> int | None:
        """The warm bucket for this call, or None (eager)."""
        bucket = source_bucket(tokens)
        if self.failed or texts > BATCH or max_new_tokens > self.max_new or bucket is None:
            return None
        return bucket if bucket in self.warm_buckets else None

    def generate_kwargs(self) -> dict[str, Any]:
        return {"cache_implementation": "static", "compile_config": self.config}

    def warm(
        self,
        run: Callable[[int], object],
        idle_for: Callable[[], float] = lambda: float("inf"),
    ) -> None:
        """Compile each bucket by running ``run(bucket)`` once (a full batch of that source
        length, ``max_new`` tokens: the cache keeps that size); ``run`` takes its turn with the
        translations. A bucket starts only after ``self.quiet`` seconds without translations
        (``idle_for()`` says how long it has been): a compile holds the model for seconds, and
        speech that is flowing should not wait for it."""
        for bucket in self.buckets:
            while (left := self.quiet - idle_for()) > 0:
                time.sleep(left)
            if self.failed:
                return
            t0 = time.monotonic()
            try:
                run(bucket)
            except Exception as exc:  # an unsupported GPU, a compiler error...
                self.failed = f"{type(exc).__name__}: {exc}"
                log.warning("compiled decoding off, eager from now on: %s", self.failed)
                return
            self.compile_s[bucket] = round(time.monotonic() - t0, 1)
            self.warm_buckets.add(bucket)
            seconds = self.compile_s[bucket]
            log.info("compiled decoding ready for %d source tokens (%.1f s)", bucket, seconds)


class OneThread:
    """Runs calls one at a time on one daemon thread (a ThreadPoolExecutor's thread would hold
    up the daemon's exit until a compile in progress ends)."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name=name, daemon=True).start()

    def _serve(self) -> None:
        while True:
            fn, future = self._calls.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:  # handed to the caller, as an executor does
                    future.set_exception(exc)

    def call(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` on the thread; its result or its exception here."""
        future: Future[Any] = Future()
        self._calls.put((fn, future))
        return future.result()
