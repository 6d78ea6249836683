"""First-version speakable text: markup is not read aloud; CJK and English split into sentences."""

from __future__ import annotations

import pytest

from tts_core.textfilter import sentences

from .conftest import load_payload


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Title\n\nBody text.", ["Title", "Body text."]),
        ("Read [the docs](https://x.org/a) now.", ["Read the docs now."]),
        ("<thinking>hmm</thinking> Done. <b>Bold</b>", ["Done.", "Bold"]),
        ("```\nrm -rf /\n```\nAfter.", ["After."]),
        ("~~~sh\nunterminated fence", []),
        (
            "設定を更新しました。テストは全部通りました！次は？",
            ["設定を更新しました。", "テストは全部通りました！", "次は？"],
        ),
        ("Привет, мир. Ça va?", ["Привет, мир.", "Ça va?"]),
        ("---\n***\n", []),
    ],
)
def test_markup_and_scripts(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_length_cap_adds_a_notice() -> None:
    text = " ".join(f"Sentence {i} is here." for i in range(100))
    out = sentences(text, max_chars=60)
    assert out[-1] == "And more."
    assert sum(len(s) for s in out[:-1]) <= 60
