"""The offline voices side by side: Piper and espeak-ng (English), Kokoro and Open JTalk
(Japanese). Figures, not pass/fail.

    python3 bench/voices.py [--skip-gaps]

Per engine, each in a fresh process (so load time and peak RSS are its own): load time (the
first sentence's cost over a warm one's), time to the first part of a sentence that has a
clause mark (the first clause, for a voice that speaks clause by clause) and to the whole
sentence, real-time factor (seconds of audio per second of compute) with 1 and 2 threads for
the neural voices, and peak RSS. Then, through the real daemon into the PulseAudio null sink,
the longest silence between two sentences of a 10-sentence answer, next to the longest
silence in the same sentences' own audio (the voice's pauses plus the player's 0.1 s pad):
the difference is what synthesis made the listener wait. Goals on a 2-core machine: Piper's
first clause <= 150 ms, Kokoro's <= 1.0 s, no gap over 150 ms between sentences.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENTENCES = {
    "en": [
        "The build finished, and all forty tests passed.",
        "I updated the configuration file and restarted the server.",
        "Next, the parser reads each line; it skips blank ones.",
        "The cache now keeps the last two hundred entries.",
        "Three warnings remain: two in the loader, one in the tests.",
        "I could not reproduce the crash on this machine.",
        "The new function returns early when the list is empty.",
        "Memory use dropped from four hundred to ninety megabytes.",
        "Shall I also update the documentation?",
        "That is everything for this change.",
    ],
    "ja": [
        "ビルドが終わり、四十件のテストがすべて通りました。",
        "設定ファイルを更新して、サーバーを再起動しました。",
        "次に、パーサーが各行を読み、空行は飛ばします。",
        "キャッシュは直近の二百件を保持します。",
        "警告が三つ残っています、二つはローダー、一つはテストです。",
        "このマシンではクラッシュを再現できませんでした。",
        "新しい関数は、リストが空なら早めに返ります。",
        "メモリ使用量は四百から九十メガバイトに減りました。",
        "ドキュメントも更新しましょうか。",
        "この変更は以上です。",
    ],
}
ENGINES = [("piper", "en"), ("espeak", "en"), ("kokoro", "ja"), ("openjtalk", "ja")]
NEURAL_THREADS = {"piper": "PIPER_THREADS", "kokoro": "kokoro_threads"}


def measure(name: str, lang: str, threads: int | None) -> dict[str, Any]:
    """In this (fresh) process: one engine's figures."""
    from dataclasses import replace

    from tts_core.config.schema import VoiceOptions
    from tts_core.engines import registry
    from tts_core.languages.catalog import lookup

    options = VoiceOptions()
    if name == "kokoro" and threads:
        options = replace(options, kokoro_threads=threads)
    if name == "piper" and threads:
        from tts_core.engines import piper

        piper.THREADS = threads  # a bench knob: the engine's measured default is 1
    language = lookup(lang)
    sentence = SENTENCES[lang][0]  # has a clause mark

    async def run() -> dict[str, Any]:
        t0 = time.perf_counter()
        engine = registry.create(name, options=options)
        constructed = time.perf_counter() - t0

        async def timed(text: str) -> tuple[float, float, float]:
            start = time.perf_counter()
            first = None
            audio_s = 0.0
            async for part in engine.stream(text, language):
                first = first if first is not None else time.perf_counter() - start
                audio_s += part.duration_s
            return first or 0.0, time.perf_counter() - start, audio_s

        cold_first, cold_total, _ = await timed(sentence)
        warm = [await timed(sentence) for _ in range(3)]
        first = min(w[0] for w in warm)
        total = min(w[1] for w in warm)
        compute = audio = 0.0
        for text in SENTENCES[lang][1:6]:
            _, took, seconds = await timed(text)
            compute += took
            audio += seconds
        if name == "piper":
            from tts_core.engines.piper import close_workers

            await close_workers()
        return {
            "load_s": constructed + cold_total - total,
            "first_part_ms": first * 1000,
            "first_part_cold_ms": cold_first * 1000,
            "sentence_ms": total * 1000,
            "x_realtime": audio / compute,
        }

    figures = asyncio.run(run())
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures["peak_rss_mb"] = max(own, children) if name == "piper" else own
    if name == "piper":
        figures["peak_rss_mb_note"] = "the worker process"
    return figures


def in_fresh_process(name: str, lang: str, threads: int | None) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--one", name, lang, str(threads or 0)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=900)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def longest_gaps(name: str, lang: str) -> tuple[float, float]:
    """(longest silence between sentences as heard, longest silence in the audio itself)."""
    from tests.audio_sink import Recorder, start_pulse, stop_pulse
    from tests.conftest import start_daemon, stop_daemon
    from tts_core import client
    from tts_core.audio.pcm import concat, silence
    from tts_core.engines import registry
    from tts_core.languages.catalog import lookup
    from tts_core.protocol import Say

    home = Path(tempfile.mkdtemp(prefix="ctt-voices-", dir="/tmp"))
    os.environ["CLAUDE_TTS_HOME"] = str(home)
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.yaml").write_text(
        f"translation: {{enabled: false}}\nvoice: {{engine: {name}, cache_mb: 0}}\n"
        f"language: {lang}\n"
    )
    pulse = start_pulse()
    d = start_daemon(pulse.env)
    text = " ".join(SENTENCES[lang]) if lang == "en" else "".join(SENTENCES[lang])
    try:
        client.request(Say(SENTENCES[lang][-1]), paths=d.paths)  # load the voice first
        d.wait_for(lambda s: s["counters"]["in_progress"] == 0 and s["counters"]["spoken"], 120)
        recorder = Recorder(pulse, home / "rec.wav")
        client.request(Say(text), paths=d.paths)
        d.wait_for(lambda s: s["counters"]["in_progress"] == 0 and s["counters"]["received"] == 2,
                   timeout=300)  # fmt: skip
        heard = recorder.stop()
    finally:
        stop_daemon(d)
        stop_pulse(pulse)

    async def own_audio() -> Any:
        engine = registry.create(name)
        parts = []
        for sentence in SENTENCES[lang]:
            async for part in engine.stream(sentence, lookup(lang)):
                parts.extend([part, silence(0.1, part.rate)])  # the player's pad after each
        if name == "piper":
            from tts_core.engines.piper import close_workers

            await close_workers()
        return concat(parts)

    own = asyncio.run(own_audio())
    return _longest_silence(heard, 16000), _longest_silence(own.samples, own.rate)


def _longest_silence(samples: Any, rate: int) -> float:
    """Longest run of silent 20 ms frames between the first and last voiced frames."""
    import numpy as np

    frame = rate // 50
    n = len(samples) // frame
    rms = np.sqrt(np.mean(np.asarray(samples[: n * frame]).reshape(n, frame) ** 2, axis=1))
    voiced = np.nonzero(rms > 0.01)[0]
    if len(voiced) < 2:
        return 0.0
    return float(np.max(np.diff(voiced)) - 1) * 0.02


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one", nargs=3, metavar=("ENGINE", "LANG", "THREADS"))
    parser.add_argument("--skip-gaps", action="store_true")
    args = parser.parse_args()
    if args.one:
        name, lang, threads = args.one
        print(json.dumps(measure(name, lang, int(threads) or None)))
        return 0
    print(f"{os.cpu_count()} cores; each engine in a fresh process")
    print(f"{'engine':10} {'load s':>7} {'1st part ms':>12} {'(cold)':>8} {'sentence ms':>12} "
          f"{'x RT 1 thr':>10} {'x RT 2 thr':>10} {'peak RSS MB':>11}")  # fmt: skip
    for name, lang in ENGINES:
        one = in_fresh_process(name, lang, 1 if name in NEURAL_THREADS else None)
        two = in_fresh_process(name, lang, 2) if name in NEURAL_THREADS else None
        print(f"{name:10} {one['load_s']:7.2f} {one['first_part_ms']:12.0f} "
              f"{one['first_part_cold_ms']:8.0f} {one['sentence_ms']:12.0f} "
              f"{one['x_realtime']:10.1f} {two['x_realtime'] if two else float('nan'):10.1f} "
              f"{one['peak_rss_mb']:11.0f}")  # fmt: skip
    if not args.skip_gaps:
        print("\nlongest silence between sentences of a 10-sentence answer (null sink):")
        for name, lang in ENGINES:
            heard, own = longest_gaps(name, lang)
            print(f"{name:10} heard {heard * 1000:5.0f} ms; in its own audio {own * 1000:5.0f} ms;"
                  f" added by synthesis {max(0.0, heard - own) * 1000:5.0f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
