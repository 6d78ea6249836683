"""The daemon's settings as one immutable object. Pure: no I/O beyond what callers hand in.

This first version holds the settings the backbone needs, with their defaults; the YAML file,
its schema errors and live reload build on this same frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

CodeMode = Literal["skip", "announce", "read_short"]


@dataclass(frozen=True)
class FilterOptions:
    """What the filter keeps. Defaults suit a listener who is not looking at the screen."""

    code_blocks: CodeMode = "skip"
    """``skip`` silently, ``announce`` ("code block"), or ``read_short`` (read if shorter than
    ``code_max_chars``, else announce)."""
    code_max_chars: int = 80
    urls: Literal["host", "drop"] = "host"
    """A bare URL becomes "a link to <host>" or nothing."""
    tables: Literal["skip", "summarize"] = "summarize"
    spell_dots: bool = False
    """Say ``config.yaml`` as "config dot yaml" (for engines that swallow the dot)."""
    max_sentences: int = 40
    max_chars: int = 4000
    max_sentence_chars: int = 200


@dataclass(frozen=True)
class VoiceOptions:
    """How speech is synthesized and played."""

    engine: str = "auto"
    """``auto`` (gTTS, then the offline engine for the language), ``offline``, an engine name
    (``gtts``, ``espeak``, ``say``, ``openjtalk``) or a comma-separated chain."""
    voice: str | None = None
    """Engine-specific voice name (``say``: ``Kyoko``; espeak-ng: ``en-us``); None picks the
    language's default."""
    speed: float = 1.0
    """Speaking rate multiplier (0.5 to 3.0)."""
    volume: float = 1.0
    """Output gain, 0 to 1."""
    output_device: str | None = None
    """PortAudio output device by (part of its) name; None is the system default."""
    gtts_tld: str = "com"
    """Google host suffix, which sets the accent (``co.uk``, ``com.au``, ``co.jp``)."""
    gtts_endpoint: str | None = None
    """Send gTTS requests to this ``https://host:port`` instead of Google (a proxy, or tests)."""
    gtts_timeout_s: float = 4.0
    """Timeout of each gTTS request."""
    gtts_retries: int = 2
    """Retries (with backoff) of a gTTS request answered 429 or 5xx."""
    breaker_failures: int = 3
    """After this many gTTS failures in a row, use the offline engine for a while..."""
    breaker_cooldown_s: float = 60.0
    """...this long, then try gTTS again."""
    cache_mb: int = 200
    """Size of the on-disk audio cache (0 turns it off)."""


@dataclass(frozen=True)
class Config:
    """Every setting the daemon reads. Replace the whole object to change any of them."""

    enabled: bool = True
    """Master switch: False keeps the daemon running but silent."""
    language: str = "en"
    """Language the speech is spoken in (engine voice selection)."""
    voice: VoiceOptions = field(default_factory=VoiceOptions)
    """Engines, voice, speed, volume and output device."""
    speak_headless: bool = False
    """Speak for ``claude -p`` runs (CLAUDE_CODE_SESSION_ATTENDED=0); off so scripts stay quiet."""
    speak_subagents: bool = False
    """Speak SubagentStop results."""
    notification_types: tuple[str, ...] = ("permission_prompt",)
    """Notification types that are spoken (their ``message``)."""
    transcript_wait_s: float = 0.4
    """How long a Stop waits for the transcript to catch up (interactive UI: 60-75 ms late)."""
    filters: FilterOptions = field(default_factory=FilterOptions)
    """What of Claude's markdown is spoken (code blocks, URLs, tables, length limits)."""
