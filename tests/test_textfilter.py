"""Speakable text: a corpus of realistic assistant messages with whole expected outputs, and
property tests that hold for any input."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tts_core.config.schema import FilterOptions
from tts_core.text.sentences import cap_length, split_sentences
from tts_core.text.speakable import sentences, speakable
from tts_core.text.spoken_words import entropy, hide_secrets, split_identifier

from .conftest import FIXTURES, load_payload

CORPUS: list[dict[str, Any]] = json.loads((FIXTURES / "speakable" / "corpus.json").read_text())


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40
    assert len({c["name"] for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_corpus(case: dict[str, Any]) -> None:
    options = replace(FilterOptions(), **case["options"])
    assert sentences(case["input"], options, case["lang"]) == case["expected"]


def test_the_real_stop_message() -> None:
    payload, _ = load_payload("Stop.json")
    assert sentences(payload["last_assistant_message"]) == [
        "Hello!",
        "Here is a short answer with some markdown in it.",
        "The first real sentence is here.",
        "A second sentence follows it.",
        "See a link to example.com for more.",
        "first bullet item",
        "second bullet with inline code",
        "third bullet",
        "That is all for now.",
    ]


def test_announcements_are_marked() -> None:
    out = speakable("Look:\n\n```\nx\n```\n", FilterOptions(code_blocks="announce"))
    assert [(s.text, s.announcement) for s in out] == [("Look:", False), ("Code block.", True)]


def test_unknown_language_announces_in_english() -> None:
    assert sentences("```\nx\n```", FilterOptions(code_blocks="announce"), "tlh") == ["Code block."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("See e.g. this and i.e. that. Next one.", ["See e.g. this and i.e. that.", "Next one."]),
        ("Dr. Who met Mr. Smith. Then left.", ["Dr. Who met Mr. Smith.", "Then left."]),
        ("Pi is 3.14 and v2.1.3 shipped.", ["Pi is 3.14 and v2.1.3 shipped."]),
        ("終わり。次！本当？", ["終わり。", "次！", "本当？"]),
        ("「はい。」と言った。", ["「はい。」", "と言った。"]),
        ('Ends with a quote." Next.', ['Ends with a quote."', "Next."]),
    ],
)
def test_sentence_splitting(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_long_sentences_are_cut_at_clauses() -> None:
    text = ", ".join(f"clause number {i}" for i in range(40)) + "."
    pieces = cap_length(text, 100)
    assert all(len(p) <= 100 for p in pieces)
    assert all(p.endswith(",") for p in pieces[:-1])
    assert " ".join(pieces) == text


def test_a_sentence_without_spaces_is_cut_hard() -> None:
    pieces = cap_length("あ" * 450, 200)
    assert [len(p) for p in pieces] == [200, 200, 50]


@pytest.mark.parametrize(
    ("word", "spoken"),
    [
        ("snake_case_name", "snake case name"),
        ("CamelCase", "Camel Case"),
        ("HTTPServerError", "HTTP Server Error"),
        ("--dry-run", "dry run"),
        ("parseJSON2Html", "parse JSON2 Html"),
    ],
)
def test_identifiers(word: str, spoken: str) -> None:
    assert split_identifier(word) == spoken


@pytest.mark.parametrize(
    "text",
    [
        "the_long_identifier_name_of_a_function",
        "TurnTrackerDisplayBlockPrefix",
        "internationalization_localization",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ],
)
def test_ordinary_long_words_are_not_secrets(text: str) -> None:
    assert hide_secrets(text) == text


def test_entropy() -> None:
    assert entropy("aaaa") == 0.0
    assert entropy("abcd") == 2.0


# ---- properties -------------------------------------------------------------------------------

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF, categories=["Lo"]) | (
    st.characters(min_codepoint=0x3041, max_codepoint=0x30FF, categories=["Lo", "Lm"])
)
WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=8)
MARKUP = st.sampled_from(
    ["**", "*", "_", "`", "``", "[", "](", ")", "(", "#", "# ", "- ", "> ", "|", "---", "\n",
     "\n\n", "```", "```py\n", "~~", "<", ">", "</b>", "<thinking>", "http://", "https://",
     "www.", "/", "~/", ":", ".", "。", "！", " ", "  \n", "\\", "&amp;", "🎉", "│", "→"]
)  # fmt: skip
ANY_TEXT = st.lists(WORD | MARKUP | CJK | st.characters(), max_size=60).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT, st.sampled_from(["skip", "announce", "read_short"]))
def test_never_raises_and_never_leaks_markup(text: str, code: str) -> None:
    out = sentences(text, FilterOptions(code_blocks=code))  # type: ignore[arg-type]
    for s in out:
        assert s.strip() and s == s.strip()
        for bad in ("`", "**", "](", "http://", "https://"):
            assert bad not in s, (bad, s)


FENCED = st.tuples(
    st.lists(WORD, min_size=1, max_size=6).map(" ".join),
    st.lists(
        # An alphabet the prose never uses, so a hit can only come from the code.
        st.text(st.sampled_from("QWXZ0123_=(){} "), min_size=8, max_size=30),
        min_size=1,
        max_size=4,
    ),
)


@settings(max_examples=200, deadline=None)
@given(FENCED)
def test_fenced_code_is_never_spoken(parts: tuple[str, list[str]]) -> None:
    prose, code_lines = parts
    text = f"{prose}.\n\n```\n" + "\n".join(code_lines) + "\n```\n\nEnd."
    spoken = " ".join(sentences(text))
    for line in code_lines:
        if line.strip():
            assert line.strip() not in spoken


PROSE_PIECE = (
    st.lists(CJK, min_size=1, max_size=10).map("".join)
    | st.sampled_from(["。", "、", "！", "？", " ", "**", "*", "## ", "- ", "> ", "\n", "\n\n"])
    | WORD
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PROSE_PIECE, min_size=1, max_size=40).map("".join))
def test_cjk_in_prose_is_never_dropped(text: str) -> None:
    options = FilterOptions(max_chars=10**6, max_sentences=10**6)
    spoken = "".join(sentences(text, options))
    wanted = re.findall(r"[\u3041-\u30ff\u4e00-\u9fff]", text)
    got = re.findall(r"[\u3041-\u30ff\u4e00-\u9fff]", spoken)
    assert sorted(got) == sorted(wanted)


@pytest.mark.parametrize(
    ("lang", "one", "three"),
    [
        ("en", "A table with one row.", "A table with 3 rows."),
        ("ja", "1行の表。", "3行の表。"),
        ("es", "Una tabla con una fila.", "Una tabla con 3 filas."),
        ("fr", "Un tableau d'une ligne.", "Un tableau de 3 lignes."),
        ("de", "Eine Tabelle mit einer Zeile.", "Eine Tabelle mit 3 Zeilen."),
    ],
)
def test_a_table_summary_agrees_with_its_number(lang: str, one: str, three: str) -> None:
    table = "| a |\n|---|\n" + "".join(f"| {n} |\n" for n in range(1, 4))
    assert [s.text for s in speakable("| a |\n|---|\n| 1 |\n", lang=lang)] == [one]
    assert [s.text for s in speakable(table, lang=lang)] == [three]


def test_task_list_boxes_are_said_as_to_do_and_done() -> None:
    text = "- [ ] write the tests\n- [x] fix the bug\n1. [X] ship it\n"
    assert [s.text for s in speakable(text)] == [
        "To do: write the tests", "Done: fix the bug", "Done: ship it",
    ]  # fmt: skip
    assert next(s.text for s in speakable(text, lang="ja")) == "未完了、write the tests"


def test_symbol_heavy_inline_code_is_a_pattern_or_nothing() -> None:
    text = r"Match lines with `^\s*(\d+)\.(\w+)$` in `config.yaml`."
    assert [s.text for s in speakable(text)] == ["Match lines with a pattern in config.yaml."]
    skip = FilterOptions(symbols="skip")
    assert [s.text for s in speakable(text, skip)] == ["Match lines with in config.yaml."]
    # Code that is mostly words is still read.
    assert [s.text for s in speakable("Call `parse_payload` with `HTTPServer` first.")] == [
        "Call parse payload with HTTP Server first."
    ]
