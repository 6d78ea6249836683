"""The trust boundary for a repository's ``.claude/claude-tts.yaml``.

A cloned repository is not trusted: its file may change how its speech sounds and what is
skipped, never where text goes, what runs or which files are written. :data:`PROJECT_KEYS` is
the one list of what it may set; every other key comes from the user's own file and is ignored
in a project file, with a warning that names the file and the key. The user can lift that for
one exact file, as direnv's ``allow`` does: ``claude-tts trust DIR`` records the file's content
hash in the user's own state, and any change to the file makes it untrusted again.

Pure apart from :class:`TrustStore`, which reads and writes one small JSON file (0600).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tts_core.config.schema import Config

PROJECT_KEYS: frozenset[str] = frozenset({
    "enabled",
    "language",
    "speak.mode",
    "speak.events",
    "speak.subagents",
    "speak.notification_types",
    "speak.transcript_wait_s",
    "voice.voice",
    "voice.speed",
    "voice.volume",
    "filters.code_blocks",
    "filters.urls",
    "filters.tables",
    "filters.symbols",
    "filters.spell_dots",
})  # fmt: skip
"""Dotted keys an untrusted project file may set: how its speech sounds (language, voice among
the engine's own voices, speed, volume), what is skipped (code, tables, URLs, symbols) and when
it speaks (``speak.*`` but headless). Everything else (the engine chain, gTTS endpoint and TLD,
``filters.rules``, the glossary, translation, headless runs, limits, sessions, the log level)
only the user's own file sets."""

MAX_STORE_BYTES = 256 * 1024
"""The trust store holds a line per trusted project: a bigger file is not ours."""


def digest(content: bytes) -> str:
    """The hash a trust decision is bound to (the file's exact bytes)."""
    return hashlib.sha256(content).hexdigest()


def split_project(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A project file's mapping -> (what it may set, the dotted keys it may not).

    Keys that name no setting at all are kept: the reader warns about those as unknown."""
    refused: list[str] = []

    def walk(node: Mapping[str, Any], prefix: str, cls: Any) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        kept: dict[str, Any] = {}
        for key, value in node.items():
            path = f"{prefix}{key}"
            hint = hints.get(str(key))
            if path in PROJECT_KEYS or hint is None:
                kept[key] = value  # allowed, or unknown (the reader warns about those)
            elif dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
                inner = walk(value, path + ".", hint)
                if inner:
                    kept[key] = inner
            else:
                refused.append(path)
        return kept

    return walk(data, "", Config), refused


def refused_warning(file: Path, key: str) -> str:
    """What ``status`` says about a key an untrusted project file may not set."""
    return (
        f"{file}: {key!r} ignored: a project may not set it (only your own config file can; "
        f"to let this project, run: claude-tts trust {file.parent.parent})"
    )


class TrustStore:
    """The project files the user trusted, by path, each with the hash of the content they
    trusted. A file whose content changed is untrusted again. Written 0600, atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> dict[str, str]:
        """{project file: sha256 the user trusted}; {} when there is no store (or a bad one)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return {}
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(MAX_STORE_BYTES + 1)
        if len(raw) > MAX_STORE_BYTES:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}

    def trusts(self, file: Path, content: bytes) -> bool:
        return self.entries().get(str(file)) == digest(content)

    def trust(self, file: Path, content: bytes) -> None:
        entries = self.entries()
        entries[str(file)] = digest(content)
        self._write(entries)

    def revoke(self, file: Path) -> bool:
        entries = self.entries()
        if entries.pop(str(file), None) is None:
            return False
        self._write(entries)
        return True

    def _write(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".trust-", dir=self.path.parent)  # 0600, O_EXCL
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entries, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
