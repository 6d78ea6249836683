"""Reading config files: YAML -> validated :class:`~tts_core.config.Config`, whole file at once.

Errors are shaped like pre-commit's (cfgv)::

    ==> File /home/me/.config/claude-tts/config.yaml
    ==> At key: voice
    ==> At key: engine
    =====> Expected one of auto, offline, gtts, espeak, say, openjtalk but got: 'gtss'
    (did you mean 'gtts'?)   <- on the same line

Files are layered: the user's file over the defaults, then a project's
``<project>/.claude/claude-tts.yaml`` over that, through the trust boundary
(:mod:`tts_core.config.trust`): a project sets only what it may. Unknown keys are warnings, not
errors. YAML is read without aliases (a 404-byte "billion laughs" file cost seconds and 93 MB)
and with a nesting bound, from files of bounded size; callers read files off the event loop.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import stat
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import regex
import yaml

from tts_core import paths as _paths
from tts_core.config import schema, trust
from tts_core.config.schema import Config
from tts_core.errors import ConfigError
from tts_core.languages import catalog

USER_FILE = _paths.CONFIG_FILE
PROJECT_FILE = Path(".claude") / "claude-tts.yaml"


Problem = tuple[tuple[str, ...], str]
"""(key path, message)"""


def _suggest(value: object, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _expected(choices: typing.Sequence[object]) -> str:
    return "one of " + ", ".join(str(c) for c in choices)


class _Reader:
    """Builds dataclasses from plain data, collecting problems and unknown-key warnings."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def build(self, cls: type[Any], data: object, path: tuple[str, ...]) -> Any:
        if not isinstance(data, Mapping):
            self.problems.append((path, f"Expected a mapping but got: {data!r:.80}"))
            return cls()
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        for key in data:
            if key not in names:
                where = ".".join((*path, str(key)))
                self.warnings.append(f"unknown key {where!r} ignored{_suggest(key, names)}")
        kwargs = {}
        for name in names:
            if name in data:
                value = self.value(hints[name], data[name], (*path, name))
                if value is not _BAD:
                    kwargs[name] = self.check_range(cls, name, value, (*path, name))
        return cls(**kwargs)

    def check_range(self, cls: type[Any], name: str, value: Any, path: tuple[str, ...]) -> Any:
        bounds = schema.RANGES.get((cls.__name__, name))
        if bounds and not bounds[0] <= value <= bounds[1]:
            low, high = bounds
            self.bad(path, f"Expected a number from {low:g} to {high:g} but got: {value!r}")
        return value

    def value(self, hint: Any, data: object, path: tuple[str, ...]) -> Any:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if dataclasses.is_dataclass(hint):
            return self.build(typing.cast(type[Any], hint), data, path)
        if origin in (types.UnionType, typing.Union):
            if data is None and type(None) in args:
                return None
            inner = next(a for a in args if a is not type(None))
            return self.value(inner, data, path)
        if origin is typing.Literal:
            if data in args:
                return data
            hint_text = _suggest(data, [str(a) for a in args])
            return self.bad(path, f"Expected {_expected(args)} but got: {data!r}{hint_text}")
        if origin is tuple:
            items = [data] if isinstance(data, str) else data
            if not isinstance(items, list):
                return self.bad(path, f"Expected a list but got: {data!r:.80}")
            out = [self.value(args[0], item, (*path, str(i))) for i, item in enumerate(items)]
            return tuple(v for v in out if v is not _BAD)
        if origin is dict:
            if not isinstance(data, Mapping):
                return self.bad(path, f"Expected a mapping but got: {data!r:.80}")
            return {str(k): str(v) for k, v in data.items()}
        if hint is bool:
            if isinstance(data, bool):
                return data
            return self.bad(path, f"Expected true or false but got: {data!r}")
        if hint in (int, float):
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                return self.bad(path, f"Expected a number but got: {data!r}")
            if hint is int and not float(data).is_integer():
                return self.bad(path, f"Expected a whole number but got: {data!r}")
            return hint(data)
        if hint is str:
            if isinstance(data, str):
                return data
            return self.bad(path, f"Expected a string but got: {data!r}")
        raise TypeError(f"no reader for {hint!r}")  # a schema type this module does not know

    def bad(self, path: tuple[str, ...], message: str) -> Any:
        self.problems.append((path, message))
        return _BAD


_BAD = object()


def _semantic(config: Config, reader: _Reader) -> None:
    """Checks that need more than a type: languages, engine chains, event names, regexes."""
    for key in ("language", "source_language"):
        value = getattr(config, key)
        if value == "auto" and key == "language":
            continue
        try:
            catalog.lookup(value)
        except catalog.UnknownLanguage:
            hint = _suggest(value.lower(), catalog.known_names())
            reader.bad((key,), f"Expected a language name or code but got: {value!r}{hint}")
    chain = config.voice.engine
    allowed = schema.ENGINE_NAMES if "," in chain else schema.ENGINE_SPECS
    for name in (n.strip() for n in chain.split(",")):
        if name not in allowed:
            hint = _suggest(name, allowed)
            reader.bad(
                ("voice", "engine"), f"Expected {_expected(allowed)} but got: {name!r}{hint}"
            )
    for event in config.speak.events:
        if event not in schema.HOOK_EVENTS:
            hint = _suggest(event, schema.HOOK_EVENTS)
            expected = _expected(schema.HOOK_EVENTS)
            reader.bad(("speak", "events"), f"Expected {expected} but got: {event!r}{hint}")
    for i, rule in enumerate(config.filters.rules):
        try:
            regex.compile(rule.pattern)
        except (regex.error, re.error) as exc:
            where = ("filters", "rules", str(i), "pattern")
            reader.bad(where, f"Expected a regular expression but got: {rule.pattern!r} ({exc})")
    tld = config.voice.gtts_tld
    if tld not in schema.GOOGLE_TLDS:
        hint = _suggest(tld, schema.GOOGLE_TLDS)
        reader.bad(
            ("voice", "gtts_tld"),
            f"Expected one of Google's domains (com, co.uk, co.jp, ...) but got: {tld!r}{hint}",
        )
    endpoint = config.voice.gtts_endpoint
    if endpoint is not None and not _HTTPS_ORIGIN.fullmatch(endpoint):
        reader.bad(
            ("voice", "gtts_endpoint"), f"Expected https://host[:port] but got: {endpoint!r}"
        )


_HTTPS_ORIGIN = re.compile(
    r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?/?|https://\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?/?"
)
"""An endpoint is an origin: no user name, password, path or query to smuggle a host in."""
MAX_DEPTH = 32
"""Deepest nesting read from a YAML file (the schema needs 4)."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases and with a nesting bound."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a claude-tts config file", mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_text(text: str, file: Path | str) -> dict[str, Any]:
    """YAML text -> mapping (empty file: {}). Raises ConfigError."""
    try:
        # _BoundedLoader is a SafeLoader: plain data only (no python/object tags), no aliases,
        # bounded nesting; the text comes from a size-capped file (a repository's included).
        data = yaml.load(text, Loader=_BoundedLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        message = f"Expected valid YAML but got an error{where}: {problem}"
        raise ConfigError(file, [((), message)]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        message = f"Expected a mapping at the top but got: {data!r:.80}"
        raise ConfigError(file, [((), message)])
    return data


def validate(data: Mapping[str, Any], file: Path | str) -> tuple[Config, list[str]]:
    """Build a Config from a mapping. Raises ConfigError listing every problem."""
    reader = _Reader()
    config: Config = reader.build(Config, data, ())
    _semantic(config, reader)  # on what was readable; bad values stood in for by defaults
    if reader.problems:
        raise ConfigError(file, reader.problems)
    return config, [f"{file}: {w}" for w in reader.warnings]


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge two mappings; ``over`` wins; lists are replaced, not joined."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


MAX_BYTES = 1024 * 1024
"""Largest config file read: a settings file is a few KB; a huge one is a mistake, and parsing
it would hold the daemon up."""


def read_file(file: Path, max_bytes: int = MAX_BYTES) -> str | None:
    """The text of a config file (None if there is none). Raises ConfigError for one that is
    not a regular file, bigger than ``max_bytes``, unreadable or not UTF-8 text.

    Opened without blocking and checked on the open descriptor: a FIFO put in the file's place
    (by a repository, or between a check and the open) cannot hold the reader."""

    def fail(message: str) -> ConfigError:
        return ConfigError(file, [((), message)])

    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise fail(f"Expected a readable file but got: {exc}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise fail("Expected a regular file but got: something else")
        if st.st_size > max_bytes:
            raise fail(f"Expected a file of at most {max_bytes} bytes but got: {st.st_size} bytes")
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise fail(f"Expected a readable file but got: {exc}") from None
    if len(data) > max_bytes:
        raise fail(f"Expected a file of at most {max_bytes} bytes but got: more")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"Expected UTF-8 text but got: a byte that is not ({exc.reason} at {exc.start})"
        raise fail(message) from None


def load(files: list[Path]) -> tuple[Config, list[str]]:
    """Layer the files that exist (later ones win) over the defaults. Raises ConfigError.

    Every file is taken whole: for the user's own files. A repository's file goes through
    :func:`load_project`."""
    merged: dict[str, Any] = {}
    warnings: list[str] = []
    for file in files:
        text = read_file(file)
        if text is None:
            continue
        data = parse_text(text, file)
        warnings += validate(data, file)[1]  # each file is checked on its own, so errors name it
        merged = merge(merged, data)
    config, _ = validate(merged, files[-1] if files else "<defaults>")
    return config, warnings


MAX_PROJECT_BYTES = 64 * 1024
"""Largest project file read: it may set a dozen keys; a repository has no use for more."""


def load_project(
    user_file: Path, project_file: Path, store: trust.TrustStore
) -> tuple[Config, list[str]]:
    """The user's file with a repository's file over it, as far as the repository may go:
    every key when the user trusted this exact content (``claude-tts trust``), else only
    :data:`trust.PROJECT_KEYS`, each other key ignored with a warning. Raises ConfigError."""
    text = read_file(project_file, MAX_PROJECT_BYTES)
    user_text = read_file(user_file)
    user = parse_text(user_text, user_file) if user_text is not None else {}
    if text is None:
        return validate(user, user_file)
    data = parse_text(text, project_file)
    warnings = validate(data, project_file)[1]
    if not store.trusts(project_file, text.encode("utf-8")):
        data, refused = trust.split_project(data)
        warnings += [trust.refused_warning(project_file, key) for key in refused]
    config, _ = validate(merge(user, data), project_file)
    return config, warnings


def resolve_language(value: str, environ: Mapping[str, str]) -> catalog.Language:
    """The language a ``language`` setting means here (``auto``: the locale's)."""
    return catalog.resolve(value, environ)


def as_dict(config: Config) -> dict[str, Any]:
    """Plain data (lists for tuples), ready for YAML or JSON."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {k: plain(v) for k, v in dataclasses.asdict(config).items()}


def dump(config: Config) -> str:
    text: str = yaml.safe_dump(as_dict(config), sort_keys=False, allow_unicode=True)
    return text
