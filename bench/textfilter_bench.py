"""Time of the speakable-text stage per message, against markdown-it's parse alone (the floor).

    python3 bench/textfilter_bench.py

Runs both on every message of tests/fixtures/speakable/corpus.json plus the real Stop message,
side by side in one run, and prints the median per message and the ratio.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tts_core.text.speakable import _parser, sentences  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def per_call_us(fn: Callable[[str], object], text: str, repeat: int = 200) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn(text)
    return (time.perf_counter() - t0) / repeat * 1e6


def main() -> None:
    messages = [
        c["input"] for c in json.loads((FIXTURES / "speakable" / "corpus.json").read_text())
    ]
    stop = json.loads((FIXTURES / "payloads" / "Stop.json").read_text())
    messages.append(stop["payload"]["last_assistant_message"])
    sentences("warm up")
    parse = _parser().parse
    filt, floor = [], []
    for text in messages:
        floor.append(per_call_us(parse, text))
        filt.append(per_call_us(sentences, text))
    typical = per_call_us(sentences, stop["payload"]["last_assistant_message"], 1000)
    print(f"messages: {len(messages)}")
    print(f"markdown-it parse only: median {statistics.median(floor):7.1f} us")
    print(
        f"speakable sentences:    median {statistics.median(filt):7.1f} us, max {max(filt):7.1f} us"
    )
    print(f"ratio filter/parse (median): {statistics.median(filt) / statistics.median(floor):.2f}")
    print(f"real Stop message (9 sentences): {typical:.1f} us")


if __name__ == "__main__":
    main()
