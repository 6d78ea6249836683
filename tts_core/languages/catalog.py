"""One table of languages: what users write (``ja``, ``japanese``, ``jpn_Jpan``, ``ja-JP``) and
each stage's code for it (NLLB-200, gTTS, espeak-ng, macOS ``say`` voice). Pure.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from tts_core.errors import ClaudeTTSError
from tts_core.languages.table import NLLB


@dataclass(frozen=True)
class Language:
    """One language as every stage needs it: our short code, NLLB's code, the voices' codes."""

    code: str
    """Our canonical code: ISO 639-1 where there is one (``ja``), else a BCP 47 tag."""
    name: str
    """English name, lower case (``japanese``)."""
    nllb: str
    """NLLB-200 / FLORES-200 code (``jpn_Jpan``)."""
    gtts: str | None
    """gTTS language code, or None if Google TTS has no voice for it."""
    espeak: str | None
    """espeak-ng voice name, or None."""
    say_voice: str | None
    """A macOS ``say`` voice that ships with the system, or None."""
    native: str = ""
    """The language's own name for itself, accepted as input too."""


# fmt: off
LANGUAGES: tuple[Language, ...] = (
    Language("en", "english", "eng_Latn", "en", "en", "Samantha", "english"),
    Language("ja", "japanese", "jpn_Jpan", "ja", "ja", "Kyoko", "日本語"),
    Language("zh", "chinese", "zho_Hans", "zh-CN", "cmn", "Tingting", "中文"),
    Language("zh-TW", "traditional chinese", "zho_Hant", "zh-TW", "cmn", "Meijia", "繁體中文"),
    Language("ko", "korean", "kor_Hang", "ko", "ko", "Yuna", "한국어"),
    Language("fr", "french", "fra_Latn", "fr", "fr", "Thomas", "français"),
    Language("de", "german", "deu_Latn", "de", "de", "Anna", "deutsch"),
    Language("es", "spanish", "spa_Latn", "es", "es", "Monica", "español"),
    Language("it", "italian", "ita_Latn", "it", "it", "Alice", "italiano"),
    Language("pt", "portuguese", "por_Latn", "pt", "pt", "Luciana", "português"),
    Language("ru", "russian", "rus_Cyrl", "ru", "ru", "Milena", "русский"),
    Language("uk", "ukrainian", "ukr_Cyrl", "uk", "uk", "Lesya", "українська"),
    Language("pl", "polish", "pol_Latn", "pl", "pl", "Zosia", "polski"),
    Language("nl", "dutch", "nld_Latn", "nl", "nl", "Xander", "nederlands"),
    Language("sv", "swedish", "swe_Latn", "sv", "sv", "Alva", "svenska"),
    Language("da", "danish", "dan_Latn", "da", "da", "Sara", "dansk"),
    Language("nb", "norwegian", "nob_Latn", "no", "nb", "Nora", "norsk"),
    Language("fi", "finnish", "fin_Latn", "fi", "fi", "Satu", "suomi"),
    Language("cs", "czech", "ces_Latn", "cs", "cs", "Zuzana", "čeština"),
    Language("el", "greek", "ell_Grek", "el", "el", "Melina", "ελληνικά"),
    Language("tr", "turkish", "tur_Latn", "tr", "tr", "Yelda", "türkçe"),
    Language("ar", "arabic", "arb_Arab", "ar", "ar", "Maged", "العربية"),
    Language("he", "hebrew", "heb_Hebr", "iw", "he", "Carmit", "עברית"),
    Language("hi", "hindi", "hin_Deva", "hi", "hi", "Lekha", "हिन्दी"),
    Language("bn", "bengali", "ben_Beng", "bn", "bn", None, "বাংলা"),
    Language("th", "thai", "tha_Thai", "th", None, "Kanya", "ไทย"),
    Language("vi", "vietnamese", "vie_Latn", "vi", "vi", "Linh", "tiếng việt"),
    Language("id", "indonesian", "ind_Latn", "id", "id", "Damayanti", "bahasa indonesia"),
    Language("ms", "malay", "zsm_Latn", "ms", "ms", "Amira", "bahasa melayu"),
    Language("hu", "hungarian", "hun_Latn", "hu", "hu", "Mariska", "magyar"),
    Language("ro", "romanian", "ron_Latn", "ro", "ro", "Ioana", "română"),
)
# fmt: on

_CURATED = {lang.nllb for lang in LANGUAGES}
ALL: tuple[Language, ...] = LANGUAGES + tuple(
    Language(nllb, name, nllb, gtts, espeak, None)
    for nllb, name, gtts, espeak in NLLB
    if nllb not in _CURATED
)
"""The curated rows above, then every other NLLB-200 language (its code is its NLLB code;
name and voices from tts_core/languages/table.py)."""

_BY_KEY: dict[str, Language] = {}
for _lang in ALL:
    for _key in (_lang.code, _lang.name, _lang.nllb, _lang.native, _lang.gtts, _lang.espeak):
        if _key:
            _BY_KEY.setdefault(_key.lower().replace("_", "-"), _lang)


class UnknownLanguage(ClaudeTTSError):
    """A language name or code that is not in the table."""


def lookup(value: str) -> Language:
    """Find a language by code, name, NLLB code or locale (``ja_JP.UTF-8``).

    Raises:
        UnknownLanguage: with the closest known names in the message.
    """
    key = value.strip().lower().split(".")[0].replace("_", "-")
    for candidate in (key, key.split("-")[0]):
        if candidate in _BY_KEY:
            return _BY_KEY[candidate]
    close = difflib.get_close_matches(key, sorted(_BY_KEY), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownLanguage(f"unknown language {value!r}{hint}")


def known_names() -> list[str]:
    """Every spelling :func:`lookup` accepts, for suggestions."""
    return sorted(_BY_KEY)


def from_locale(locale: str) -> Language | None:
    """The language of a POSIX locale (``ja_JP.UTF-8`` -> Japanese); None for C/POSIX/unknown."""
    if not locale or locale.split(".")[0] in ("C", "POSIX"):
        return None
    try:
        return lookup(locale)
    except UnknownLanguage:
        return None


def resolve(value: str, environ: Mapping[str, str]) -> Language:
    """What a ``language`` setting means: a name or code as :func:`lookup` reads it; ``auto``
    the locale's language (LC_ALL, LC_MESSAGES, LANG), English if none. The one owner of this
    rule: the daemon, the CLI and install.sh all ask it."""
    if value != "auto":
        return lookup(value)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = from_locale(environ.get(var, ""))
        if found is not None:
            return found
    return lookup("en")
