"""The neural voices for real: Piper (English, in its worker process) and Kokoro (Japanese),
with their real models, through the real daemon into the PulseAudio null sink."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import time
from pathlib import Path

import pytest

from tts_core import client
from tts_core import paths as _paths
from tts_core.audio.pcm import Audio
from tts_core.config.schema import VoiceOptions
from tts_core.engines import registry
from tts_core.engines.base import Engine
from tts_core.engines.chain import build_chain
from tts_core.errors import EngineError
from tts_core.languages.catalog import lookup
from tts_core.protocol import Ok, Say, Shutup

from .conftest import (
    DaemonProc,
    Pulse,
    Recorder,
    last_voiced_at,
    run_cli,
    start_daemon,
    stop_daemon,
    voiced_seconds,
)

pytestmark = pytest.mark.skipif(
    not (registry.installed("piper") and registry.installed("kokoro")),
    reason="the neural voices are not installed: pip install -e '.[voice-en,voice-ja]'",
)

EN, JA = lookup("en"), lookup("ja")
ENGLISH = "The build finished, and all forty tests passed."
JAPANESE = "設定ファイルを更新し、テストもすべて通りました。"
HELD = (
    "This sentence is long on purpose, so that the worker is still making it when it is "
    "killed, and the new worker that replaces it has to say all of it again, from the start."
)
NO_TRANSLATION = "translation: {enabled: false}\n"
LONG_EN = " ".join(f"This is sentence number {i} of a long answer." for i in range(14))
LONG_JA = "".join(f"これは長い答えの{i}番目の文で、まだ続きます。" for i in range(1, 9))


def render(engine: Engine, text: str, lang: str) -> list[Audio]:
    """The engine's parts for ``text``, in this process (its Piper worker ended after)."""
    from tts_core.engines import piper

    async def parts() -> list[Audio]:
        try:
            return [part async for part in engine.stream(text, lookup(lang))]
        finally:
            await piper.close_workers()

    return asyncio.run(parts())


def voiced(parts: list[Audio]) -> float:
    return sum(voiced_seconds(p.samples, p.rate) for p in parts)


def configured_daemon(pulse: Pulse, home: Path, engine: str, language: str) -> DaemonProc:
    path = home / "config" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{NO_TRANSLATION}voice: {{engine: {engine}}}\nlanguage: {language}\n")
    return start_daemon(pulse.env)


def wait_idle(d: DaemonProc, count: int, timeout: float = 90) -> dict[str, object]:
    return d.wait_for(
        lambda s: s["counters"]["received"] == count and s["counters"]["in_progress"] == 0,
        timeout=timeout,
    )


def piper_workers(parent: int) -> list[int]:
    """Pids of the Piper workers that ``parent`` started."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and b"piper_worker.py" in cmdline:
            found.append(int(entry))
    return found


def test_chains_put_the_installed_neural_voice_first() -> None:
    assert registry.chain_names("auto", EN, "linux") == ["gtts", "piper", "espeak"]
    assert registry.chain_names("auto", JA, "linux") == ["gtts", "kokoro", "openjtalk", "espeak"]
    assert registry.chain_names("offline", JA, "darwin") == ["kokoro", "say"]
    assert registry.chain_names("offline", lookup("fr"), "linux") == ["espeak"]  # none for fr
    assert build_chain(VoiceOptions(engine="offline"), EN).name == "piper, espeak"


def test_piper_speaks_through_the_daemon_and_its_audio_is_cached(
    pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    from tts_core.engines.piper import PiperEngine

    expected = voiced(render(PiperEngine(), ENGLISH, "en"))
    assert expected > 1.5
    d = configured_daemon(pulse, isolated_home, "piper", "en")
    try:
        result = run_cli("say", "--engine", "piper", ENGLISH)
        assert (result.returncode, result.stderr) == (0, "")
        result = run_cli("say", "--engine", "piper", ENGLISH)  # the same again: from the cache
        assert (result.returncode, result.stderr) == (0, "")
        st = wait_idle(d, 2)
        workers = piper_workers(d.proc.pid)
        worker_env = Path(f"/proc/{workers[0]}/environ").read_bytes().split(b"\0")
    finally:
        stop_daemon(d)
    heard = voiced_seconds(recorder.stop())
    assert st["engines"]["used"] == {"piper": 2}, st["engines"]  # type: ignore[index]
    assert st["engines"]["cache"]["hits"] == 1, st["engines"]  # type: ignore[index]
    assert len(workers) == 1  # one warm worker, outside the daemon's process
    assert b"ORT_DISABLE_TELEMETRY=1" in worker_env and not any(
        v.startswith((b"HOME=", b"PYTHONPATH=")) for v in worker_env
    )
    assert not (Path(os.environ["HOME"]) / ".cache").exists()  # nothing written under $HOME
    assert abs(heard - 2 * expected) < 0.6, (heard, expected)


def test_kokoro_speaks_japanese_through_the_daemon_clause_by_clause(
    pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    from tts_core.engines.kokoro import MODEL_FILE, KokoroEngine

    parts = render(KokoroEngine(), JAPANESE, "ja")
    assert len(parts) == 2  # cut at 、: the first clause can play while the second is made
    assert all(abs(p.samples).max() <= 1.0 for p in parts)
    expected = voiced(parts)
    assert expected > 1.5
    # The joined model went to our cache folder, private, and nowhere under $HOME.
    model = _paths.resolve().cache / "voices" / MODEL_FILE
    assert stat.S_IMODE(model.stat().st_mode) == 0o600
    assert stat.S_IMODE(model.parent.stat().st_mode) == 0o700
    assert not (Path(os.environ["HOME"]) / ".cache").exists()
    d = configured_daemon(pulse, isolated_home, "offline", "ja")
    try:
        result = run_cli("say", "--engine", "kokoro", "--lang", "ja", JAPANESE)
        assert (result.returncode, result.stderr) == (0, "")
        client.request(Say(JAPANESE), paths=d.paths)  # the configured chain: kokoro first
        st = wait_idle(d, 2)
    finally:
        stop_daemon(d)
    heard = voiced_seconds(recorder.stop())
    assert st["engine"] == "kokoro, openjtalk, espeak"
    assert st["engines"]["used"] == {"kokoro": 1}, st["engines"]  # type: ignore[index]
    assert abs(heard - 2 * expected) < 0.8, (heard, expected)


def test_a_modified_kokoro_model_is_refused(isolated_home: Path, tmp_path: Path) -> None:
    from tts_core.engines.kokoro import MODEL_FILE, MODEL_SHA256, KokoroEngine, ensure_model

    good = ensure_model(tmp_path / "good")
    bad_dir = _paths.resolve().cache / "voices"  # where the daemon looks
    bad_dir.mkdir(parents=True)
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0x01
    (bad_dir / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(EngineError) as info:
        KokoroEngine().load()
    import hashlib

    got = hashlib.sha256(data).hexdigest()
    assert str(info.value) == (
        f"kokoro: refusing {bad_dir / MODEL_FILE}: its sha256 is {got}, not the Kokoro-82M "
        f"int8 model's {MODEL_SHA256}; delete the file and it is rebuilt from the installed "
        "packages"
    )
    # The daemon refuses it too, says why, and Open JTalk speaks instead.
    config = isolated_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"{NO_TRANSLATION}voice: {{engine: offline}}\nlanguage: ja\n")
    d = start_daemon({"PULSE_SERVER": "unix:/nonexistent"})
    try:
        said = client.request(Say("こんにちは。"), paths=d.paths)
        assert said == Ok("queued")
        d.wait_for(lambda s: s["counters"]["in_progress"] == 0 and s["counters"]["received"] == 1)
        log = d.paths.daemon_log.read_text()
    finally:
        stop_daemon(d)
    assert f"engine kokoro failed, falling back: kokoro: refusing {bad_dir / MODEL_FILE}" in log
    # Deleted, it is rebuilt from the installed packages and loads.
    (bad_dir / MODEL_FILE).unlink()
    KokoroEngine().load()


def test_a_killed_piper_worker_comes_back_and_speaks_the_sentence_it_held(
    pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    from tts_core.engines.piper import PiperEngine

    engine = PiperEngine()
    expected = voiced(render(engine, ENGLISH, "en")) + voiced(render(engine, HELD, "en"))
    d = configured_daemon(pulse, isolated_home, "piper", "en")
    try:
        client.request(Say(ENGLISH), paths=d.paths)
        wait_idle(d, 1)
        (first,) = piper_workers(d.proc.pid)
        client.request(Say(HELD), paths=d.paths)
        time.sleep(0.3)  # the request is with the worker, which takes over a second for it
        os.kill(first, signal.SIGKILL)
        st = wait_idle(d, 2)
        (second,) = piper_workers(d.proc.pid)
        log = d.paths.daemon_log.read_text()
    finally:
        stop_daemon(d)
    heard = voiced_seconds(recorder.stop())
    assert second != first
    assert "piper worker failed while it held a sentence (it exited" in log
    assert st["counters"]["spoken"] == 2 and st["counters"]["failed"] == 0  # type: ignore[index]
    assert st["engines"]["used"] == {"piper": 2}, st["engines"]  # type: ignore[index]
    assert st["engines"]["failed"] == {}  # type: ignore[index]
    assert abs(heard - expected) < 0.8, (heard, expected)


@pytest.mark.timeout(300)
def test_stop_silences_a_neural_voice_as_fast_as_espeak(
    pulse: Pulse, recorder: Recorder, isolated_home: Path
) -> None:
    d = configured_daemon(pulse, isolated_home, "espeak", "en")
    cuts: dict[str, tuple[float, float]] = {}  # engine: (shutup at, next say at), recording s
    try:
        for n, (engine, lang, text) in enumerate(
            [("espeak", "en", LONG_EN), ("piper", "en", LONG_EN), ("kokoro", "ja", LONG_JA)], 1
        ):
            # A short one first: the voice is loaded (as it is after the first use).
            client.request(Say(text[:12], lang=lang, engine=engine), paths=d.paths)
            wait_idle(d, 2 * n - 1)
            client.request(Say(text, lang=lang, engine=engine), paths=d.paths)
            d.wait_for(lambda s: s["speaking"], timeout=60)
            time.sleep(5.0 if engine == "kokoro" else 2.5)  # well into the speech (heard)
            t_shutup = time.monotonic()
            client.request(Shutup(), paths=d.paths)
            wait_idle(d, 2 * n)
            time.sleep(1.0)  # silence, then the next one
            cuts[engine] = (t_shutup - recorder.started, time.monotonic() - recorder.started)
    finally:
        stop_daemon(d)
    samples = recorder.stop()
    rate = 16000
    lag = {}
    for engine, (cut, until) in cuts.items():
        window = samples[: int(until * rate)]
        lag[engine] = last_voiced_at(window) - cut
        assert voiced_seconds(window[int((cut - 1.0) * rate) : int(cut * rate)]) > 0.2, engine
    # Heard up to the cut, silent within the same bound for each voice.
    assert lag["espeak"] < 0.5, lag
    for neural in ("piper", "kokoro"):
        assert lag[neural] < max(0.5, 2 * lag["espeak"]), lag
