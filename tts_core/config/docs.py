"""config/schema.json and config/default.yaml, generated from the schema in :mod:`config`.

The field docstrings in config.py are the one place where settings are documented: this module
reads them (with ast) into the JSON Schema's descriptions and the default file's comments.
A test keeps the committed files equal to what this module generates
(``python3 -m tts_core config schema > config/schema.json``, ``... config default``).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import types
import typing
from functools import lru_cache
from typing import Any

import yaml

from tts_core.config import schema

SCHEMA_ID = "claude-tts config"


@lru_cache(maxsize=1)
def field_docs() -> dict[tuple[str, str], str]:
    """(class name, field name) -> the docstring under the field, on one line."""
    tree = ast.parse(inspect.getsource(schema))
    docs: dict[tuple[str, str], str] = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        body = cls.body
        for stmt, nxt in zip(body, [*body[1:], None], strict=True):
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                text = " ".join(nxt.value.value.split()).replace("``", "")
                bounds = schema.RANGES.get((cls.name, stmt.target.id))
                if bounds:
                    text += f" From {bounds[0]:g} to {bounds[1]:g}."
                docs[(cls.name, stmt.target.id)] = text
    return docs


def _class_doc(cls: type[Any]) -> str:
    return " ".join((cls.__doc__ or "").split())


def _type_schema(hint: Any) -> dict[str, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _object_schema(typing.cast(type[Any], hint))
    if origin in (types.UnionType, typing.Union):
        inner = [_type_schema(a) for a in args if a is not type(None)]
        return {"anyOf": [*inner, {"type": "null"}]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is tuple:
        return {"type": "array", "items": _type_schema(args[0])}
    if origin is dict:
        return {"type": "object", "additionalProperties": {"type": "string"}}
    return {bool: {"type": "boolean"}, int: {"type": "integer"}, float: {"type": "number"},
            str: {"type": "string"}}[hint]  # fmt: skip


def _object_schema(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    docs = field_docs()
    props: dict[str, Any] = {}
    required = []
    for f in dataclasses.fields(cls):
        prop = _type_schema(hints[f.name])
        doc = docs.get((cls.__name__, f.name)) or _class_doc(hints[f.name])
        if doc:
            prop["description"] = doc
        bounds = schema.RANGES.get((cls.__name__, f.name))
        if bounds:
            prop["minimum"], prop["maximum"] = bounds
        if f.default is not dataclasses.MISSING:
            prop["default"] = _plain(f.default)
        elif f.default_factory is dataclasses.MISSING:
            required.append(f.name)
        elif not dataclasses.is_dataclass(hints[f.name]):
            prop["default"] = _plain(f.default_factory())
        props[f.name] = prop
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    if required:
        out["required"] = required
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    return value


def json_schema() -> dict[str, Any]:
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": SCHEMA_ID}
    out.update(_object_schema(schema.Config))
    out["description"] = "Settings of claude-tts. Every key is optional."
    return out


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def default_yaml() -> str:
    """Every setting at its default, each with its comment."""
    lines = [
        "# yaml-language-server: $schema=./schema.json",
        "# claude-tts settings. This file lists every setting at its default; your own",
        "# config.yaml needs only the keys you change. The daemon reloads it as you save.",
    ]
    _yaml_object(schema.Config, schema.Config(), 0, lines)
    return "\n".join(lines) + "\n"


def _yaml_object(cls: type[Any], value: Any, indent: int, lines: list[str]) -> None:
    docs = field_docs()
    hints = typing.get_type_hints(cls)
    pad = " " * indent
    for f in dataclasses.fields(cls):
        current = getattr(value, f.name)
        doc = docs.get((cls.__name__, f.name)) or _class_doc(hints[f.name])
        if indent == 0:
            lines.append("")
        if doc:
            lines.append(f"{pad}# {doc}")
        if dataclasses.is_dataclass(current):
            lines.append(f"{pad}{f.name}:")
            _yaml_object(type(current), current, indent + 2, lines)
            continue
        rendered = yaml.safe_dump(
            {f.name: _plain(current)}, allow_unicode=True, default_flow_style=True, width=1000
        ).strip()
        lines.append(pad + rendered.removeprefix("{").removesuffix("}"))
