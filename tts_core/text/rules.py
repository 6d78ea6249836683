"""The user's own regex rules (``filters.rules``), each bounded in time. Pure: no I/O.

A rule such as ``^(\\w+\\s*)*$`` backtracks for minutes on a long line; Python's ``re`` holds
the GIL all that while, so one bad rule froze the daemon for every session, again after each
restart. Rules run on the ``regex`` package instead: with a time limit per call, and without
holding the GIL (``concurrent=True``). A rule that runs out of time is skipped for that message
and reported through ``on_timeout``, so the daemon can switch it off and say so in ``status``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import regex

from tts_core.config.schema import Rule

TIMEOUT_S = 0.25
"""Longest one rule may take on one message (or one sentence, for a drop rule)."""

OnTimeout = Callable[[Rule], None]


@functools.lru_cache(maxsize=128)
def _compiled(pattern: str) -> Any:
    return regex.compile(pattern)  # VERSION0: the syntax of Python's re


def apply_replacements(text: str, rules: Sequence[Rule], on_timeout: OnTimeout) -> str:
    """``text`` with every replace rule applied in order (a rule out of time is skipped)."""
    for rule in rules:
        if rule.replace is None:
            continue
        try:
            text = _compiled(rule.pattern).sub(
                rule.replace, text, timeout=TIMEOUT_S, concurrent=True
            )
        except TimeoutError:
            on_timeout(rule)
    return text


def dropped(sentence: str, rules: Sequence[Rule], on_timeout: OnTimeout) -> bool:
    """Whether a drop rule (one without a replacement) matches ``sentence``."""
    for rule in rules:
        if rule.replace is not None:
            continue
        try:
            if _compiled(rule.pattern).search(sentence, timeout=TIMEOUT_S, concurrent=True):
                return True
        except TimeoutError:
            on_timeout(rule)
    return False


def too_slow(rule: Rule) -> str:
    """What ``status`` says about a rule that was switched off."""
    return (
        f"filters.rules pattern {rule.pattern!r:.80} switched off: it took over {TIMEOUT_S:g} s "
        "on one message (a pattern that backtracks); fix it in your config file"
    )
