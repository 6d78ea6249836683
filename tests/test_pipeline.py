"""The pipeline's order, overlap and cancellation, with fake adapters at the edges."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from tts_core.audio.pcm import Audio
from tts_core.config.schema import Config, VoiceOptions
from tts_core.engines.base import OneShot
from tts_core.errors import AudioUnavailable, EngineError
from tts_core.languages.catalog import Language, lookup
from tts_core.speech.pipeline import Pipeline
from tts_core.speech.policy import Priority
from tts_core.speech.utterance import Utterance
from tts_core.speech.voicing import Voicing
from tts_core.text.speakable import Sentence


class FakeEngine(OneShot):
    name = "fake"
    needs_network = False

    def __init__(self, delay: float = 0.0, fail_on: str = "") -> None:
        self.delay = delay
        self.fail_on = fail_on
        self.log: list[tuple[str, str]] = []

    async def synthesize(self, text: str, lang: Language) -> Audio:
        self.log.append(("synth-start", text))
        await asyncio.sleep(self.delay)
        if text == self.fail_on:
            raise EngineError(f"cannot say {text!r}")
        self.log.append(("synth-end", text))
        return Audio(np.full(10, len(text), dtype=np.float32), 1000)


class FakePlayer:
    def __init__(self, log: list[tuple[str, str]], duration: float = 0.05) -> None:
        self.log = log
        self.duration = duration
        self.stopped = asyncio.Event()
        self.fail = False
        self.rest: Audio | None = None
        self._keep = False

    async def play(self, audio: Audio) -> bool:
        if self.fail:
            raise AudioUnavailable("no audio output device")
        self.log.append(("play", str(int(audio.samples[0]))))
        self.stopped.clear()
        self.rest, self._keep = None, False
        try:
            await asyncio.wait_for(self.stopped.wait(), self.duration)
            if self._keep:  # the fake's clips are whole: interrupted, all of it is left
                self.rest = audio
            return False
        except TimeoutError:
            return True
        finally:
            self.log.append(("play-end", str(int(audio.samples[0]))))

    def stop(self) -> None:
        self.stopped.set()

    def interrupt(self) -> None:
        self._keep = True
        self.stopped.set()


def split(utterance: Utterance) -> list[Sentence]:
    return [Sentence(s) for s in utterance.text.split("|") if s]


def make(engine: FakeEngine, player_duration: float = 0.05) -> tuple[Pipeline, FakePlayer]:
    player = FakePlayer(engine.log, player_duration)
    return Pipeline(player, split, default_engine=engine), player


def utter(
    text: str,
    outcomes: list[tuple[str, str, str]],
    session: str = "s",
    priority: Priority = Priority.MESSAGE,
) -> Utterance:
    return Utterance(
        text,
        session,
        priority,
        "turn",
        lookup("en"),
        on_done=lambda o, r: outcomes.append((text, o, r)),
    )


async def drain(p: Pipeline, outcomes: list[tuple[str, str, str]], n: int) -> None:
    for _ in range(400):
        if len(outcomes) >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {outcomes}")


def test_next_sentence_is_synthesized_while_the_current_one_plays() -> None:
    async def go() -> list[tuple[str, str]]:
        engine = FakeEngine(delay=0.01)
        p, _ = make(engine, 0.05)
        p.start()
        outcomes: list[tuple[str, str, str]] = []
        p.submit(utter("a|bb|ccc", outcomes))
        await drain(p, outcomes, 1)
        await p.close()
        assert outcomes == [("a|bb|ccc", "spoken", "")]
        return engine.log

    log = asyncio.run(go())
    # Each later sentence was ready before the one ahead of it finished playing.
    assert log.index(("synth-end", "bb")) < log.index(("play-end", "1"))
    assert log.index(("synth-end", "ccc")) < log.index(("play-end", "2"))
    assert [x for x in log if x[0] == "play"] == [("play", "1"), ("play", "2"), ("play", "3")]


def test_important_speech_jumps_the_queue() -> None:
    async def go() -> list[tuple[str, str, str]]:
        p, _ = make(FakeEngine())
        outcomes: list[tuple[str, str, str]] = []
        p.submit(utter("x", outcomes))
        p.submit(utter("y", outcomes))
        p.submit(utter("permission", outcomes, priority=Priority.IMPORTANT))
        p.start()
        await drain(p, outcomes, 3)
        await p.close()
        return outcomes

    assert [o[0] for o in asyncio.run(go())] == ["permission", "x", "y"]


def test_cancel_cuts_one_session_and_keeps_the_other() -> None:
    async def go() -> list[tuple[str, str, str]]:
        p, _ = make(FakeEngine(), player_duration=5.0)
        outcomes: list[tuple[str, str, str]] = []
        p.start()
        p.submit(utter("long|more", outcomes, session="a"))
        p.submit(utter("queued-a", outcomes, session="a"))
        p.submit(utter("b", outcomes, session="b"))
        await asyncio.sleep(0.05)
        assert p.speaking
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        assert p.cancel("a", reason="user_prompt") == 2
        await drain(p, outcomes, 2)
        assert loop.time() - t0 < 0.5  # the 5 s clip was cut, not played out
        p.player.stop()  # let "b" finish quickly
        await drain(p, outcomes, 3)
        await p.close()
        return outcomes

    outcomes = asyncio.run(go())
    assert ("queued-a", "dropped", "user_prompt") in outcomes
    assert ("long|more", "dropped", "user_prompt") in outcomes
    assert outcomes[-1][0] == "b"


def test_cancel_abandons_a_slow_synthesis() -> None:
    async def go() -> tuple[list[tuple[str, str, str]], float]:
        p, _ = make(FakeEngine(delay=5.0))
        outcomes: list[tuple[str, str, str]] = []
        p.start()
        p.submit(utter("slow", outcomes))
        await asyncio.sleep(0.05)
        t0 = asyncio.get_running_loop().time()
        p.cancel(None, reason="shutup")
        await drain(p, outcomes, 1)
        elapsed = asyncio.get_running_loop().time() - t0
        await p.close()
        return outcomes, elapsed

    outcomes, elapsed = asyncio.run(go())
    assert outcomes == [("slow", "dropped", "shutup")]
    assert elapsed < 0.5


@pytest.mark.parametrize("where", ["engine", "player"])
def test_failures_are_reported_and_the_pipeline_goes_on(where: str) -> None:
    async def go() -> tuple[list[tuple[str, str, str]], list[str]]:
        engine = FakeEngine(fail_on="bad" if where == "engine" else "")
        errors: list[str] = []
        player = FakePlayer(engine.log)
        p = Pipeline(player, split, on_error=errors.append, default_engine=engine)
        player.fail = where == "player"
        outcomes: list[tuple[str, str, str]] = []
        p.start()
        p.submit(utter("bad", outcomes))
        await drain(p, outcomes, 1)
        player.fail = False
        p.submit(utter("good", outcomes))
        await drain(p, outcomes, 2)
        await p.close()
        return outcomes, errors

    outcomes, errors = asyncio.run(go())
    reason = "cannot say 'bad'" if where == "engine" else "no audio output device"
    assert outcomes == [("bad", "failed", reason), ("good", "spoken", "")]
    assert errors == [reason]


def test_nothing_speakable_is_dropped() -> None:
    async def go() -> list[tuple[str, str, str]]:
        p, _ = make(FakeEngine())
        outcomes: list[tuple[str, str, str]] = []
        p.start()
        p.submit(utter("|", outcomes))
        await drain(p, outcomes, 1)
        await p.close()
        return outcomes

    assert asyncio.run(go()) == [("|", "dropped", "nothing_to_say")]


def test_close_drops_the_queue_as_shutdown() -> None:
    async def go() -> list[tuple[str, str, str]]:
        p, _ = make(FakeEngine(), player_duration=5.0)
        outcomes: list[tuple[str, str, str]] = []
        p.start()
        p.submit(utter("playing", outcomes))
        p.submit(utter("waiting", outcomes))
        await asyncio.sleep(0.05)
        await p.close()
        await asyncio.sleep(0.05)
        return outcomes

    assert sorted(asyncio.run(go())) == [
        ("playing", "dropped", "shutdown"),
        ("waiting", "dropped", "shutdown"),
    ]


class FakeChains:
    """Engine chains by language code (a fake of speech.chains.Voices)."""

    def __init__(self, engines: dict[str, OneShot]) -> None:
        self.engines = engines

    def apply(self, voice: VoiceOptions) -> None:
        pass

    def chain_for(self, voice: VoiceOptions, lang: Language) -> OneShot:
        return self.engines[lang.code]


def planned(config: Config, engines: dict[str, OneShot], duration: float = 0.05) -> tuple[
    Pipeline, Voicing
]:  # fmt: skip
    voicing = Voicing(FakeChains(engines), None, environ={})
    player = FakePlayer(next(iter(engines.values())).log, duration)  # type: ignore[attr-defined]
    return Pipeline(player, split, voicing=voicing), voicing


def test_volume_scales_what_is_played() -> None:
    async def go(volume: float) -> list[tuple[str, str]]:
        engine = FakeEngine()  # a clip of 1.0 for the one-letter text "a"
        config = Config(language="en", voice=VoiceOptions(volume=volume))
        p, voicing = planned(config, {"en": engine})
        p.start()
        outcomes: list[tuple[str, str, str]] = []
        u = utter("a", outcomes)
        u.plan = voicing.plan(config)
        p.submit(u)
        await drain(p, outcomes, 1)
        await p.close()
        return [x for x in engine.log if x[0] == "play"]

    assert asyncio.run(go(1.0)) == [("play", "1")]
    assert asyncio.run(go(0.5)) == [("play", "0")]  # int(0.5)


class VoiceOf(FakeEngine):
    """A fake voice that notes which language it was asked to speak each sentence in."""

    def __init__(self, name: str, heard: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.name, self.heard = name, heard

    async def synthesize(self, text: str, lang: Language) -> Audio:
        self.heard.append((self.name, lang.code, text))
        return await super().synthesize(text, lang)


def test_each_sentence_gets_the_voice_of_the_language_it_is_in() -> None:
    heard: list[tuple[str, str, str]] = []
    voices = {code: VoiceOf(f"voice-{code}", heard) for code in ("ja", "en", "ko")}

    async def go() -> list[tuple[str, str, str]]:
        config = Config(language="ja")
        p, voicing = planned(config, dict(voices), duration=0.01)
        p.start()
        outcomes: list[tuple[str, str, str]] = []
        u = utter("ビルドが通りました。|The tests were left in English.|main.py を開きました。|"
                  "안녕하세요", outcomes)  # fmt: skip
        u.lang, u.plan = lookup("ja"), voicing.plan(config)
        p.submit(u)
        await drain(p, outcomes, 1)
        await p.close()
        return outcomes

    assert asyncio.run(go())[0][1] == "spoken"
    assert heard == [
        ("voice-ja", "ja", "ビルドが通りました。"),
        ("voice-en", "en", "The tests were left in English."),
        ("voice-ja", "ja", "main.py を開きました。"),  # Japanese with a file name in it
        ("voice-ko", "ko", "안녕하세요"),
    ]
