"""Live reload: watch the config file's directory with watchdog and call back after a pause.

Watches the directory, not the file: editors save by writing a new file and renaming it over
the old one (vim, most IDEs), which a watch on the file itself would lose. Bursts of events
(one save can make four) are debounced into one reload. The callback runs on the event loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEBOUNCE_S = 0.2
CHANGES = frozenset({"modified", "created", "moved", "deleted", "closed", "attrib"})
"""watchdog's event types that can change a file or whether we may read it ("closed" is a close
after writing, "attrib" a chmod or chown; "opened" and "closed_no_write" are reads)."""


class ConfigWatcher:
    """Calls back on the event loop when the user's config file may have changed (watchdog on its
    folder, debounced). Knows nothing of what the file means."""

    def __init__(
        self,
        path: Path,
        on_change: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
        debounce_s: float = DEBOUNCE_S,
    ) -> None:
        self.path = path
        self.on_change = on_change
        self.loop = loop
        self.debounce_s = debounce_s
        self._timer: asyncio.TimerHandle | None = None
        self._observer: Any = None

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self
        name = self.path.name

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                # Only what changes the file: never the opens and closes of our own reads,
                # which would make every reload trigger the next one, forever.
                if event.is_directory or event.event_type not in CHANGES:
                    return
                paths = (event.src_path, getattr(event, "dest_path", "") or "")
                if any(os.path.basename(os.fsdecode(p)) == name for p in paths if p):
                    watcher.loop.call_soon_threadsafe(watcher._poke)

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._observer = Observer()
        self._observer.schedule(Handler(), str(self.path.parent), recursive=False)
        self._observer.daemon = True
        self._observer.start()

    def _poke(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_later(self.debounce_s, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.on_change()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
