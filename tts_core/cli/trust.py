"""``claude-tts trust``: let one project's ``.claude/claude-tts.yaml`` set every key.

Like direnv's ``allow``: the user names the folder, sees what the file would set beyond what
any project may, and the file's exact content is recorded (its sha256, in the user's own state).
Any change to the file makes it untrusted again. The daemon re-reads the store when it changes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from tts_core import paths as _paths
from tts_core.config import loader, trust
from tts_core.errors import ClaudeTTSError


def project_file(folder: str) -> Path:
    """The project file of ``folder``, as the daemon names it (absolute, links not resolved:
    Claude Code passes the folder as the user opened it)."""
    return Path(os.path.abspath(os.path.expanduser(folder))) / loader.PROJECT_FILE


def cmd_trust(args: argparse.Namespace, p: _paths.Paths) -> int:
    store = trust.TrustStore(p.trusted_projects)
    if args.list:
        return _list(store)
    file = project_file(args.dir)
    if args.revoke:
        if store.revoke(file):
            print(f"{file}: no longer trusted; a project may set only its own keys again")
        else:
            print(f"{file}: was not trusted")
        return 0
    text = loader.read_file(file, loader.MAX_PROJECT_BYTES)
    if text is None:
        raise ClaudeTTSError(f"no project config at {file}")
    data = loader.parse_text(text, file)
    loader.validate(data, file)  # a file with errors is not worth trusting
    _, beyond = trust.split_project(data)
    store.trust(file, text.encode("utf-8"))
    if beyond:
        print(f"{file} may now set what only your own config sets: {', '.join(beyond)}")
    else:
        print(f"{file} sets nothing beyond what any project may; trusted all the same")
    sha = trust.digest(text.encode("utf-8"))[:16]
    undo = f"claude-tts trust --revoke {file.parent.parent}"
    print(f"trusted as it is now (sha256 {sha}); a change makes it untrusted (undo: {undo})")
    return 0


def _list(store: trust.TrustStore) -> int:
    entries = store.entries()
    if not entries:
        print("no project is trusted")
    for name, sha in sorted(entries.items()):
        text = None
        with contextlib.suppress(ClaudeTTSError):
            text = loader.read_file(Path(name), loader.MAX_PROJECT_BYTES)
        if text is None:
            state = "missing or unreadable"
        elif trust.digest(text.encode("utf-8")) == sha:
            state = "trusted"
        else:
            state = "changed since it was trusted: untrusted until you trust it again"
        print(f"{name}: {state}")
    return 0
