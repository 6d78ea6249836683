"""Translation plumbing on a tiny NLLB of the real architecture (random weights) and fakes at
the edge: forced language token, batching order, masking, cache, skips, fallbacks, devices."""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from tts_core.config.schema import TranslationOptions
from tts_core.languages.catalog import lookup
from tts_core.translate.backends.auto import load_backend, pick_backend, pick_device, pick_dtype
from tts_core.translate.backends.base import TranslationError
from tts_core.translate.backends.ct2_backend import CTranslate2Backend
from tts_core.translate.backends.transformers_backend import TransformersBackend
from tts_core.translate.masking import degenerate, in_script, mask, unmask
from tts_core.translate.service import Translator

EN, JA = lookup("en"), lookup("ja")
TEXTS = ["All tests passed.", "The build finished.", "Done.", "I updated the file."]


@pytest.mark.parametrize(
    ("requested", "cuda", "mps", "device"),
    [
        ("auto", False, False, "cpu"),
        ("auto", True, False, "cuda"),
        ("auto", False, True, "mps"),
        ("cpu", True, True, "cpu"),
        ("cuda", True, False, "cuda"),
    ],
)
def test_device_selection(requested: str, cuda: bool, mps: bool, device: str) -> None:
    assert pick_device(requested, cuda, mps) == device


def test_unavailable_devices_and_backends_are_clear_errors() -> None:
    with pytest.raises(TranslationError, match=r"^translation device .cuda. is not available"):
        pick_device("cuda", False, False)
    with pytest.raises(TranslationError, match=r"^backend torch-int8 runs on the CPU only$"):
        pick_backend("torch-int8", "cuda")
    with pytest.raises(TranslationError, match=r"^backend ctranslate2 has no Apple MPS support$"):
        pick_backend("ctranslate2", "mps")


@pytest.mark.parametrize(
    ("backend", "device", "dtype"),
    [
        ("auto", "cpu", ("ctranslate2", "int8")),
        ("auto", "cuda", ("transformers", "float16")),
        ("auto", "mps", ("transformers", "float16")),
        ("transformers", "cpu", ("transformers", "float32")),
        ("ctranslate2", "cpu", ("ctranslate2", "int8")),
        ("ctranslate2", "cuda", ("ctranslate2", "float16")),
    ],
)
def test_backend_and_dtype_selection(backend: str, device: str, dtype: tuple[str, str]) -> None:
    chosen = pick_backend(backend, device)
    assert (chosen, pick_dtype("auto", device, chosen)) == dtype


def test_without_ctranslate2_the_cpu_gets_torch_int8() -> None:
    assert pick_backend("auto", "cpu", ctranslate2=False) == "torch-int8"
    assert pick_backend("auto", "cuda", ctranslate2=False) == "transformers"


def test_transformers_forces_the_target_language_token(tiny_model: Path, tmp_path: Path) -> None:
    backend = TransformersBackend(str(tiny_model), "cpu", "float32", tmp_path)
    ids = backend.generate(["All tests passed."], "eng_Latn", "jpn_Jpan", 10)
    assert ids[0][1].item() == backend.tokenizer.convert_tokens_to_ids("jpn_Jpan")
    ids = backend.generate(["All tests passed."], "eng_Latn", "kor_Hang", 10)
    assert ids[0][1].item() == backend.tokenizer.convert_tokens_to_ids("kor_Hang")


def test_ctranslate2_converts_once_and_starts_with_the_language_token(
    tiny_model: Path, tmp_path: Path
) -> None:
    backend = CTranslate2Backend(str(tiny_model), "cpu", "int8", tmp_path)
    assert [h[0] for h in backend.hypotheses(TEXTS[:2], "eng_Latn", "jpn_Jpan", 10)] == [
        "jpn_Jpan", "jpn_Jpan",
    ]  # fmt: skip
    converted = backend.folder
    assert sorted(p.name for p in (tmp_path / "ct2").iterdir()) == [
        converted.name, converted.name + ".vmap-jpn_Jpan-v1.2",  # the model; links + its map
    ]  # fmt: skip
    stamp = (converted / "model.bin").stat().st_mtime
    CTranslate2Backend(str(tiny_model), "cpu", "int8", tmp_path)
    assert (converted / "model.bin").stat().st_mtime == stamp  # reused, not converted again


@pytest.mark.parametrize("kind", ["transformers", "ctranslate2"])
def test_a_batch_keeps_its_order(tiny_model: Path, tmp_path: Path, kind: str) -> None:
    cls = TransformersBackend if kind == "transformers" else CTranslate2Backend
    backend = cls(str(tiny_model), "cpu", "float32" if kind == "transformers" else "int8", tmp_path)
    batch = backend.translate_batch(TEXTS, "eng_Latn", "jpn_Jpan", 16)
    singles = [backend.translate_batch([t], "eng_Latn", "jpn_Jpan", 16)[0] for t in TEXTS]
    assert batch == singles
    assert len(set(batch)) > 1  # the outputs depend on the input: order is observable


def test_int8_weights_are_quantized_once_and_cached(tiny_model: Path, tmp_path: Path) -> None:
    import torch

    first = TransformersBackend(str(tiny_model), "cpu", "int8", tmp_path)
    (cached,) = (tmp_path / "int8").iterdir()
    again = TransformersBackend(str(tiny_model), "cpu", "int8", tmp_path)
    quantized = torch.ao.nn.quantized.dynamic.Linear
    assert any(isinstance(m, quantized) for m in again.model.modules())
    assert first.translate_batch(TEXTS, "eng_Latn", "jpn_Jpan", 12) == again.translate_batch(
        TEXTS, "eng_Latn", "jpn_Jpan", 12
    )
    assert cached.stat().st_size > 0 and first.name == "torch-int8"


def test_a_missing_model_without_the_hub_is_one_clear_error(tmp_path: Path) -> None:
    t0 = time.monotonic()
    with pytest.raises(TranslationError) as info:
        load_backend("facebook/nllb-200-distilled-600M", "transformers", "cpu", "auto", tmp_path)
    assert time.monotonic() - t0 < 3.0  # known at once: no download attempt, no retries
    assert str(info.value) == (
        "the translation model facebook/nllb-200-distilled-600M is not downloaded; run "
        "'claude-tts download-model' while online (speech goes on untranslated)"
    )


# ---- the Translator service, with fakes at the edge --------------------------------------------


class FakeBackend:
    """Upper-cases the text and tags it (placeholders survive, so masking can be checked);
    ``mangle`` makes it loop, drop a placeholder, or work slowly until told to stop."""

    name, device = "fake", "cpu"

    def __init__(self, mangle: str = "") -> None:
        self.calls: list[list[str]] = []
        self.prepared: list[str] = []
        self.mangle = mangle

    def prepare(self, tgt: str) -> None:
        self.prepared.append(tgt)

    def details(self) -> dict[str, object]:
        return {"prepared": self.prepared}

    def translate_batch(
        self,
        texts: list[str],
        src: str,
        tgt: str,
        limit: int,
        stop: threading.Event | None = None,
    ) -> list[str]:
        self.calls.append(list(texts))
        if self.mangle == "slow":  # works until told to stop, at most 3 s
            for _ in range(300):
                if stop is not None and stop.is_set():
                    break
                time.sleep(0.01)
        if self.mangle == "loop":
            return ["そうそうそうそう" for _ in texts]
        if self.mangle == "drop":
            return ["翻訳" for _ in texts]
        return [f"[{tgt}] {t.upper()}" for t in texts]


def translator(backend: FakeBackend, **options: object) -> Translator:
    opts = TranslationOptions(**options)  # type: ignore[arg-type]
    t = Translator(opts, EN, Path("/nonexistent"), loader=lambda o, d: backend)
    t.start()
    assert t.wait_loaded(5)
    return t


def given(backend: FakeBackend, options: TranslationOptions, cache: Path) -> FakeBackend:
    return backend


def test_loading_gets_the_model_ready_for_the_spoken_language() -> None:
    fakes = [FakeBackend(), FakeBackend()]
    for fake, warm in zip(fakes, [JA, EN], strict=True):
        t = Translator(TranslationOptions(), EN, Path("/x"), loader=functools.partial(given, fake))
        t.start(warm=warm)
        assert t.wait_loaded(5) and t.state == "ready"
    assert [f.prepared for f in fakes] == [["jpn_Jpan"], []]  # English needs no translation
    t.warm(lookup("ko"))  # the user switched languages: ready before the first sentence
    t.warm(EN)
    deadline = time.monotonic() + 5
    while fakes[1].prepared != ["kor_Hang"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fakes[1].prepared == ["kor_Hang"]


def test_masking_puts_protected_spans_and_glossary_terms_back() -> None:
    fake = FakeBackend()
    t = translator(fake, glossary={"pull request": "プルリクエスト"})
    (out,) = asyncio.run(t.translate(["Open a pull request for config.yaml at v2.1.3 now."], JA))
    assert out == "[jpn_Jpan] OPEN A プルリクエスト FOR config.yaml AT v2.1.3 NOW."
    assert fake.calls == [["Open a ZQC for ZQA at ZQB now."]]  # protected spans, then terms


def test_the_cache_spares_the_model() -> None:
    fake = FakeBackend()
    t = translator(fake)
    asyncio.run(t.translate(["Done."], JA))
    asyncio.run(t.translate(["Done."], JA))
    assert fake.calls == [["Done."]]
    assert (t.counts["cache_hits"], t.counts["translated"]) == (1, 1)


def test_no_translation_into_the_source_language() -> None:
    fake = FakeBackend()
    assert asyncio.run(translator(fake).translate(["Done."], EN)) == ["Done."]
    assert fake.calls == []


def test_the_plan_decides_what_goes_to_the_translator() -> None:
    """One rule, in the voicing stage: translation on and the languages differ; and a sentence
    already in the target's script (Claude wrote Japanese) is not sent."""
    from tts_core.config.schema import Config
    from tts_core.speech.voicing import Voicing
    from tts_core.translate.service import TranslatorSlot

    voicing = Voicing(None, TranslatorSlot(Path("/nonexistent")), environ={})  # type: ignore[arg-type]
    plan = voicing.plan(Config(language="ja", translation=TranslationOptions(model="/nonexistent")))
    assert plan.translate
    assert voicing.needs_translation(plan, "Done.")
    assert not voicing.needs_translation(plan, "すでに日本語です。")
    off = Config(language="ja", translation=TranslationOptions(enabled=False))
    assert not voicing.plan(off).translate
    assert not voicing.plan(Config(language="en")).translate


@pytest.mark.parametrize("mangle", ["loop", "drop"])
def test_bad_translations_fall_back_to_the_source(mangle: str) -> None:
    t = translator(FakeBackend(mangle))
    text = "Version 2 of the daemon is ready." if mangle == "drop" else "Hello there, friend."
    assert asyncio.run(t.translate([text], JA)) == [text]
    assert t.counts["rejected"] == 1


def test_the_tiny_models_nonsense_is_rejected(tiny_model: Path, tmp_path: Path) -> None:
    opts = TranslationOptions(model=str(tiny_model), backend="transformers")
    t = Translator(opts, EN, tmp_path)
    out = asyncio.run(t.translate(TEXTS, JA))
    assert t.state == "ready" and t.stats()["backend"] == "transformers-float32"
    assert out == TEXTS  # it loops ("合合合合..."), so the source is spoken instead
    assert t.counts["rejected"] == len(TEXTS)


def test_until_ready_untranslated_does_not_wait() -> None:
    gate = threading.Event()

    def slow_loader(options: TranslationOptions, cache: Path) -> FakeBackend:
        gate.wait(10)
        return FakeBackend()

    t = Translator(TranslationOptions(until_ready="untranslated"), EN, Path("/x"), slow_loader)
    t0 = time.monotonic()
    assert asyncio.run(t.translate(["Done."], JA)) == ["Done."]
    assert time.monotonic() - t0 < 1 and t.state == "loading"
    gate.set()
    assert t.wait_loaded(5) and asyncio.run(t.translate(["Done."], JA)) == ["[jpn_Jpan] DONE."]


def test_until_ready_wait_holds_speech_until_loaded() -> None:
    def loader(options: TranslationOptions, cache: Path) -> FakeBackend:
        time.sleep(0.3)
        return FakeBackend()

    t = Translator(TranslationOptions(), EN, Path("/x"), loader)
    assert asyncio.run(t.translate(["Done."], JA)) == ["[jpn_Jpan] DONE."]


def test_a_failed_load_speaks_untranslated_and_says_why() -> None:
    def broken(options: TranslationOptions, cache: Path) -> FakeBackend:
        raise TranslationError("no model here")

    t = Translator(TranslationOptions(), EN, Path("/x"), broken)
    assert asyncio.run(t.translate(["Done."], JA)) == ["Done."]
    assert (t.state, t.error, t.counts["untranslated"]) == ("failed", "no model here", 1)


@pytest.mark.parametrize(
    ("source", "translated", "verdict"),
    [
        ("All tests passed.", "すべてのテストに合格しました。", None),
        ("Hello there friend", "the cat the cat the cat the cat", "repetition"),
        ("All tests passed.", "イイイイにすべて", "repetition"),
        ("It costs 1000 yen...", "1000円です....", None),
        ("Hi.", "x" * 40, "length ratio 13.33"),
        ("A reasonably long English sentence here.", "短", "length ratio 0.03"),
        ("Done.", "  ", "empty translation"),
    ],
)
def test_degenerate(source: str, translated: str, verdict: str | None) -> None:
    assert degenerate(source, translated) == verdict


def test_masks_round_trip_and_detect_loss() -> None:
    m = mask("Run pytest on tests/test_main.py: 42 passed, HTTP 200.", {})
    assert unmask(m.text, m) == "Run pytest on tests/test_main.py: 42 passed, HTTP 200."
    assert unmask(m.text.replace("ZQA", ""), m) is None


def test_script_detection() -> None:
    assert in_script("設定を変更しました。", "jpn_Jpan")
    assert in_script("다음 단계", "kor_Hang") and not in_script("Next step", "kor_Hang")
    assert not in_script("Bonjour", "fra_Latn")  # Latin targets cannot be told from English


def test_cancelled_speech_releases_the_model_at_once() -> None:
    fake = FakeBackend("slow")
    t = translator(fake)

    async def go() -> float:
        doomed = asyncio.create_task(t.translate(["A cancelled sentence."], JA))
        await asyncio.sleep(0.2)  # the model is busy with it
        doomed.cancel()
        fake.mangle = ""
        t0 = time.monotonic()
        assert await t.translate(["Next."], JA) == ["[jpn_Jpan] NEXT."]
        return time.monotonic() - t0

    assert asyncio.run(go()) < 0.5  # not the 3 s the cancelled batch would have taken


def test_the_real_model_stops_when_told(tiny_model: Path, tmp_path: Path) -> None:
    backend = TransformersBackend(str(tiny_model), "cpu", "float32", tmp_path)
    stop = threading.Event()
    stop.set()
    ids = backend.generate(["All tests passed."], "eng_Latn", "jpn_Jpan", 50, stop)
    assert ids.shape[1] <= 3  # decoder start, language token, at most one more


def hub_cache(tiny_model: Path, cache: Path, repo: str = "local/tiny-nllb") -> str:
    """The tiny model laid out as the hub's cache holds a download (refs/main -> snapshot)."""
    folder = cache / ("models--" + repo.replace("/", "--"))
    commit = "0" * 40
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(commit)
    shutil.copytree(tiny_model, folder / "snapshots" / commit)
    return repo


@pytest.mark.parametrize("kind", ["transformers", "ctranslate2"])
def test_a_hub_model_loads_from_our_cache_offline(
    tiny_model: Path, tmp_path: Path, kind: str
) -> None:
    repo = hub_cache(tiny_model, tmp_path / "hub")
    from_hub = load_backend(repo, kind, "cpu", "auto", tmp_path / "hub")
    from_folder = load_backend(str(tiny_model), kind, "cpu", "auto", tmp_path / "folder")
    assert from_hub.name == from_folder.name
    assert from_hub.translate_batch(TEXTS, "eng_Latn", "jpn_Jpan", 8) == (
        from_folder.translate_batch(TEXTS, "eng_Latn", "jpn_Jpan", 8)
    )
    if isinstance(from_hub, CTranslate2Backend):  # converted from the cached snapshot
        assert from_hub.folder.parent == tmp_path / "hub" / "ct2"


def test_a_model_ctranslate2_cannot_convert_is_said_as_such(
    tiny_model: Path, tmp_path: Path
) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(tiny_model, odd)
    config = json.loads((odd / "config.json").read_text())
    (odd / "config.json").write_text(json.dumps({**config, "model_type": "vit"}))
    with pytest.raises(TranslationError) as info:
        CTranslate2Backend(str(odd), "cpu", "int8", tmp_path / "cache")
    assert str(info.value).startswith(
        f"cannot convert {odd} for CTranslate2: ValueError: No conversion is registered"
    )  # not "the model is not downloaded"
