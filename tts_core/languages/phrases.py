"""Our own words in each output language: what the text filter adds to speech. Pure.

Two kinds. Announcements are whole sentences of ours ("Code block.", "And more."): the filter
writes them in the output language. Inline phrases sit inside Claude's own sentence ("a link to
example.com", "line 42", "a secret"): which language they must be in is only known once the
sentence has been translated, or not, so the filter writes a language-neutral *marker* for each
(:func:`mark`), translation keeps markers whole like a number, and the voicing stage puts the
phrase in with :func:`render`, in the language the sentence really ended up in. Without that,
an untranslated English sentence came out with Japanese phrases in it, read by an English voice
as "Japanese letter".
"""

from __future__ import annotations

import re

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "code": "Code block.",
        "table": "A table with {rows} rows.",
        "table_one": "A table with one row.",
        "todo": "To do: ",
        "done": "Done: ",
        "pattern": "a pattern",
        "more": "And more.",
        "link": "a link to {host}",
        "secret": "a secret",
        "line": "line {line}",
        "id": "an ID",
    },
    "ja": {
        "code": "コードブロック。",
        "table": "{rows}行の表。",
        "table_one": "1行の表。",
        "todo": "未完了、",
        "done": "完了、",
        "pattern": "パターン",
        "more": "以下省略。",
        "link": "{host} へのリンク",
        "secret": "秘密の値",
        "line": "{line}行目",
        "id": "ID",
    },
    "zh": {
        "code": "代码块。",
        "table": "一个{rows}行的表格。",
        "table_one": "一个1行的表格。",
        "todo": "待办：",
        "done": "已完成：",
        "pattern": "一个模式",
        "more": "以下省略。",
        "link": "指向 {host} 的链接",
        "secret": "一个密钥",
        "line": "第{line}行",
        "id": "一个ID",
    },
    "ko": {
        "code": "코드 블록.",
        "table": "{rows}행의 표.",
        "table_one": "1행의 표.",
        "todo": "할 일: ",
        "done": "완료: ",
        "pattern": "패턴",
        "more": "이하 생략.",
        "link": "{host} 링크",
        "secret": "비밀 값",
        "line": "{line}번째 줄",
        "id": "ID",
    },
    "es": {
        "code": "Bloque de código.",
        "table": "Una tabla con {rows} filas.",
        "table_one": "Una tabla con una fila.",
        "todo": "Pendiente: ",
        "done": "Hecho: ",
        "pattern": "un patrón",
        "more": "Y más.",
        "link": "un enlace a {host}",
        "secret": "un secreto",
        "line": "línea {line}",
        "id": "un identificador",
    },
    "fr": {
        "code": "Bloc de code.",
        "table": "Un tableau de {rows} lignes.",
        "table_one": "Un tableau d'une ligne.",
        "todo": "À faire : ",
        "done": "Fait : ",
        "pattern": "un motif",
        "more": "Et plus encore.",
        "link": "un lien vers {host}",
        "secret": "un secret",
        "line": "ligne {line}",
        "id": "un identifiant",
    },
    "de": {
        "code": "Codeblock.",
        "table": "Eine Tabelle mit {rows} Zeilen.",
        "table_one": "Eine Tabelle mit einer Zeile.",
        "todo": "Offen: ",
        "done": "Erledigt: ",
        "pattern": "ein Muster",
        "more": "Und mehr.",
        "link": "ein Link zu {host}",
        "secret": "ein Geheimnis",
        "line": "Zeile {line}",
        "id": "eine ID",
    },
}
"""Keys: code (a skipped code block), table (``{rows}``) and table_one (a table of one row: each
language's own singular), more (speech was cut), link (``{host}``), secret, id (a UUID or
hash), line (``{line}`` of a file), todo and done (a task list item's box), pattern (inline
code that is mostly symbols, such as a regular expression)."""


INLINE = ("todo", "done", "pattern", "link", "secret", "line", "id")
"""The phrases that sit inside a sentence: written as markers by the filter."""
OPEN, SEP, CLOSE = "\ue000", "\ue002", "\ue001"
"""Private-use characters: they survive markdown parsing and mean nothing to a voice."""
MARKER = re.compile(f"{OPEN}([a-z]+)(?:{SEP}([^{OPEN}{SEP}{CLOSE}]*))?{CLOSE}")
"""One marker: the phrase's key, and its argument (a host, a line number) if it has one."""
_ARG = {"link": "host", "line": "line"}


def mark(key: str, arg: str | None = None) -> str:
    """The marker for inline phrase ``key`` (with its argument)."""
    return f"{OPEN}{key}{SEP}{arg}{CLOSE}" if arg is not None else f"{OPEN}{key}{CLOSE}"


def markers() -> dict[str, str]:
    """Stand-ins for the inline phrases, shaped like :data:`PHRASES` entries (``{host}`` and
    ``{line}`` filled in by the filter as usual)."""
    return {key: mark(key, "{" + _ARG[key] + "}" if key in _ARG else None) for key in INLINE}


def render(text: str, lang: str) -> str:
    """``text`` with every marker replaced by its phrase in ``lang``."""
    words = phrases(lang)

    def phrase(m: re.Match[str]) -> str:
        key, arg = m.group(1), m.group(2)
        template = words.get(key, PHRASES["en"].get(key, ""))
        return template.format(**{_ARG[key]: arg}) if key in _ARG and arg is not None else template

    return MARKER.sub(phrase, text)


def unmarked(text: str) -> str:
    """``text`` without its markers (to judge which script the sentence itself is in)."""
    return MARKER.sub(" ", text)


def phrases(lang: str) -> dict[str, str]:
    """The phrases for ``lang`` (``ja``, ``ja_JP``, ``jpn_Jpan``...); English if unknown."""
    base = lang.replace("-", "_").split("_")[0].lower()
    return PHRASES.get(base, PHRASES["en"])
