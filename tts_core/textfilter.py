"""Markdown to speakable sentences. Pure logic.

First version for the backbone: enough that a real Claude Code answer is not read as symbols
(code blocks skipped, link labels instead of URLs, markup removed, sentences split for English
and CJK). The full stage (a real markdown parser, secrets, paths, tables) replaces the body of
:func:`sentences` and keeps its signature.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\1[ \t]*$|\Z)", re.M | re.S)
_THINKING = re.compile(r"<(thinking|reasoning)\b[^>]*>.*?(?:</\1>|\Z)", re.S | re.I)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"\bhttps?://[^\s<>()]+")
_INLINE_CODE = re.compile(r"`+([^`]*)`+")
_LINE_MARK = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", re.M)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？])")
_SPACE = re.compile(r"[ \t]+")


def _host(match: re.Match[str]) -> str:
    host = urlsplit(match.group(0)).hostname or ""
    return f"a link to {host}" if host else ""


def sentences(text: str, max_chars: int = 4000) -> list[str]:
    """Split markdown ``text`` into the sentences to speak, in order.

    Args:
        text: what Claude wrote (markdown).
        max_chars: stop after this many characters of speech, adding a short notice.

    Returns:
        Non-empty sentences, markup removed.
    """
    text = _FENCE.sub("\n", text)
    text = _THINKING.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub(_host, text)
    text = _INLINE_CODE.sub(r"\1", text)
    text = _LINE_MARK.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    out: list[str] = []
    total = 0
    for paragraph in re.split(r"\n\s*\n|\n(?=\S)", text):
        flat = _SPACE.sub(" ", paragraph.replace("\n", " ")).strip()
        for sentence in _SENTENCE_END.split(flat):
            sentence = sentence.strip()
            if not any(ch.isalnum() for ch in sentence):
                continue
            if total + len(sentence) > max_chars:
                out.append("And more.")
                return out
            total += len(sentence)
            out.append(sentence)
    return out
