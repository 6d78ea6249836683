"""Claude's markdown -> the sentences worth hearing. Pure: no I/O, deterministic.

markdown-it-py parses the message; this module walks its tokens and decides what each block
sounds like (code blocks skipped or announced, tables summarized, link labels instead of URLs,
list items and headings as sentences), then :mod:`spoken_words` handles secrets, paths and
identifiers and :mod:`sentences` splits and caps the sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from tts_core.config.schema import FilterOptions
from tts_core.languages.phrases import MARKER, markers, phrases
from tts_core.text import rules as user_rules
from tts_core.text import spoken_words as sw
from tts_core.text.sentences import cap_length, split_sentences

_TASK = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)\[([ xX])\]\s+", re.M)
"""A GFM task list item's box: said as "to do" / "done", not as brackets."""


def _mostly_symbols(code: str) -> bool:
    """Inline code that is mostly punctuation (``^\\s*(\\d+)$``): a pattern, not words."""
    visible = [ch for ch in code if not ch.isspace()]
    if len(visible) < 5:
        return False
    symbols = sum(1 for ch in visible if not ch.isalnum() and ch not in "._-/")
    return symbols / len(visible) >= 0.4


READ_AT_MOST = 100_000
"""Characters of a message that are read (what is spoken is capped by ``max_chars``)."""


@dataclass(frozen=True)
class Sentence:
    """One thing to say. ``announcement`` lines are ours (already in the output language)."""

    text: str
    announcement: bool = False


_HIDDEN_BLOCK = re.compile(
    r"<(thinking|reasoning|system-reminder|function_calls|antml:[a-z_]+)\b[^>]*>.*?(?:</\1>|\Z)",
    re.S | re.I,
)
_LEFTOVER_MARKUP = re.compile(r"`+|\*+|_{2,}|~~|\]\(|https?://\S*|</?[A-Za-z][^<>]*>")
_DIFF_LINE = re.compile(r"^(?:[+-]{3} |@@ |diff --git |index [0-9a-f]+\.\.|[+-](?![+-]))")
_LOG_LINE = re.compile(
    r"^\s*(?:\[?\d{4}-\d\d-\d\d[ T]\d\d:\d\d|\d\d:\d\d:\d\d|(?:DEBUG|INFO|WARN(?:ING)?|ERROR)\b"
    r"|Traceback \(most recent|File \".*\", line \d+|at [\w.$]+\(.*:\d+\)|\$ "
    r"|\w*(?:Error|Exception)\b:?|[\s│├└─┬┼]*[├└│])"  # exception lines, tree listings
)
_NOT_READ_FENCES = frozenset({"diff", "patch", "log", "console", "shell-session", "text"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def speakable(
    text: str,
    options: FilterOptions | None = None,
    lang: str = "en",
    on_slow_rule: user_rules.OnTimeout = lambda rule: None,
    *,
    marked: bool = False,
) -> list[Sentence]:
    """The sentences to speak for one message, in order.

    Args:
        text: what Claude wrote (markdown, any script).
        options: filter settings; defaults if None.
        lang: language of our own announcements ("code block", "and more").
        on_slow_rule: told of a ``filters.rules`` entry that ran out of time (it was skipped).
        marked: leave inline phrases ("a link to x", "line 4") as markers, for the voicing
            stage to say in the language each sentence ends up in
            (:func:`tts_core.languages.phrases.render`); else they are written in ``lang``.

    Returns:
        Non-empty sentences with markup, code, URLs and secrets removed.
    """
    opts = options or FilterOptions()
    words = {**phrases(lang), **markers()} if marked else phrases(lang)
    # At most max_chars are spoken: markdown needs some context around them, not megabytes (a
    # 16 MB message would hold the daemon's event loop for seconds in the parser).
    text = text[: max(READ_AT_MOST, 25 * opts.max_chars)]
    # Secrets go first: a rule (even the user's own) must never split one past the filter.
    text = sw.hide_private_keys(_HIDDEN_BLOCK.sub("\n", text))
    text = user_rules.apply_replacements(text, opts.rules, on_slow_rule)
    text = _TASK.sub(lambda m: m.group(1) + words["done" if m.group(2) in "xX" else "todo"], text)
    blocks = _blocks(_parser().parse(text), opts, words)
    out: list[Sentence] = []
    total = 0
    for block in blocks:
        pieces = (
            [block]
            if block.announcement
            else [
                Sentence(piece)
                for s in split_sentences(block.text)
                for piece in cap_length(s, opts.max_sentence_chars)
            ]
        )
        for sentence in pieces:
            if opts.rules and user_rules.dropped(sentence.text, opts.rules, on_slow_rule):
                continue
            if len(out) >= opts.max_sentences or total + len(sentence.text) > opts.max_chars:
                out.append(Sentence(words["more"], announcement=True))
                return out
            total += len(sentence.text)
            out.append(sentence)
    return out


def sentences(text: str, options: FilterOptions | None = None, lang: str = "en") -> list[str]:
    """:func:`speakable` as plain strings."""
    return [s.text for s in speakable(text, options, lang)]


def _blocks(tokens: list[Token], opts: FilterOptions, words: dict[str, str]) -> list[Sentence]:
    """One Sentence per paragraph, heading, list item or announcement."""
    out: list[Sentence] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "inline":
            said = _clean(_inline(tok.children or [], opts, words), words)
            if said and not _is_diff_or_log(tok.content):
                out.append(Sentence(said))
        elif tok.type in ("fence", "code_block"):
            out.extend(_code_block(tok, opts, words))
        elif tok.type == "table_open":
            close = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
            if opts.tables == "summarize":
                rows = max(sum(1 for t in tokens[i:close] if t.type == "tr_open") - 1, 0)
                phrase = words["table_one"] if rows == 1 else words["table"].format(rows=rows)
                out.append(Sentence(phrase, announcement=True))
            i = close
        i += 1
    return out


def _code_block(tok: Token, opts: FilterOptions, words: dict[str, str]) -> list[Sentence]:
    lang = tok.info.strip().split(" ")[0].lower() if tok.info else ""
    code = tok.content.strip("\n")
    if opts.code_blocks == "skip" or lang in _NOT_READ_FENCES or _is_diff_or_log(code):
        return []
    if opts.code_blocks == "read_short" and len(code) <= opts.code_max_chars:
        said = _clean(
            " ".join(sw.speak_code(line, words["line"]) for line in code.splitlines()), words
        )
        return [Sentence(said)] if said else []
    return [Sentence(words["code"], announcement=True)]


def _outside_markers(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the text between inline-phrase markers, the markers kept."""
    out: list[str] = []
    at = 0
    for m in MARKER.finditer(text):
        out += [change(text[at : m.start()]), m.group(0)]
        at = m.end()
    return "".join([*out, change(text[at:])])


def _is_diff_or_log(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    hits = sum(1 for line in lines if _DIFF_LINE.match(line) or _LOG_LINE.match(line))
    return hits / len(lines) >= 0.6


def _inline(children: list[Token], opts: FilterOptions, words: dict[str, str]) -> str:
    parts: list[str] = []
    i = 0
    while i < len(children):
        tok = children[i]
        if tok.type == "text":
            parts.append(_prose(tok.content, opts, words))
        elif tok.type == "code_inline":
            if _mostly_symbols(tok.content):  # a regex said symbol by symbol helps no one
                parts.append(words["pattern"] if opts.symbols == "pattern" else "")
            else:
                parts.append(sw.speak_code(tok.content, words["line"], opts.spell_dots))
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif tok.type == "link_open":
            close = next(j for j in range(i, len(children)) if children[j].type == "link_close")
            label = "".join(t.content for t in children[i + 1 : close] if t.content)
            href = str(tok.attrs.get("href", ""))
            if label.strip() == href.strip() or label.startswith(("http://", "https://")):
                host = sw.url_host(href)
                parts.append(
                    words["link"].format(host=host) if host and opts.urls == "host" else ""
                )
            else:
                parts.append(_inline(children[i + 1 : close], opts, words))
            i = close
        elif tok.type == "image":
            parts.append(_prose(tok.content, opts, words))
        # html_inline, em/strong/s open/close: nothing to say
        i += 1
    return "".join(parts)


def _prose(text: str, opts: FilterOptions, words: dict[str, str]) -> str:
    text = sw.replace_urls(text, words["link"] if opts.urls == "host" else None)
    text = sw.hide_secrets(sw.natural_paths(text, words["line"]))
    return re.sub(r"\b\w+(?:_\w+)+\b", lambda m: sw.split_identifier(m.group(0)), text)


def _clean(text: str, words: dict[str, str]) -> str:
    text = text.replace(sw.SECRET, words["secret"]).replace(sw.ID, words["id"])
    text = _outside_markers(text, sw.drop_symbols)
    text = _LEFTOVER_MARKUP.sub(" ", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r" +(?=[.,;:!?](?:\s|$))", "", text).strip()
    return text if any(ch.isalnum() for ch in text) else ""
