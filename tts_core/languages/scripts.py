"""The writing systems of NLLB's language codes (``jpn_Jpan`` -> ``Jpan``), as the Unicode
character-name prefixes of their letters. Pure data; the one table that masking ("is this
already in the target script?") and the limited output vocabulary ("which pieces can a
translation into this script write?") both read. Imports nothing of tts_core.
"""

from __future__ import annotations

import unicodedata
from collections import Counter


def script_of(nllb_code: str) -> str:
    """``jpn_Jpan`` -> ``Jpan``."""
    return nllb_code.rpartition("_")[2]


SCRIPTS: dict[str, tuple[str, ...]] = {
    "Jpan": ("CJK", "HIRAGANA", "KATAKANA", "IDEOGRAPHIC"),
    "Hans": ("CJK", "IDEOGRAPHIC"),
    "Hant": ("CJK", "IDEOGRAPHIC"),
    "Hang": ("HANGUL",),
    "Cyrl": ("CYRILLIC",),
    "Arab": ("ARABIC",),
    "Grek": ("GREEK",),
    "Hebr": ("HEBREW",),
    "Deva": ("DEVANAGARI",),
    "Beng": ("BENGALI",),
    "Thai": ("THAI",),
    "Ethi": ("ETHIOPIC",),
    "Tibt": ("TIBETAN",),
    "Mymr": ("MYANMAR",),
    "Tfng": ("TIFINAGH",),
    "Gujr": ("GUJARATI",),
    "Armn": ("ARMENIAN",),
    "Knda": ("KANNADA",),
    "Geor": ("GEORGIAN",),
    "Khmr": ("KHMER",),
    "Laoo": ("LAO",),
    "Mlym": ("MALAYALAM",),
    "Orya": ("ORIYA",),
    "Guru": ("GURMUKHI",),
    "Sinh": ("SINHALA",),
    "Taml": ("TAMIL",),
    "Telu": ("TELUGU",),
}
"""Non-Latin scripts: text mostly in one of these is not English. Latin is left out on purpose,
so that English source is never mistaken for, say, French."""

OUTPUT_SCRIPTS: dict[str, tuple[str, ...]] = {**SCRIPTS, "Latn": ("LATIN",)}
"""The letters each script writes, Latin included (a French translation writes Latin)."""


_KANA = ("HIRAGANA", "KATAKANA")
WRITTEN_BY: dict[str, str] = {
    "Hang": "kor_Hang", "Cyrl": "rus_Cyrl", "Arab": "arb_Arab", "Grek": "ell_Grek",
    "Hebr": "heb_Hebr", "Deva": "hin_Deva", "Beng": "ben_Beng", "Thai": "tha_Thai",
    "Ethi": "amh_Ethi", "Geor": "kat_Geor", "Armn": "hye_Armn", "Khmr": "khm_Khmr",
    "Laoo": "lao_Laoo", "Mymr": "mya_Mymr", "Taml": "tam_Taml", "Telu": "tel_Telu",
    "Knda": "kan_Knda", "Mlym": "mal_Mlym", "Gujr": "guj_Gujr", "Guru": "pan_Guru",
    "Sinh": "sin_Sinh", "Orya": "ory_Orya", "Tibt": "bod_Tibt",
}  # fmt: skip
"""The language a script most likely means when it is not the expected language's."""


def letter_script(ch: str) -> str | None:
    """``Latn``, ``Jpan`` (kana), ``Hani`` (Han characters, any CJK language), one of
    :data:`SCRIPTS`, or None for what is not a letter or in no known script."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    if name.startswith(_KANA):
        return "Jpan"
    if name.startswith(("CJK", "IDEOGRAPHIC")):
        return "Hani"
    if name.startswith("LATIN"):
        return "Latn"
    for script, prefixes in SCRIPTS.items():
        if script not in ("Jpan", "Hans", "Hant") and name.startswith(prefixes):
            return script
    return None


def spoken_in(text: str, intended: str, source: str) -> str:
    """The NLLB code of the language ``text`` is most likely in, for choosing its voice.

    ``intended`` is the language it should be in (the configured one), ``source`` the one
    Claude writes (untranslated text is in it). Text in the intended language's script stays
    there; otherwise its script decides: Latin is the source language, kana Japanese, Han
    Chinese (Japanese when kana appear), and the other scripts their main language."""
    counts = Counter(s for s in map(letter_script, text) if s is not None)
    if not counts:
        return intended
    script = script_of(intended)
    own = {"Jpan": ("Jpan", "Hani"), "Hans": ("Hani",), "Hant": ("Hani",)}.get(script, (script,))
    if script != "Latn" and sum(counts[s] for s in own) >= 0.3 * sum(counts.values()):
        return intended  # the expected script, with a few Latin names or file names in it
    if counts["Jpan"] and script != "Jpan":
        return "jpn_Jpan"  # kana: only Japanese writes them
    dominant = counts.most_common(1)[0][0]
    if dominant == "Hani":
        return intended if script in ("Jpan", "Hans", "Hant") else "zho_Hans"
    if dominant in (script, "Jpan"):
        return intended
    if dominant == "Latn":
        return intended if script == "Latn" else source
    return WRITTEN_BY.get(dominant, intended)
