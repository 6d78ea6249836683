"""The daemon's current configuration: the user's file, its live reloads, project overrides.

A reload validates the whole file and swaps the whole Config at once; a broken edit keeps the
last good Config and records the error (shown by ``claude-tts status``) until the next good
edit. A file still being written (changed less than :data:`SETTLE_S` ago) is not read yet: a
slow save in place would otherwise be taken, half written, for the user's settings. A project's
``.claude/claude-tts.yaml`` is layered over the user's file for the events of that project,
through the trust boundary (:mod:`tts_core.config.trust`), re-read when it or the trust store
changes.

Every file is read on this object's own thread (:meth:`ConfigState.run`): a repository's file
is untrusted input and never parsed on the event loop. The loop reads whole immutable values
(``config``, ``error``, ``project_warnings``) that the reader thread replaces.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from tts_core.config import loader
from tts_core.config.schema import Config
from tts_core.config.trust import TrustStore
from tts_core.errors import ConfigError

log = logging.getLogger(__name__)
MAX_PROJECTS = 32
SETTLE_S = 0.5
"""A config file changed more recently than this is still being written: read it later."""
_T = TypeVar("_T")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class ConfigState:
    """The config in effect: the user's file (the last good one when an edit is broken) and each
    project's override on top. Reads files only when asked, on its own thread; must not import
    the daemon."""

    def __init__(self, user_file: Path, trust_file: Path | None = None) -> None:
        self.user_file = user_file
        self.trust = TrustStore(trust_file or user_file.with_name("trusted-projects.json"))
        self.config = Config()
        self.error: str | None = None
        self.warnings: list[str] = []
        self.loaded_at = 0.0
        self.unsettled = False
        """The last reload found the file still being written: the daemon reads it again."""
        self.reads = 0
        """How often the user's file was read (a still file is read once: status shows it)."""
        self.project_warnings: dict[str, tuple[str, ...]] = {}
        """Per project file, what of it was ignored (replaced whole, never changed in place)."""
        self._projects: dict[Path, tuple[object, Config]] = {}
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="config")

    async def run(self, call: Callable[[], _T]) -> _T:
        """Run ``call`` (a read of this object's files) on the reader thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    async def project(self, project_dir: str | None) -> Config:
        """:meth:`for_project`, read on the reader thread."""
        return await self.run(lambda: self.for_project(project_dir))

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)

    def reload(self) -> bool:
        """Read the user's file again. True if the config was replaced."""
        stamp = _stamp(self.user_file)
        if stamp is not None and self.loaded_at and time.time() - stamp[0] / 1e9 < SETTLE_S:
            self.unsettled = True  # a save in progress: the last good settings stay meanwhile
            return False
        self.unsettled = False
        self.reads += 1
        try:
            config, warnings = loader.load([self.user_file])
        except ConfigError as exc:
            self.error = str(exc)
            log.error("config not reloaded, keeping the last good one:\n%s", exc)
            return False
        for warning in warnings:
            log.warning("config: %s", warning)
        if stamp is None:
            log.info("no config file at %s: using the defaults", self.user_file)
        changed = config != self.config
        self.config, self.error, self.warnings = config, None, warnings
        self.loaded_at = time.time()
        self._projects.clear()  # their layering depends on the user's file
        if changed:
            log.info("config loaded from %s", self.user_file)
        return changed

    def for_project(self, project_dir: str | None) -> Config:
        """The user's config with ``<project_dir>/.claude/claude-tts.yaml`` layered on top, as
        far as the trust boundary lets it. Reads files: call it on the reader thread."""
        if not project_dir or not os.path.isabs(project_dir):
            return self.config
        file = Path(project_dir) / loader.PROJECT_FILE
        stamp = _stamp(file)
        if stamp is None:
            return self.config
        key = (stamp, _stamp(self.trust.path))
        cached = self._projects.get(file)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            config, warnings = loader.load_project(self.user_file, file, self.trust)
        except ConfigError as exc:
            log.error("project config ignored:\n%s", exc)
            config, warnings = self.config, [str(exc).replace("\n", " ")]
        for warning in warnings:
            log.warning("config: %s", warning)
        if len(self._projects) >= MAX_PROJECTS:
            self._projects.clear()
        self._projects[file] = (key, config)
        notes = dict(self.project_warnings) if len(self.project_warnings) < MAX_PROJECTS else {}
        if warnings:
            notes[str(file)] = tuple(warnings)
        else:
            notes.pop(str(file), None)
        self.project_warnings = notes
        return config

    def status(self) -> dict[str, object]:
        return {
            "file": str(self.user_file),
            "loaded_at": self.loaded_at,
            "error": self.error,
            "warnings": self.warnings,
            "project_warnings": [w for ws in self.project_warnings.values() for w in ws],
            "reads": self.reads,
        }
