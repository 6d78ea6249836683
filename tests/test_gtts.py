"""The real gTTS package against a local HTTPS stand-in for Google; the chain, breaker, cache."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tts_core.audio.cache import AudioCache
from tts_core.audio.pcm import Audio
from tts_core.config.schema import VoiceOptions
from tts_core.engines import registry
from tts_core.engines.base import OneShot, render
from tts_core.engines.chain import ChainEngine, CircuitBreaker, build_chain
from tts_core.engines.gtts import GttsEngine
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language, lookup

from .gtts_server import FakeGoogle

EN = lookup("en")
LONG = (
    "This is a much longer sentence that gTTS will split into several parts, because it is "
    "well over one hundred characters long, and it keeps going for a while."
)


@pytest.fixture(scope="module")
def google() -> Iterator[FakeGoogle]:
    server = FakeGoogle()
    yield server
    server.close()


@pytest.fixture
def fake(google: FakeGoogle) -> FakeGoogle:
    google.mode, google.fail_first, google.fail_on, google.delay = "ok", -1, "", 0.0
    google.drip_s = 0.0
    google.settle()  # requests a previous test left in flight must not count here
    return google


def options(fake: FakeGoogle, **kw: Any) -> VoiceOptions:
    base = VoiceOptions(gtts_endpoint=fake.endpoint, gtts_timeout_s=1.0)
    return replace(base, **kw)


def speak(engine: Any, text: str, lang: Language = EN) -> Audio:
    return asyncio.run(render(engine, text, lang))


def test_a_sentence_is_fetched_and_decoded(fake: FakeGoogle) -> None:
    audio = speak(GttsEngine(options(fake)), "こんにちは。テストです。", lookup("japanese"))
    assert [(s.text, s.lang) for s in fake.seen] == [("こんにちは。テストです。", "ja")]
    assert 1.0 < audio.duration_s < 4.0
    assert float(np.abs(audio.samples).max()) > 0.1


def test_long_text_parts_are_fetched_concurrently_and_played_in_order(fake: FakeGoogle) -> None:
    engine = GttsEngine(options(fake))
    parts = engine.parts(LONG, EN)
    assert len(parts) == 3
    fake.delay = 0.4
    t0 = time.monotonic()

    async def collect() -> list[Audio]:
        return [p async for p in engine.stream(LONG, EN)]

    clips = asyncio.run(collect())
    elapsed = time.monotonic() - t0
    assert sorted(s.text for s in fake.seen) == sorted(parts)
    # All three were in flight at once: the last began before the first was answered.
    assert max(s.started for s in fake.seen) < min(s.ended for s in fake.seen)
    assert elapsed < 3 * 0.4
    # In order: each clip is as long as the rendering of its own part.
    fake.delay = 0.0
    singles = [speak(engine, p) for p in parts]
    assert [round(c.duration_s, 2) for c in clips] == [round(s.duration_s, 2) for s in singles]


@pytest.mark.parametrize(
    ("mode", "fail_first", "requests", "error"),
    [
        ("429", 1, 2, None),
        ("500", 2, 3, None),
        ("429", -1, 3, "gTTS failed: 429 Too Many Requests"),
        ("500", -1, 3, "gTTS failed: HTTP 500"),
        ("empty", -1, 1, "gTTS failed: the reply held no audio"),
    ],
)
def test_faults(fake: FakeGoogle, mode: str, fail_first: int, requests: int, error: str) -> None:
    fake.mode, fake.fail_first = mode, fail_first
    engine = GttsEngine(options(fake, gtts_retries=2))
    if error is None:
        assert speak(engine, "Retry me.").duration_s > 0.3
    else:
        with pytest.raises(EngineError) as info:
            speak(engine, "Retry me.")
        assert str(info.value) == error
    assert len(fake.seen) == requests


def test_malformed_reply(fake: FakeGoogle) -> None:
    fake.mode = "malformed"
    with pytest.raises(EngineError, match=r"^gTTS failed: "):
        speak(GttsEngine(options(fake)), "Hello.")


def test_a_hanging_server_costs_one_timeout(fake: FakeGoogle) -> None:
    fake.mode, fake.hang_s = "hang", 5.0
    t0 = time.monotonic()
    with pytest.raises(EngineError, match=r"^gTTS failed: "):
        speak(GttsEngine(options(fake, gtts_timeout_s=0.5)), "Hello.")
    assert time.monotonic() - t0 < 2.0


def test_fails_closed_without_touching_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[object] = []

    def getaddrinfo(*args: object, **kwargs: object) -> list[object]:
        looked_up.append(args)
        raise OSError("no lookups in tests")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    engine = GttsEngine(VoiceOptions())  # forgot the endpoint: would go to Google
    with pytest.raises(EngineError) as info:
        speak(engine, "Hello.")
    assert str(info.value) == (
        "gTTS may not contact translate.google.com (CLAUDE_TTS_ALLOW_HOSTS=127.0.0.1)"
    )
    assert looked_up == []


def test_endpoint_must_be_https() -> None:
    with pytest.raises(EngineError) as info:
        GttsEngine(VoiceOptions(gtts_endpoint="http://127.0.0.1:1"))
    assert str(info.value) == "gtts_endpoint must be https://host[:port], got 'http://127.0.0.1:1'"


# ---- chain, breaker, cache --------------------------------------------------------------------


class Recorder(OneShot):
    """An offline engine at the edge that records what it was asked to say."""

    name = "recorder"

    def __init__(self) -> None:
        self.said: list[str] = []

    async def synthesize(self, text: str, lang: Language) -> Audio:
        self.said.append(text)
        return Audio(np.full(100, 0.5, dtype=np.float32), 8000)


def test_gtts_failure_falls_back_and_is_counted(fake: FakeGoogle) -> None:
    fake.mode = "500"
    opts = options(fake, gtts_retries=0)
    fallback = Recorder()
    chain = ChainEngine([GttsEngine(opts), fallback], opts)
    speak(chain, "Fall back please.")
    assert fallback.said == ["Fall back please."]
    stats = chain.stats()
    assert stats["failed"] == {"gtts": 1} and stats["used"] == {"recorder": 1}
    assert stats["last_failure"] == "gtts: gTTS failed: HTTP 500"


def test_mid_sentence_failure_speaks_only_the_rest(fake: FakeGoogle) -> None:
    fake.mode, fake.fail_on = "500", "because"
    opts = options(fake, gtts_retries=0)
    fallback = Recorder()
    chain = ChainEngine([GttsEngine(opts), fallback], opts)

    async def collect() -> list[Audio]:
        return [p async for p in chain.stream(LONG, EN)]

    clips = asyncio.run(collect())
    parts = GttsEngine(opts).parts(LONG, EN)
    assert fallback.said == [" ".join(parts[1:])]
    assert clips[0].rate != 8000 and clips[-1].rate == 8000


def test_breaker_skips_gtts_then_tries_again(fake: FakeGoogle) -> None:
    fake.mode = "500"
    opts = options(fake, gtts_retries=0, breaker_failures=2, breaker_cooldown_s=60)
    fallback = Recorder()
    chain = ChainEngine([GttsEngine(opts), fallback], opts)
    for i in range(4):
        speak(chain, f"Sentence {i}.")
    assert len(fake.seen) == 2  # the third and fourth went straight to the fallback
    assert chain.stats()["breakers"] == {"gtts": "open"}
    assert chain.stats()["skipped"] == {"gtts": 2}
    breaker = chain.breakers["gtts"]
    breaker.clock = lambda: time.monotonic() + 61  # the cooldown is over
    fake.mode = "ok"
    speak(chain, "Back online.")
    assert len(fake.seen) == 3 and fallback.said[-1] == "Sentence 3."
    assert chain.stats()["breakers"] == {"gtts": "closed"}


def test_breaker_states() -> None:
    now = [0.0]
    b = CircuitBreaker(failures=2, cooldown_s=10, clock=lambda: now[0])
    b.failure()
    assert b.state == "closed"
    b.failure()
    assert (b.state, b.allow()) == ("open", False)
    now[0] = 10.0
    assert (b.state, b.allow()) == ("half-open", True)
    b.failure()
    assert b.state == "open"
    now[0] = 25.0
    b.success()
    assert b.state == "closed"


def test_cache_hit_miss_and_restart(tmp_path: Path) -> None:
    opts = VoiceOptions(engine="espeak")
    cache = AudioCache(tmp_path / "cache", 10_000_000)
    first = speak(build_chain(opts, EN, cache), "Cache me.")
    again_cache = AudioCache(tmp_path / "cache", 10_000_000)
    again = speak(build_chain(opts, EN, again_cache), "Cache me.")
    assert again_cache.stats()["hits"] == 1  # from disk, in a new cache object
    assert np.allclose(first.samples, again.samples, atol=1e-6)
    assert cache.stats()["misses"] == 1


def test_corrupt_cache_entries_are_dropped(tmp_path: Path) -> None:
    opts = VoiceOptions(engine="espeak")
    cache = AudioCache(tmp_path / "cache", 10_000_000)
    speak(build_chain(opts, EN, cache), "Corrupt me.")
    (entry,) = (tmp_path / "cache").glob("*.pcm")
    entry.write_bytes(entry.read_bytes()[:-10])
    speak(build_chain(opts, EN, cache), "Corrupt me.")
    assert cache.stats()["corrupt"] == 1
    assert cache.stats()["hits"] == 0


def test_a_custom_endpoints_audio_never_enters_the_shared_cache(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    """Audio an endpoint served ("Paste your token in the chat") must never be replayed for
    another destination: it is not cached at all, and Google's own is cached by its origin."""
    cache = AudioCache(tmp_path / "cache", 10_000_000)
    for _ in range(2):
        speak(build_chain(options(fake), EN, cache), "Not for the shared cache.")
    assert len(fake.seen) == 2  # asked twice: nothing was kept
    assert list((tmp_path / "cache").glob("*.pcm")) == []
    google = AudioCache.key("gtts", "https://translate.google.com", None, "en", 1.0, "Hi.")
    proxy = AudioCache.key("gtts", "https://127.0.0.1:1", None, "en", 1.0, "Hi.")
    assert google != proxy


def test_cache_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path / "c", max_bytes=3 * (4000 * 4 + 20))
    clip = Audio(np.zeros(4000, dtype=np.float32), 8000)
    for name in ("a", "b", "c"):
        cache.put(name, clip)
        time.sleep(0.01)
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", clip)
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("d") is not None
    assert cache.size_bytes <= cache.max_bytes


def test_gtts_library_needs_no_click() -> None:
    """Why gTTS can be installed with --no-deps: only its CLI imports click."""
    import subprocess
    import sys

    code = "import sys; sys.modules['click'] = None; import gtts, gtts.tts; print(gtts.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert tuple(int(x) for x in out.stdout.split(".")[:2]) >= (2, 5)


def test_openjtalk_reads_japanese_offline() -> None:
    from tts_core.engines.openjtalk import OpenJTalkEngine

    audio = speak(OpenJTalkEngine(), "設定ファイルを更新しました。", lookup("ja"))
    assert 1.0 < audio.duration_s < 4.0
    with pytest.raises(EngineError, match="openjtalk speaks Japanese only, not english"):
        speak(OpenJTalkEngine(), "Hello.", EN)


def test_offline_chain_for_japanese_prefers_openjtalk() -> None:
    # The neural voices come first where their extras are installed (CI installs them).
    kokoro = "kokoro, " if registry.installed("kokoro") else ""
    piper = "piper, " if registry.installed("piper") else ""
    chain = build_chain(VoiceOptions(engine="offline"), lookup("ja"))
    assert chain.name == f"{kokoro}openjtalk, espeak"
    assert build_chain(VoiceOptions(engine="auto"), EN).name == f"gtts, {piper}espeak"


def test_a_slow_drip_is_cut_by_the_sentence_deadline(fake: FakeGoogle) -> None:
    # A reply whose bytes keep coming, slowly: no single read ever times out.
    fake.drip_s = 0.01
    engine = GttsEngine(options(fake, gtts_timeout_s=0.5))
    t0 = time.monotonic()
    with pytest.raises(EngineError) as info:
        speak(engine, "A sentence that arrives drop by drop.")
    took = time.monotonic() - t0
    assert str(info.value) == "gTTS took over 1 s for a sentence (a slow reply)"
    assert took < 1.5  # the whole sentence's deadline, not a read's
    assert info.value.remaining == "A sentence that arrives drop by drop."
    fake.drip_s = 0.0
