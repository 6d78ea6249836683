"""The user's own settings as the commands that run without the daemon read them."""

from __future__ import annotations

import sys

from tts_core import paths as _paths
from tts_core.config import loader
from tts_core.config.schema import Config


def user_config(p: _paths.Paths) -> Config:
    """The user's config file over the defaults (what the daemon would use); warnings go to
    stderr. Raises ConfigError."""
    config, warnings = loader.load([p.config / loader.USER_FILE])
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return config
