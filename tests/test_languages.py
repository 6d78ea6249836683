"""The language table: every NLLB-200 language can be asked for, by code, name or NLLB code,
and maps to the voices that speak it; the curated rows win."""

from __future__ import annotations

import pytest

from tts_core.languages.catalog import ALL, UnknownLanguage, lookup
from tts_core.languages.table import NLLB


def test_the_table_holds_exactly_the_codes_nllb_knows() -> None:
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    assert [code for code, *_ in NLLB] == list(FAIRSEQ_LANGUAGE_CODES)
    assert {lang.nllb for lang in ALL} == set(FAIRSEQ_LANGUAGE_CODES)


@pytest.mark.parametrize(
    ("asked", "nllb", "gtts", "espeak"),
    [
        ("ja", "jpn_Jpan", "ja", "ja"),  # curated: its own code, macOS voice...
        ("jpn_Jpan", "jpn_Jpan", "ja", "ja"),
        ("amharic", "amh_Ethi", "am", "am"),  # generated rows
        ("amh_Ethi", "amh_Ethi", "am", "am"),
        ("am", "amh_Ethi", "am", "am"),
        ("swahili", "swh_Latn", "sw", "sw"),
        ("fa", "pes_Arab", None, "fa"),  # espeak-ng speaks Persian, gTTS does not
        ("zul_Latn", "zul_Latn", None, None),  # translated, but no voice here: a clear error
    ],
)
def test_any_nllb_language_can_be_asked_for(
    asked: str, nllb: str, gtts: str | None, espeak: str | None
) -> None:
    lang = lookup(asked)
    assert (lang.nllb, lang.gtts, lang.espeak) == (nllb, gtts, espeak)


def test_curated_rows_win_over_generated_ones() -> None:
    assert lookup("japanese").say_voice == "Kyoko" and lookup("jpn_Jpan").code == "ja"
    assert sum(1 for lang in ALL if lang.nllb == "jpn_Jpan") == 1


def test_an_unknown_language_names_close_ones() -> None:
    with pytest.raises(
        UnknownLanguage, match=r"unknown language 'amharik'; did you mean 'amharic'"
    ):
        lookup("amharik")


@pytest.mark.parametrize(
    ("text", "intended", "expected"),
    [
        ("The build passed.", "jpn_Jpan", "eng_Latn"),  # left untranslated: an English voice
        ("ビルドが通りました。", "eng_Latn", "jpn_Jpan"),  # Claude wrote Japanese
        ("漢字だけの文。", "eng_Latn", "jpn_Jpan"),  # kana decides: Japanese, not Chinese
        ("中文句子", "eng_Latn", "zho_Hans"),
        ("中文句子", "jpn_Jpan", "jpn_Jpan"),  # Han in a Japanese setting stays Japanese
        ("main.py を開きました。", "jpn_Jpan", "jpn_Jpan"),  # a file name does not make it English
        ("I edited config.yaml for 東京.", "jpn_Jpan", "eng_Latn"),
        ("안녕하세요", "eng_Latn", "kor_Hang"),
        ("Привет", "eng_Latn", "rus_Cyrl"),
        ("Привіт", "ukr_Cyrl", "ukr_Cyrl"),
        ("Bonjour tout le monde.", "fra_Latn", "fra_Latn"),  # Latin in a Latin setting: as set
        ("42 / 7", "jpn_Jpan", "jpn_Jpan"),  # no letters: as set
    ],
)
def test_the_language_a_sentence_is_spoken_in_follows_its_script(
    text: str, intended: str, expected: str
) -> None:
    from tts_core.languages.scripts import spoken_in

    assert spoken_in(text, intended, "eng_Latn") == expected
