"""Permission asks: what is said when Claude asks to use a tool, and which later Notification
says the same thing.

Claude Code sends ``PermissionRequest`` the moment it asks, and a ``Notification``
(``permission_prompt``) for the same ask only after about 6 s without typing. We speak the
first (:func:`ask_sentence`) and let :class:`Asks` recognise the second: a permission prompt
of the **same session**, at most :data:`ASK_WINDOW_S` after an ask that no prompt has matched
yet, and whose message names no tool or the **same tool** ("Claude needs your permission to
use Bash"), adds nothing. Each ask absorbs one prompt at most, oldest first; a new prompt of
the user's forgets the session's asks (they were answered). Pure: no I/O; must not import the
daemon or the pipeline.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict, deque
from typing import Any

from tts_core.text.credentials import hide_in_message

ASK_WINDOW_S = 120.0
"""How long after an ask its permission prompt Notification is still taken for the same ask
(Claude Code sends it after ~6 s idle; a busy machine or a slow hook may add seconds)."""
INPUT_READ_MAX = 4000
"""Characters of the tool input looked at (secrets are hidden in them before the cut)."""
INPUT_SAID_MAX = 100
"""Characters of the tool input said at most: the ask, not the whole script."""
TOOL_MAX = 64
SESSIONS_MAX = 256
ASKS_PER_SESSION = 8
_DETAIL_KEYS = ("command", "file_path", "notebook_path", "path", "url", "pattern", "query",
                "prompt", "description", "skill")  # fmt: skip
"""The tool input field that says what the tool would do, in order of preference."""
_NAMES_TOOL = re.compile(r"\bto use ([\w.:-]+)")


def _detail(tool_input: Any) -> str:
    if isinstance(tool_input, str):
        return tool_input
    if not isinstance(tool_input, dict):
        return ""
    for key in _DETAIL_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return next((v for v in tool_input.values() if isinstance(v, str) and v.strip()), "")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip() + " ..."


def tool_name(tool: str) -> str:
    """A tool's name as we say and match it: the characters a tool name is made of, bounded
    (a payload field: anything else is dropped)."""
    return re.sub(r"[^\w.:-]", "", tool)[:TOOL_MAX]


def ask_sentence(tool: str, tool_input: Any) -> str:
    """``Claude asks to run Bash: `npm test```: markdown for the text filter (which says the
    input as it says inline code). Secrets in the input are hidden before it is cut, so that a
    cut never leaves half a key for the filter to miss."""
    tool = tool_name(tool) or "a tool"
    detail = " ".join(hide_in_message(_detail(tool_input)[:INPUT_READ_MAX]).split())
    detail = _cut(detail, INPUT_SAID_MAX).replace("`", "'")
    asks = f"Claude asks to {'run' if tool == 'Bash' else 'use'} {tool}"
    return f"{asks}: `{detail}`" if detail else f"{asks}."


class Asks:
    """The asks spoken and not yet matched by their Notification, per session."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._open: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()

    def asked(self, session: str, tool: str) -> None:
        """An ask of ``session`` for ``tool`` was spoken."""
        asks = self._open.setdefault(session, deque(maxlen=ASKS_PER_SESSION))
        self._open.move_to_end(session)
        asks.append((self._clock(), tool_name(tool)))  # as a Notification names it
        while len(self._open) > SESSIONS_MAX:
            self._open.popitem(last=False)

    def answered(self, session: str) -> None:
        """The user acted in ``session`` (a prompt): its asks are over."""
        self._open.pop(session, None)

    def repeats(self, session: str, message: str) -> bool:
        """Whether a permission prompt Notification with ``message`` says an ask of
        ``session`` spoken already (that ask is then used up)."""
        asks = self._open.get(session)
        if not asks:
            return False
        now = self._clock()
        while asks and now - asks[0][0] > ASK_WINDOW_S:
            asks.popleft()
        named = _NAMES_TOOL.search(message)
        for i, (_, tool) in enumerate(asks):
            if named is None or named.group(1) == tool:
                del asks[i]
                return True
        return False
