"""Our own words in each output language: announcements the filter adds to speech. Pure."""

from __future__ import annotations

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


def phrases(lang: str) -> dict[str, str]:
    """The phrases for ``lang`` (``ja``, ``ja_JP``, ``jpn_Jpan``...); English if unknown."""
    base = lang.replace("-", "_").split("_")[0].lower()
    return PHRASES.get(base, PHRASES["en"])
