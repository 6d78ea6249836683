"""Adding our hooks to a Claude Code settings.json, and taking them out again.

The merge is pure (:func:`add_hooks`, :func:`remove_hooks`): it touches only entries whose
command runs ``claude_tts_hook.py`` (that is our mark: Claude Code rejects unknown keys), keeps
every other key and hook where it was, and running it twice changes nothing. Writing is atomic
with a timestamped backup, and a file that is not valid JSON is refused untouched.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import hashlib
import json
import os
import shlex
import tempfile
import time
from pathlib import Path
from typing import Any

from tts_core.config.schema import INSTALLED_EVENTS
from tts_core.errors import ClaudeTTSError

MARK = "claude_tts_hook.py"
EVENTS = INSTALLED_EVENTS
"""The events the hook serves (the config's list). All synchronous: async hooks are killed early
in ``claude -p``."""
PLUGIN_COMMAND = 'python3 -S -I "${CLAUDE_PLUGIN_ROOT}/hooks/claude_tts_hook.py"'
"""The plugin's hook command (``hooks/hooks.json``): the system Python, from the plugin root."""
TIMEOUT_S = 5


def hook_command(python: str, hook: str) -> str:
    """The shell command Claude Code runs: our venv's interpreter, isolated, by absolute path."""
    return f"{shlex.quote(python)} -S -I {shlex.quote(hook)}"


def _ours(hook: object) -> bool:
    return isinstance(hook, dict) and MARK in str(hook.get("command", ""))


def add_hooks(settings: dict[str, Any], command: str, timeout: int = TIMEOUT_S) -> dict[str, Any]:
    """``settings`` with our hook on every event in :data:`EVENTS` (updated in place if present)."""
    out = copy.deepcopy(settings)
    hooks = out.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ClaudeTTSError("settings.json: 'hooks' is not an object; fix it by hand first")
    entry = {"type": "command", "command": command, "timeout": timeout}
    for event in EVENTS:
        groups = hooks.setdefault(event, [])
        placed = False
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                continue
            kept = []
            for hook in group["hooks"]:
                if not _ours(hook):
                    kept.append(hook)
                elif not placed:  # ours already: update it where it is
                    kept.append(dict(entry))
                    placed = True
            group["hooks"] = kept
        hooks[event] = [g for g in groups if not (isinstance(g, dict) and g.get("hooks") == [])]
        if not placed:
            hooks[event].append({"hooks": [dict(entry)]})
    return out


def plugin_hooks() -> dict[str, Any]:
    """What ``hooks/hooks.json`` holds (a test keeps the file equal to this)."""
    merged = add_hooks({}, PLUGIN_COMMAND)
    return {
        "description": "claude-tts: forward each event to the speech daemon "
        "(always exits 0, prints nothing)",
        **merged,
    }


def remove_hooks(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` without any of our hooks (and without the lists that held only ours)."""
    out = copy.deepcopy(settings)
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        return out
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                had_ours = any(_ours(h) for h in group["hooks"])
                group["hooks"] = [h for h in group["hooks"] if not _ours(h)]
                if had_ours and not group["hooks"]:
                    continue
            kept.append(group)
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks:
        del out["hooks"]
    return out


def read_settings(path: Path) -> dict[str, Any]:
    """The settings file as an object ({} if it does not exist). Raises on invalid JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ClaudeTTSError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "nothing was changed"
        ) from None
    if not isinstance(data, dict):
        raise ClaudeTTSError(f"{path} does not hold a JSON object; nothing was changed")
    return data


def render(settings: dict[str, Any]) -> str:
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def diff(path: Path, before: dict[str, Any], after: dict[str, Any]) -> str:
    return "".join(
        difflib.unified_diff(
            render(before).splitlines(keepends=True) if before else [],
            render(after).splitlines(keepends=True),
            fromfile=str(path),
            tofile=f"{path} (after)",
        )
    )


def write_settings(path: Path, settings: dict[str, Any]) -> Path | None:
    """Replace ``path`` atomically, keeping a timestamped backup of the old file (returned)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if path.exists():
        backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}")
        backup.write_bytes(path.read_bytes())
    write_text_exactly(path, render(settings))
    return backup


def write_text_exactly(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, keeping its permissions."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _record_file(record_dir: Path, path: Path) -> Path:
    digest = hashlib.sha256(str(path.absolute()).encode()).hexdigest()[:16]
    return record_dir / f"{digest}.json"


def remember_original(record_dir: Path, path: Path) -> None:
    """Before our first change to ``path``: keep its exact text (or that it did not exist), so
    that :func:`original_after_removal` can give it back byte for byte."""
    record = _record_file(record_dir, path)
    if record.exists():
        return  # the first install's original is the one to give back
    try:
        original: str | None = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        original = None
    record_dir.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"path": str(path.absolute()), "original": original}))


def original_after_removal(
    record_dir: Path, path: Path, after: dict[str, Any]
) -> tuple[bool, str | None]:
    """Whether the recorded original of ``path`` is what removing our hooks left (nothing else
    changed since), and that original's text (None: the file did not exist before us)."""
    record = _record_file(record_dir, path)
    try:
        original = json.loads(record.read_text(encoding="utf-8"))["original"]
    except (OSError, ValueError, KeyError, TypeError):
        return False, None
    if original is None:
        return after == {}, None
    try:
        # Compared as our removal would leave the original (it drops emptied "hooks" keys).
        return remove_hooks(json.loads(original or "{}")) == after, original
    except ValueError:
        return False, None


def forget_original(record_dir: Path, path: Path) -> None:
    _record_file(record_dir, path).unlink(missing_ok=True)
