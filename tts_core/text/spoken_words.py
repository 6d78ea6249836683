"""How the pieces of a sentence are said: secrets, URLs, paths, identifiers, symbols. Pure.

Each function takes text that is already known to be prose (or the inside of an inline code
span) and returns what a person would read aloud. Patterns are ASCII-only on purpose, so that
Japanese, Chinese, Korean, Cyrillic and accented text around them is never eaten.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# The secrets themselves are credentials' business; SECRET and entropy are said here too.
from tts_core.text.credentials import SECRET as SECRET
from tts_core.text.credentials import entropy as entropy
from tts_core.text.credentials import hide_credentials, hide_in_message, hide_random

ID = "\ue000id\ue001"
"""Placeholder for a UUID or a long hash: not secret, but noise when read out."""

_ID_LIKE = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
    r"|\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{16,}\b",
    re.ASCII,
)
_URL = re.compile(r"\b(?:https?|ftp|wss?)://[^\s<>()\[\]`\"']+", re.ASCII)
_WWW = re.compile(r"\bwww\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+[^\s<>()\[\]`\"']*", re.ASCII)
_LINE_REF = re.compile(
    r"(?<![\w/.~-])((?:[\w.-]+/|~/|/)*)([\w-]+(?:\.[\w-]+)*\.[A-Za-z0-9]{1,8})"
    r"(?::(\d+)(?:[:-]\d+)?|#L(\d+)(?:-L?\d+)?)(?![\w/])",
    re.ASCII,
)
_PATH = re.compile(
    r"(?<![\w/.:])(?:~|\.{1,2})?(?:/[\w.@+-]+)+/?(?![\w/])"  # /abs, ~/x, ./x, ../x
    # rel/dir/file.ext; the lookbehind refuses every start inside a run (100 kB of "@" is
    # otherwise 10^10 steps)
    r"|(?<![\w/.:@+-])(?:[\w.@+-]+/)+[\w@+-]+\.[A-Za-z0-9]{1,8}(?![\w/])"
    r"|\b[A-Za-z]:\\(?:[\w .-]+\\)*[\w .-]+",  # C:\dir\file
    re.ASCII,
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DROPPED_CHARS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}  # ZWJ, variation selectors, keycap


def hide_private_keys(text: str) -> str:
    """The pass over the raw message: private key blocks and every other secret that markdown
    could cut in two (see :func:`credentials.hide_in_message`)."""
    return hide_in_message(text)


def hide_secrets(text: str) -> str:
    """Replace credentials and long random strings with :data:`SECRET`, hashes with :data:`ID`."""
    return hide_random(_ID_LIKE.sub(ID, hide_credentials(text)))


def _host(url: str) -> str:
    try:
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def replace_urls(text: str, link_phrase: str | None) -> str:
    """Bare URLs become ``link_phrase`` with ``{host}`` filled in, or vanish if it is None."""

    def say(match: re.Match[str]) -> str:
        url = match.group(0)
        trail = url[len(url.rstrip(".,;:!?")) :]  # sentence punctuation after a URL is ours
        host = _host(url[: len(url) - len(trail)])
        return (link_phrase.format(host=host) if link_phrase and host else "") + trail

    return _WWW.sub(say, _URL.sub(say, text))


def url_host(url: str) -> str:
    return _host(url)


def natural_paths(text: str, line_phrase: str) -> str:
    """``src/app/main.py:42`` -> ``main.py line 42``; ``/usr/local/bin/python3`` -> ``python3``."""

    def line_ref(m: re.Match[str]) -> str:
        return f"{m.group(2)} {line_phrase.format(line=m.group(3) or m.group(4))}"

    text = _LINE_REF.sub(line_ref, text)

    def path(m: re.Match[str]) -> str:
        parts = [p for p in re.split(r"[/\\]", m.group(0)) if p and p not in (".", "..", "~")]
        return parts[-1] if parts else ""

    return _PATH.sub(path, text)


def split_identifier(word: str) -> str:
    """``snake_case_name`` -> ``snake case name``; ``HTTPServerError`` -> ``HTTP Server Error``."""
    if word.startswith("-"):
        word = word.lstrip("-")  # command-line flags: --dry-run -> dry run
    parts = re.split(r"[_]+|(?<=\w)-(?=\w)", word)
    return " ".join(p for part in parts for p in _CAMEL.split(part) if p)


def speak_code(code: str, line_phrase: str, spell_dots: bool = False) -> str:
    """What to say for an inline code span: its words, without the punctuation noise."""
    code = hide_secrets(code.strip())  # first: a path or a URL must not carry a secret off
    if re.fullmatch(r"[~.]?/?(?:[^\s/]+/)+[^\s/:]+", code):
        code = code.rsplit("/", 1)[-1]  # a path of any script: its file name
    code = natural_paths(code, line_phrase)
    words = []
    for raw in code.replace("=", " ").split():
        if re.fullmatch(r"-[A-Za-z]", raw):
            continue  # single-letter flags (-m, -v) are noise when heard
        token = raw.strip("`'\"()[]{}<>,;:!?*&|$#=")
        token = token.removesuffix("()")
        if not token or not any(c.isalnum() for c in token):
            continue
        if "." in token and spell_dots:
            token = " dot ".join(p for p in token.split(".") if p)
        words.append(split_identifier(token) if re.search(r"[_A-Z-]", token) else token)
    return " ".join(words)


def _is_arrow(code: int) -> bool:
    return 0x2190 <= code <= 0x21FF or 0x27F0 <= code <= 0x27FF or 0x2900 <= code <= 0x297F


def drop_symbols(text: str) -> str:
    """Remove emoji, pictographs, box drawing and arrows; keep letters of every script."""
    out = []
    for ch in text:
        if ch in _DROPPED_CHARS:
            continue
        cat = unicodedata.category(ch)
        if cat in ("So", "Cs", "Co", "Cn") or (cat == "Sm" and _is_arrow(ord(ch))):
            out.append(" ")
            continue
        out.append(ch)
    return "".join(out)
