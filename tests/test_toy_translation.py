"""Translation checked against exact ground truth, on a trained model that really translates.

tests/fixtures/toy-nllb/ is an NLLB-architecture model (M2M100 + NllbTokenizer with the 202
language codes, 4.7 MB) trained on a toy task: English words -> fixed Japanese-script words,
same order; names, numbers, versions, file names and placeholders copied. ``toy_task.Reference``
says what every sentence must become, so each test asserts the exact translation, through
every backend, with the output vocabulary limited and whole, one sentence at a time and in
batches, through the Translator (masking, checks, the daemon's staging) and through the real
daemon. The one thing the model itself gets wrong (a final "." right after a raw number) is
left out of the generated sentences.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tts_core.config.schema import TranslationOptions
from tts_core.languages.catalog import lookup
from tts_core.speech.utterance import staged
from tts_core.translate.backends.base import Backend
from tts_core.translate.backends.ct2_backend import CTranslate2Backend
from tts_core.translate.backends.transformers_backend import TransformersBackend
from tts_core.translate.masking import mask, unmask
from tts_core.translate.service import Translator

from .conftest import FIXTURES, Pulse, Recorder, start_daemon, stop_daemon
from .toy_task import Reference, Sentences

TOY = FIXTURES / "toy-nllb"
DICTIONARY: dict[str, str] = json.loads((TOY / "toy_task.json").read_text())["dictionary"]
REFERENCE = Reference(DICTIONARY)
EN, JA = lookup("en"), lookup("ja")
N = 48  # generated sentences per backend: a dozen batches of 4 after the first alone


def generated(seed: int, n: int = N) -> list[str]:
    """Random sentences of the toy task (seeded), without the model's one known weakness."""
    rng = Sentences(DICTIONARY, REFERENCE, random.Random(seed))
    out: list[str] = []
    while len(out) < n:
        sentence = rng.sentence()
        if not re.search(r"(?<![\w.])\d+[.,?!]", sentence):  # "... 42." it gets wrong
            out.append(sentence)
    return out


# What the masking faults broke: long numbers and addresses, a phrase said twice, identifiers
# with digits, glued placeholders, file names, versions, acronyms. Every other word is one of
# the toy's dictionary (an English word it never learnt would be copied, or not).
HANDWRITTEN = [
    "The table has 1000000 values and 100000000 tokens.",
    "The server is on 0.0.0.0 and the client on 1.1.1.1 now.",
    "The test passed on the main branch and the test passed on the old branch.",
    "Restart bash-55 and etc/44 after the update.",
    "I updated src/app/main.py and README.md to v2.1.3 today.",
    "The HTTP server sent 200 messages to the API.",
    "Open the file config.yaml, then save it.",
]

BACKENDS: dict[str, Callable[[Path, bool], Backend]] = {
    "transformers": lambda cache, limit: TransformersBackend(
        str(TOY), "cpu", "float32", cache, limit
    ),
    "torch-int8": lambda cache, limit: TransformersBackend(str(TOY), "cpu", "int8", cache, limit),
    "ctranslate2": lambda cache, limit: CTranslate2Backend(str(TOY), "cpu", "int8", cache, limit),
}


@pytest.fixture(scope="module", params=[(k, limit) for k in BACKENDS for limit in (True, False)],
                ids=lambda p: f"{p[0]}-{'limited' if p[1] else 'whole'}")  # fmt: skip
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    kind, limit = request.param
    return BACKENDS[kind](tmp_path_factory.mktemp("toy-cache"), limit)


def test_the_toy_model_and_its_tokenizer_are_what_the_tests_assume() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(TOY))
    tokenizer.src_lang = "eng_Latn"
    pieces = tokenizer.convert_ids_to_tokens(tokenizer("Open the file now.").input_ids)
    # Pieces, not characters: the tokenizer survived its save and reload whole.
    assert pieces == ["eng_Latn", "▁Open", "▁the", "▁file", "▁now", ".", "</s>"]
    assert tokenizer.convert_tokens_to_ids("jpn_Jpan") != tokenizer.unk_token_id


def test_one_by_one_and_in_batches_each_sentence_is_the_reference(backend: Backend) -> None:
    sentences = generated(seed=7)
    alone = [backend.translate_batch([s], "eng_Latn", "jpn_Jpan", 64)[0] for s in sentences]
    batched = [
        out for i in range(0, len(sentences), 4)
        for out in backend.translate_batch(sentences[i : i + 4], "eng_Latn", "jpn_Jpan", 64)
    ]  # fmt: skip
    expected = [REFERENCE.translate(s) for s in sentences]
    assert alone == expected
    assert batched == alone  # a sentence translates the same alone and in any batch


def test_the_translator_masks_checks_and_stages_as_the_daemon_does(
    backend: Backend, tmp_path: Path
) -> None:
    glossary = {"daemon": "デーモン"}
    options = TranslationOptions(glossary=glossary)
    translator = Translator(options, EN, tmp_path, loader=lambda _options, _cache: backend)
    sentences = [*HANDWRITTEN, *generated(seed=11, n=12)]
    with_terms = [
        "I updated daemon.py and the daemon started again.",
        "The daemon wrote src/daemon/main.py again.",
    ]

    async def run(texts: list[str]) -> list[str]:
        return [
            out for batch in staged(texts) for out in await translator.translate(list(batch), JA)
        ]

    assert asyncio.run(run(sentences)) == [REFERENCE.translate(s) for s in sentences]
    # A glossary term becomes the user's word, except inside a file name or path.
    for text, got in zip(with_terms, asyncio.run(run(with_terms)), strict=True):
        masked = mask(text, glossary)
        assert got == unmask(REFERENCE.translate(masked.text), masked)
        assert (got.count("デーモン") == 1 and "daemon.py" in got) or "src/daemon/main.py" in got
    assert translator.counts["rejected"] == 0


def test_the_daemon_speaks_the_reference_translation(
    isolated_home: Path, tmp_path: Path, pulse: Pulse, recorder: Recorder
) -> None:
    from tts_core import client
    from tts_core.config.schema import FilterOptions
    from tts_core.protocol import HistoryReply, HistoryRequest
    from tts_core.text.speakable import speakable

    from .conftest import PAYLOADS

    answer = (
        "Open the file config.yaml, then save it. The server is on 0.0.0.0 now.\n\n"
        "The test passed on the main branch and the test passed on the old branch. "
        "I updated src/app/main.py to v2.1.3 today. Restart the daemon after the update."
    )
    # What the daemon's text filter makes of the answer, sentence by sentence (paths shortened),
    # each then translated exactly as the toy task says.
    sentences = [s.text for s in speakable(answer, FilterOptions(), "ja")]
    assert len(sentences) == 5
    config = isolated_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    # The CPU default backend (auto): CTranslate2, output vocabulary limited.
    config.write_text(
        f"language: ja\nvoice: {{engine: espeak, speed: 3.0}}\ntranslation: {{model: '{TOY}'}}\n"
    )
    d = start_daemon(pulse.env)  # heard to the end: a failed playback would stop the turn
    try:
        st = d.wait_for(lambda s: s["translation"]["state"] == "ready", timeout=90)
        assert st["translation"]["backend"] == "ctranslate2-int8"
        assert st["translation"]["limited_vocabulary"] == ["Jpan"]
        stop = json.loads((PAYLOADS / "Stop.json").read_text())
        payload = {**stop["payload"], "last_assistant_message": answer,
                   "transcript_path": str(tmp_path / "none.jsonl")}  # fmt: skip
        env = {**stop["env"], "CLAUDE_CODE_SESSION_ATTENDED": "1"}
        from tts_core.protocol import HookEvent

        client.request(HookEvent(json.dumps(payload), env=env), paths=d.paths)
        d.wait_for(lambda s: s["counters"]["spoken"] == 1, timeout=90)
        reply = client.request(HistoryRequest(5), paths=d.paths)
        assert isinstance(reply, HistoryReply)
        (entry,) = reply.entries
        assert entry["spoken"] == [REFERENCE.translate(s) for s in sentences]
    finally:
        stop_daemon(d)
