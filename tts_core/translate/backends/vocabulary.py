"""Which output pieces a translation into a given language may use. Pure.

NLLB-200 has one 256k-piece vocabulary for 202 languages; its output layer is about half of the
weights read for every generated token (60% in CTranslate2's case). A Japanese translation
only ever writes Japanese-script pieces, digits, punctuation and the pieces it copies from the
English source (names, placeholders), so computing the scores of the other ~200k rows is wasted
work: restricting the output layer to the pieces of the target's script roughly halves the
time per token on a CPU. Both backends use this module: transformers through a smaller output
layer (``head.LimitedHead``), CTranslate2 through its vocabulary map (``vmap.txt``).

Scripts come from NLLB's codes (``jpn_Jpan`` -> ``Jpan``); a script missing from the table
gets no restriction (the whole vocabulary, as before).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping

from tts_core.languages.scripts import OUTPUT_SCRIPTS, script_of

VERSION = 1
"""Bumped when the choice of pieces changes, so files made from it are made again."""
WORD = "\u2581"
"""SentencePiece's word-start mark."""


@functools.lru_cache(maxsize=65536)
def _letter_in(ch: str, prefixes: tuple[str, ...]) -> bool:
    if not unicodedata.category(ch).startswith("L"):
        return True  # digits, punctuation, symbols and marks are every script's
    return unicodedata.name(ch, "").startswith(prefixes)


def writable(piece: str, prefixes: tuple[str, ...]) -> bool:
    """True if every letter of ``piece`` belongs to the script."""
    return all(_letter_in(ch, prefixes) for ch in piece.replace(WORD, ""))


def _spelling(piece: str) -> bool:
    """Single ASCII letters (with or without the word mark): whatever else is lost, any Latin
    name can still be spelled out."""
    bare = piece.removeprefix(WORD)
    return len(bare) == 1 and bare.isascii() and bare.isalpha()


def target_pieces(
    vocab: Mapping[str, int], nllb_code: str, special: Iterable[int] = ()
) -> list[int] | None:
    """Sorted ids of the pieces a translation into ``nllb_code`` may write, or None when its
    script is not in the table (no restriction).

    ``special`` are ids that must stay writable whatever they look like (end of sentence, the
    language codes)."""
    prefixes = OUTPUT_SCRIPTS.get(script_of(nllb_code))
    if prefixes is None:
        return None
    keep = set(special)
    keep.update(i for p, i in vocab.items() if writable(p, prefixes) or _spelling(p))
    return sorted(keep)


def copy_pieces(vocab: Mapping[str, int], source_pieces: Iterable[str]) -> set[int]:
    """Ids the translation may copy from its source: each piece as it is and with or without
    the word mark (a name after a Japanese word loses its leading space)."""
    out: set[int] = set()
    for piece in source_pieces:
        bare = piece.removeprefix(WORD)
        for variant in (piece, bare, WORD + bare):
            if variant in vocab:
                out.add(vocab[variant])
    return out


def vmap_text(vocab: Mapping[str, int], allowed: Iterable[int]) -> str:
    """A CTranslate2 vocabulary map: the first line (empty key) lists the pieces always allowed;
    every other piece maps to itself and its word-mark variant, so the source's own pieces can
    be copied through."""
    names = {i: p for p, i in vocab.items()}
    fixed = set(allowed)
    lines = ["\t" + " ".join(names[i] for i in sorted(fixed) if _plain(names.get(i, " ")))]
    for piece, i in sorted(vocab.items(), key=lambda kv: kv[1]):
        if i in fixed or not _plain(piece):
            continue
        variants = sorted(copy_pieces(vocab, [piece]))
        lines.append(piece + "\t" + " ".join(names[v] for v in variants))
    return "\n".join(lines) + "\n"


def _plain(piece: str) -> bool:
    """CTranslate2's map format splits on spaces and tabs: such pieces cannot be written."""
    return bool(piece) and not any(ch.isspace() for ch in piece)
