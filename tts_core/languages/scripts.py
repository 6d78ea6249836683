"""The writing systems of NLLB's language codes (``jpn_Jpan`` -> ``Jpan``), as the Unicode
character-name prefixes of their letters. Pure data; the one table that masking ("is this
already in the target script?") and the limited output vocabulary ("which pieces can a
translation into this script write?") both read. Imports nothing of tts_core.
"""

from __future__ import annotations


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
