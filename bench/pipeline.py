"""Where the pipeline's latency goes: overlap of stages, side by side in one run.

    python3 bench/pipeline.py

The real Pipeline with fake stages of fixed cost (translate 100 ms, synthesize 60 ms, play
400 ms per sentence, the figures of a fast machine): time to first audio for a 1-sentence and
an 8-sentence message (the goal is a ratio near 1.0), and the total time for 8 sentences against
the sum of all stage times (the overlap ratio; a one-stage-at-a-time prototype scores 1.0).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tts_core.audio.pcm import Audio  # noqa: E402
from tts_core.config.schema import Config, TranslationOptions, VoiceOptions  # noqa: E402
from tts_core.languages.catalog import Language  # noqa: E402
from tts_core.speech.pipeline import Pipeline  # noqa: E402
from tts_core.speech.policy import Priority  # noqa: E402
from tts_core.speech.utterance import Utterance  # noqa: E402
from tts_core.speech.voicing import Voicing  # noqa: E402
from tts_core.text.speakable import Sentence  # noqa: E402

TRANSLATE_S, SYNTH_S, PLAY_S = 0.100, 0.060, 0.400


class Engine:
    name = "fixed"
    needs_network = False

    async def stream(self, text: str, lang: Language) -> AsyncIterator[Audio]:
        await asyncio.sleep(SYNTH_S)
        yield Audio(np.zeros(10, dtype=np.float32), 1000)


class Player:
    def __init__(self) -> None:
        self.first: float | None = None
        self.rest: Audio | None = None

    async def play(self, audio: Audio) -> bool:
        self.first = self.first or time.perf_counter()
        await asyncio.sleep(PLAY_S)
        return True

    def stop(self) -> None:
        pass

    def interrupt(self) -> None:
        pass


class Translator:
    def apply(self, options: TranslationOptions, source: Language, target: Language) -> None:
        pass

    async def translate(self, texts: list[str], lang: Language) -> list[str]:
        await asyncio.sleep(TRANSLATE_S * len(texts) ** 0.5)  # a batch costs less than its parts
        return [f"{t} 訳" for t in texts]

    def stats(self) -> dict[str, object]:
        return {}


class Chains:
    def apply(self, voice: VoiceOptions) -> None:
        pass

    def chain_for(self, voice: VoiceOptions, lang: Language) -> Engine:
        return Engine()


async def run(n: int) -> tuple[float, float]:
    player = Player()
    voicing = Voicing(Chains(), Translator(), environ={})
    pipeline = Pipeline(player, lambda u: [Sentence(f"S{i}.") for i in range(n)], voicing=voicing)
    pipeline.start()
    done = asyncio.Event()
    t0 = time.perf_counter()
    plan = voicing.plan(Config(language="ja"))
    pipeline.submit(
        Utterance(
            "x",
            "s",
            Priority.MESSAGE,
            "bench",
            plan.target,
            plan=plan,
            on_done=lambda o, r: done.set(),
        )
    )
    await done.wait()
    total = time.perf_counter() - t0
    await pipeline.close()
    assert player.first is not None
    return player.first - t0, total


def main() -> None:
    first_1, _ = asyncio.run(run(1))
    first_8, total_8 = asyncio.run(run(8))
    serial = 8 * (TRANSLATE_S + SYNTH_S + PLAY_S)
    print(f"stages per sentence: translate {TRANSLATE_S * 1000:.0f} ms, synthesize "
          f"{SYNTH_S * 1000:.0f} ms, play {PLAY_S * 1000:.0f} ms")  # fmt: skip
    print(f"first audio, 1 sentence:  {first_1 * 1000:6.0f} ms")
    print(f"first audio, 8 sentences: {first_8 * 1000:6.0f} ms  (ratio {first_8 / first_1:.2f})")
    print(f"8 sentences in total:     {total_8 * 1000:6.0f} ms  vs {serial * 1000:.0f} ms one "
          f"stage at a time (overlap ratio {total_8 / serial:.2f}; playback alone is "
          f"{8 * PLAY_S / serial:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
