"""The output-vocabulary restriction: which pieces each target may write (pure), the smaller
output layer for transformers, and CTranslate2's vocabulary map, on the tiny NLLB."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tts_core.translate.backends.ct2_backend import CTranslate2Backend
from tts_core.translate.backends.transformers_backend import TransformersBackend
from tts_core.translate.backends.vocabulary import (
    WORD,
    copy_pieces,
    target_pieces,
    vmap_text,
    writable,
)

from .conftest import FIXTURES

VOCAB = {
    p: i
    for i, p in enumerate(
        ["<s>", "<pad>", "</s>", "<unk>", "▁hello", "world", "。", "▁テスト", "合格",
         "しました", "々", "▁при", "вет", "▁café", "a", "▁Z", "ab", ",", "▁123", "jpn_Jpan",
         "▁Python", "Python"]
    )
}  # fmt: skip
SPECIAL = [0, 1, 2, 3, 19]


def names(ids: list[int] | set[int] | None) -> set[str]:
    back = {i: p for p, i in VOCAB.items()}
    return {back[i] for i in ids or ()}


def test_each_script_keeps_its_letters_digits_punctuation_and_spelling() -> None:
    common = {"。", ",", "▁123", "a", "▁Z"} | names(SPECIAL)
    assert names(target_pieces(VOCAB, "jpn_Jpan", SPECIAL)) == common | {
        "▁テスト", "合格", "しました", "々",
    }  # fmt: skip
    assert names(target_pieces(VOCAB, "rus_Cyrl", SPECIAL)) == common | {"▁при", "вет"}
    latin = {"▁hello", "world", "▁café", "ab", "▁Python", "Python"}
    assert names(target_pieces(VOCAB, "fra_Latn", SPECIAL)) == common | latin
    assert target_pieces(VOCAB, "xxx_Zzzz", SPECIAL) is None  # no table: no restriction


def test_writable_judges_letters_only() -> None:
    jpan = ("CJK", "HIRAGANA", "KATAKANA", "IDEOGRAPHIC")
    assert writable("▁人々が「テスト」を、2回", jpan)
    assert not writable("テストfoo", jpan)


def test_the_source_pieces_may_be_copied_with_or_without_the_word_mark() -> None:
    assert names(copy_pieces(VOCAB, ["▁Python", "▁nothing"])) == {"▁Python", "Python"}
    assert names(copy_pieces(VOCAB, ["Python"])) == {"▁Python", "Python"}


def test_the_vocabulary_map_reads_back_as_ctranslate2_parses_it() -> None:
    allowed = target_pieces(VOCAB, "jpn_Jpan", SPECIAL)
    assert allowed is not None
    lines = vmap_text(VOCAB, allowed).splitlines()
    key, _, values = lines[0].partition("\t")
    assert key == "" and set(values.split(" ")) == names(allowed)
    rules = dict(line.split("\t") for line in lines[1:])
    assert rules["▁Python"].split(" ") == ["▁Python", "Python"]
    assert rules["▁hello"] == "▁hello" and "合格" not in rules  # always allowed: no rule needed
    assert all(WORD + " " not in line for line in lines)


SENTENCES = ["All tests passed.", "I ran the command and it printed hi."]


RETRIED = "<done again with the whole vocabulary>"


def outputs(backend: TransformersBackend | CTranslate2Backend, tgt: str) -> list[list[str]]:
    """Each sentence's pieces; for CTranslate2 with its map, None in place of a sentence that
    was done again with the whole vocabulary (the model did not write the language code)."""
    if isinstance(backend, CTranslate2Backend):
        rows: list[list[str]] = []
        for sentence in SENTENCES:
            retries = backend.full_vocabulary_retries
            (h,) = backend.hypotheses([sentence], "eng_Latn", tgt, 20)
            kept = backend.full_vocabulary_retries == retries
            rows.append(list(h[1:]) if kept else [RETRIED])
        return rows
    ids = backend.generate(SENTENCES, "eng_Latn", tgt, 20)
    return [backend.tokenizer.convert_ids_to_tokens(row[2:]) for row in ids.tolist()]


@pytest.mark.parametrize("kind", ["transformers", "torch-int8", "ctranslate2"])
def test_a_limited_model_writes_only_allowed_pieces(tmp_path: Path, kind: str) -> None:
    # The trained toy model: it writes the language code itself, as NLLB does, so CTranslate2
    # keeps its limited decoding (a random model's would be done again with every piece).
    model = str(FIXTURES / "toy-nllb")

    def make(limit: bool) -> TransformersBackend | CTranslate2Backend:
        if kind == "ctranslate2":
            return CTranslate2Backend(model, "cpu", "int8", tmp_path, limit)
        dtype = "int8" if kind == "torch-int8" else "float32"
        return TransformersBackend(model, "cpu", dtype, tmp_path, limit)

    free, limited = make(False), make(True)
    tok = free.tokenizer
    vocab = tok.get_vocab()
    sources = [tok.convert_ids_to_tokens(tok(s).input_ids) for s in SENTENCES]
    strayed, checked = [], 0
    for tgt in ("jpn_Jpan", "fra_Latn"):
        allowed = names_of(vocab, target_pieces(vocab, tgt, tok.all_special_ids))
        unrestricted = outputs(free, tgt)
        strayed.append(any(p not in allowed for row in unrestricted for p in row))
        restricted = outputs(limited, tgt)
        for row, source in zip(restricted, sources, strict=True):
            if row == [RETRIED]:
                continue
            checked += 1
            copyable = names_of(vocab, copy_pieces(vocab, source))
            assert row and all(p in allowed or p in copyable for p in row), (tgt, row)
    # The random model writes other scripts' pieces when it may: the check above can fail.
    assert any(strayed) and checked >= len(SENTENCES)


def names_of(vocab: dict[str, int], ids: list[int] | set[int] | None) -> set[str]:
    back = {i: p for p, i in vocab.items()}
    return {back[i] for i in ids or ()}


def test_the_limited_layer_scores_its_rows_as_the_full_one(
    tiny_model: Path, tmp_path: Path
) -> None:
    import torch

    backend = TransformersBackend(str(tiny_model), "cpu", "float32", tmp_path)
    head = backend.head
    assert head is not None
    ids = target_pieces(backend.vocab, "jpn_Jpan", backend.tokenizer.all_special_ids)
    assert ids is not None
    hidden = torch.randn(2, 3, backend.model.config.d_model)
    head.prepare("Jpan", ids)
    piece = next(  # a Latin word piece: only copying can make it writable
        i for p, i in backend.vocab.items() if i not in ids and len(p.strip("▁")) > 2
        and p.strip("▁").isascii() and p.strip("▁").isalpha()
    )  # fmt: skip
    head.limit("Jpan", [{piece}, {piece}])
    limited = head(hidden)
    head.limit(None)
    full = head(hidden)
    keep = torch.tensor(sorted({*ids, piece}))
    assert torch.allclose(limited[..., keep], full[..., keep], atol=1e-5)
    others = torch.ones(full.shape[-1], dtype=torch.bool)
    others[keep] = False
    assert others.any() and torch.isinf(limited[..., others]).all()
    # Each row only its own source's pieces: row 1 cannot copy what row 0 may.
    head.limit("Jpan", [{piece}, set()])
    per_row = head(hidden)
    assert torch.allclose(per_row[0][..., keep], full[0][..., keep], atol=1e-5)
    assert torch.isinf(per_row[1][..., piece]).all()
    assert torch.allclose(per_row[1][..., ids], full[1][..., ids], atol=1e-5)


def test_ctranslate2_stops_mid_batch_when_told(tiny_model: Path, tmp_path: Path) -> None:
    backend = CTranslate2Backend(str(tiny_model), "cpu", "int8", tmp_path)
    stop = threading.Event()
    assert [len(h) for h in backend.hypotheses(SENTENCES, "eng_Latn", "jpn_Jpan", 40, stop)] == [
        41, 41,
    ]  # fmt: skip
    stop.set()
    stopped = backend.hypotheses(SENTENCES, "eng_Latn", "jpn_Jpan", 40, stop)
    assert all(len(h) <= 2 for h in stopped), stopped  # the language token, at most one more


def test_every_nllb_script_has_letters_in_the_table() -> None:
    import unicodedata

    from tts_core.languages.scripts import OUTPUT_SCRIPTS
    from tts_core.languages.table import NLLB

    scripts = {code.rpartition("_")[2] for code, *_ in NLLB}
    assert scripts <= set(OUTPUT_SCRIPTS)  # every language gets a limited vocabulary
    names = [unicodedata.name(chr(c), "") for c in range(0x20000) if chr(c).isalpha()]
    for script, prefixes in OUTPUT_SCRIPTS.items():
        for prefix in prefixes:  # a misspelt prefix would match no letter at all
            assert any(n.startswith(prefix) for n in names), (script, prefix)
