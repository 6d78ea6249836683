"""Time from a sentence in to its first audio part out, per engine, and cache hit vs miss.

    python3 bench/engines_bench.py [-n 10]

gTTS runs against the local stand-in for Google (tests/gtts_server.py), so its figure is the
client's own cost (request, TLS, decode) without Internet latency. All engines run side by side
in one process; the cache figures use the same sentence twice.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gtts_server import FakeGoogle  # noqa: E402
from tts_core.audio.cache import AudioCache  # noqa: E402
from tts_core.config.schema import VoiceOptions  # noqa: E402
from tts_core.engines.base import Engine  # noqa: E402
from tts_core.engines.chain import ChainEngine  # noqa: E402
from tts_core.engines.registry import create  # noqa: E402
from tts_core.languages.catalog import Language, lookup  # noqa: E402

SENTENCES = {
    "en": "The build finished and all forty tests passed.",
    "ja": "ビルドが終わり、四十件のテストがすべて通りました。",
}


async def first_part_ms(engine: Engine, text: str, lang: Language) -> float:
    """Consumes the whole stream (as the pipeline does: the cache is written at its end)."""
    t0 = time.perf_counter()
    first = None
    async for _ in engine.stream(text, lang):
        first = first or time.perf_counter()
    if first is None:
        raise RuntimeError("no audio")
    return (first - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10)
    n = parser.parse_args().n
    google = FakeGoogle()
    opts = VoiceOptions(gtts_endpoint=google.endpoint)
    rows = []
    try:
        for name, code in (("gtts", "en"), ("gtts", "ja"), ("espeak", "en"), ("openjtalk", "ja")):
            engine = create(name, options=opts)
            lang = lookup(code)
            times = [
                asyncio.run(first_part_ms(engine, f"{SENTENCES[code]} {i}", lang)) for i in range(n)
            ]
            rows.append((f"{name} ({code})", statistics.median(times)))
        cache = AudioCache(Path(tempfile.mkdtemp(prefix="ctt-bench-")), 50_000_000)
        chain = ChainEngine([create("gtts", options=opts)], opts, cache)
        miss = [asyncio.run(first_part_ms(chain, f"Cached sentence {i}.", lookup("en")))
                for i in range(n)]  # fmt: skip
        hit = [asyncio.run(first_part_ms(chain, f"Cached sentence {i}.", lookup("en")))
               for i in range(n)]  # fmt: skip
        rows += [("gtts chain, cache miss", statistics.median(miss)),
                 ("gtts chain, cache hit", statistics.median(hit))]  # fmt: skip
    finally:
        google.close()
    for label, ms in rows:
        print(f"{label:28} first audio after {ms:7.1f} ms (median of {n})")
    print(f"cache hit / miss: {rows[-1][1] / rows[-2][1]:.3f}")


if __name__ == "__main__":
    main()
