"""Protecting what translation must not touch, and judging what translation gave back. Pure.

File names, versions, numbers, identifiers and glossary terms are swapped for placeholders
before translation and put back after (glossary terms as the user's own translation).
Placeholders are short upper-case tokens that NLLB copies through like acronyms.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from tts_core.languages.phrases import MARKER
from tts_core.languages.scripts import SCRIPTS, script_of

_CHUNK = re.compile(r"[\w./~-]+")
"""A run of word characters and the separators identifiers, paths and versions are made of:
the unit that is protected whole, so that no placeholder is glued to text (``bash-55`` stays
one span, not ``bash-`` and a number)."""
_FILE = re.compile(
    r"[\w-]+\.(?:py|js|ts|tsx|jsx|json|ya?ml|toml|md|txt|sh|rs|go|c|h|cpp|java|rb|lock|cfg|ini"
    r"|html|css|sql|csv|log|wav|mp3)$",
    re.ASCII,
)
_ACRONYM = re.compile(r"[A-Z]{2,}[A-Z0-9]*$", re.ASCII)  # HTTP, JSON, API


def _protected(chunk: str) -> bool:
    """A span translation must copy: it holds a digit (numbers, versions, ``bash-55``), ends in
    a file name, is a path (``/x``, ``~/x``, ``./x``, ``a/b/c``) or an acronym."""
    if any(ch.isdigit() for ch in chunk):
        return True
    if _FILE.search(chunk) or _ACRONYM.match(chunk):
        return not chunk.startswith("ZQ")  # our own placeholders, already swapped
    return chunk.startswith(("/", "~/", "./", "../")) or chunk.count("/") >= 2


_LOOP = re.compile(r"(.{2,24}?)\1{2,}|([^\W\d_])\2{3,}", re.S)
"""A stretch said three times in a row, or one letter four times: the classic ways a greedy
decoder goes wrong."""


def _placeholder(i: int) -> str:
    return "ZQ" + "".join(chr(ord("A") + int(d)) for d in str(i))  # ZQA, ZQB, ..., ZQBA


@dataclass(frozen=True)
class Masked:
    """A sentence with its protected parts swapped for placeholders, and what they stand for."""

    text: str
    """The sentence with placeholders."""
    originals: tuple[str, ...]
    """What each placeholder stands for after translation, in order."""


def mask(text: str, glossary: dict[str, str]) -> Masked:
    """Swap our inline-phrase markers, protected spans (whole: see :func:`_protected`), then
    glossary terms (whole words, any case, outside protected spans: ``daemon`` in ``daemon.py``
    stays) for placeholders. A marker comes back as it was: the voicing stage says it in the
    language the sentence ends up in."""
    originals: list[str] = []

    def swap(value: str) -> str:
        originals.append(value)
        return _placeholder(len(originals) - 1)

    text = MARKER.sub(lambda m: swap(m.group(0)), text)

    def protect(match: re.Match[str]) -> str:
        run = match.group(0)
        core = run.rstrip("./-")  # a sentence's final full stop is not part of a file name
        return swap(core) + run[len(core) :] if core and _protected(core) else run

    text = _CHUNK.sub(protect, text)
    for term in sorted(glossary, key=len, reverse=True):
        pattern = re.compile(rf"(?<![\w./-]){re.escape(term)}(?![\w/-]|\.\w)", re.IGNORECASE)
        text = pattern.sub(functools.partial(_swap_term, swap, glossary[term]), text)
    return Masked(text, tuple(originals))


def _swap_term(swap: Callable[[str], str], replacement: str, _match: re.Match[str]) -> str:
    return swap(replacement)


def unmask(translated: str, masked: Masked) -> str | None:
    """Put the originals back; None if the translation lost or doubled a placeholder."""
    out = translated
    for i, original in enumerate(masked.originals):
        token = _placeholder(i)
        pattern = re.compile(rf"{token}(?![A-J])", re.IGNORECASE)
        if len(pattern.findall(out)) != 1:
            return None
        out = pattern.sub(original.replace("\\", "\\\\"), out)
    return out


def in_script(text: str, nllb_code: str, threshold: float = 0.5) -> bool:
    """True if most letters of ``text`` are in the script of ``nllb_code`` (jpn_Jpan...).

    Latin-script targets return False: English source and, say, French target share a script.
    """
    prefixes = SCRIPTS.get(script_of(nllb_code))
    if not prefixes:
        return False
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    hits = sum(1 for ch in letters if unicodedata.name(ch, "").startswith(prefixes))
    return hits / len(letters) >= threshold


def degenerate(source: str, translated: str) -> str | None:
    """Why ``translated`` should not be spoken (None if it looks sane)."""
    if not translated.strip():
        return "empty translation"
    ratio = len(translated) / max(1, len(source))
    if ratio > 4.0 or (len(source) > 20 and ratio < 0.1):
        return f"length ratio {ratio:.2f}"
    if _LOOP.search(translated):
        return "repetition"
    return None
