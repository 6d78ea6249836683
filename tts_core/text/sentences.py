"""Sentence splitting for English-like and CJK text, with a cap on sentence length. Pure.

Splits after ``. ! ?`` followed by a space and a word that can start a sentence, never inside
numbers or versions (``3.14``, ``v2.1.3``) or after common abbreviations (``e.g.``, ``Dr.``);
always after ``。！？``. A sentence longer than the cap is cut at clause boundaries (``, ; :``
``、`` dashes), then at spaces, because translation and TTS both degrade on long input.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc",
        "vs",
        "cf",
        "al",
        "approx",
        "dept",
        "est",
        "fig",
        "inc",
        "ltd",
        "co",
        "corp",
        "jr",
        "sr",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "no",
        "vol",
        "ch",
        "sec",
        "min",
        "max",
        "misc",
        "resp",
        "ca",
    ]
)
_END = re.compile(r"[.!?]+[\"')\]]*\s+|[。！？]+[」』）\"')]*\s*")
_CLAUSE = re.compile(r"(?<=[,;:、，；：])\s*|\s+(?=[-–—]\s)|(?<=\))\s+")


def _ends_with_abbreviation(text: str) -> bool:
    word = re.split(r"[\s(]", text.rstrip())[-1].rstrip(".").lower()
    return word in ABBREVIATIONS or bool(re.fullmatch(r"[a-z]", word))


def _can_start_sentence(rest: str) -> bool:
    if not rest:
        return False
    ch = rest[0]
    return not (ch.islower() or ch in ",;:)")


def split_sentences(text: str) -> list[str]:
    """Split one paragraph (no newlines needed) into sentences, stripped and non-empty."""
    out: list[str] = []
    start = 0
    for m in _END.finditer(text):
        piece = text[start : m.end()]
        is_cjk = any(c in "。！？" for c in m.group(0))
        if not is_cjk:
            if m.group(0)[0] == "." and _ends_with_abbreviation(text[start : m.start() + 1]):
                continue
            if not _can_start_sentence(text[m.end() :]) and m.end() < len(text):
                continue
        if piece.strip():
            out.append(piece.strip())
        start = m.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def cap_length(sentence: str, limit: int) -> list[str]:
    """Cut ``sentence`` into pieces of at most ``limit`` characters, at clauses if possible."""
    if len(sentence) <= limit:
        return [sentence]
    pieces: list[str] = []
    rest = sentence
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = _last_boundary(_CLAUSE, window, limit)
        if cut is None:
            space = window.rfind(" ", limit // 3)
            cut = space if space > 0 else limit
        head, rest = rest[:cut].strip(), rest[cut:].strip()
        if head:
            pieces.append(head)
    if rest:
        pieces.append(rest)
    return pieces


def _last_boundary(pattern: re.Pattern[str], window: str, limit: int) -> int | None:
    """The last clause boundary in the window, if it is not too close to the start."""
    cuts = [m.end() for m in pattern.finditer(window) if limit // 3 <= m.end() <= limit]
    return cuts[-1] if cuts else None
