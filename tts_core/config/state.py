"""The daemon's current configuration: the user's file, its live reloads, project overrides.

A reload validates the whole file and swaps the whole Config at once; a broken edit keeps the
last good Config and records the error (shown by ``claude-tts status``) until the next good
edit. A project's ``.claude/claude-tts.yaml`` is layered over the user's file for the events of
that project, re-read when it changes.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from tts_core.config import loader as config_file
from tts_core.config.schema import Config
from tts_core.errors import ConfigError

log = logging.getLogger(__name__)
MAX_PROJECTS = 32


class ConfigState:
    """The config in effect: the user's file (the last good one when an edit is broken) and each
    project's override on top. Reads files only when asked; must not import the daemon."""

    def __init__(self, user_file: Path) -> None:
        self.user_file = user_file
        self.config = Config()
        self.error: str | None = None
        self.warnings: list[str] = []
        self.loaded_at = 0.0
        self.reads = 0
        """How often the user's file was read (a still file is read once: status shows it)."""
        self._projects: dict[Path, tuple[float, Config]] = {}

    def reload(self) -> bool:
        """Read the user's file again. True if the config was replaced."""
        existed = self.user_file.exists()
        self.reads += 1
        try:
            config, warnings = config_file.load([self.user_file])
        except ConfigError as exc:
            self.error = str(exc)
            log.error("config not reloaded, keeping the last good one:\n%s", exc)
            return False
        for warning in warnings:
            log.warning("config: %s", warning)
        if not existed:
            log.info("no config file at %s: using the defaults", self.user_file)
        changed = config != self.config
        self.config, self.error, self.warnings = config, None, warnings
        self.loaded_at = time.time()
        self._projects.clear()  # their layering depends on the user's file
        if changed:
            log.info("config loaded from %s", self.user_file)
        return changed

    def for_project(self, project_dir: str | None) -> Config:
        """The user's config with ``<project_dir>/.claude/claude-tts.yaml`` layered on top."""
        if not project_dir:
            return self.config
        file = Path(project_dir) / config_file.PROJECT_FILE
        try:
            mtime = os.stat(file).st_mtime
        except OSError:
            return self.config
        cached = self._projects.get(file.parent)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            config, warnings = config_file.load([self.user_file, file])
        except ConfigError as exc:
            log.error("project config ignored:\n%s", exc)
            self.error = str(exc)
            config = self.config
        else:
            for warning in warnings:
                log.warning("config: %s", warning)
        if len(self._projects) >= MAX_PROJECTS:
            self._projects.clear()
        self._projects[file.parent] = (mtime, config)
        return config

    def status(self) -> dict[str, object]:
        return {
            "file": str(self.user_file),
            "loaded_at": self.loaded_at,
            "error": self.error,
            "warnings": self.warnings,
            "reads": self.reads,
        }
