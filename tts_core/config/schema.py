"""The daemon's settings: one schema of frozen dataclasses. Pure: no I/O.

:mod:`tts_core.config.loader` reads YAML into these classes (with errors that name the file, the
key path, what was expected and what was found); ``config/default.yaml`` documents every key and
``config/schema.json`` is generated from these same classes for editors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tts_core.engines import registry

ENGINE_NAMES = registry.NAMES
"""Engine names a ``voice.engine`` chain may use: the registry's, never a copy."""
ENGINE_SPECS = registry.CHOICES
HOOK_EVENTS = ("Stop", "MessageDisplay", "Notification", "StopFailure", "PermissionRequest")
"""Events that ``speak.events`` can switch (UserPromptSubmit always stops speech; SubagentStop
follows ``speak.subagents``)."""
INSTALLED_EVENTS = ("Stop", "MessageDisplay", "UserPromptSubmit", "Notification", "StopFailure",
                    "SubagentStop", "PermissionRequest")  # fmt: skip
"""Every event our hook is installed for (settings.json by the installer, ``hooks/hooks.json``
for the plugin): the switchable ones, UserPromptSubmit and SubagentStop."""

RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("VoiceOptions", "speed"): (0.5, 3.0),
    ("VoiceOptions", "volume"): (0.0, 1.0),
    ("VoiceOptions", "gtts_timeout_s"): (0.1, 60.0),
    ("VoiceOptions", "gtts_retries"): (0, 10),
    ("VoiceOptions", "breaker_failures"): (1, 100),
    ("VoiceOptions", "breaker_cooldown_s"): (0.0, 3600.0),
    ("VoiceOptions", "cache_mb"): (0, 100_000),
    ("VoiceOptions", "kokoro_threads"): (0, 256),
    ("FilterOptions", "code_max_chars"): (0, 10_000),
    ("FilterOptions", "max_sentences"): (1, 10_000),
    ("FilterOptions", "max_chars"): (1, 1_000_000),
    ("FilterOptions", "max_sentence_chars"): (40, 10_000),
    ("SpeakOptions", "transcript_wait_s"): (0.0, 5.0),
    ("SessionOptions", "stale_after_s"): (1.0, 86_400.0),
}
"""The allowed span of each numeric setting: the reader enforces it, and the generated
``config/default.yaml`` comments and ``config/schema.json`` (minimum/maximum) state it."""

GOOGLE_TLDS = frozenset(
    """
com ad ae com.af com.ag al am co.ao com.ar as at com.au az ba com.bd be bf bg com.bh bi bj
com.bn com.bo com.br bs bt co.bw by com.bz ca cat cd cf cg ch ci co.ck cl cm cn com.co co.cr
com.cu cv com.cy cz de dj dk dm com.do dz com.ec ee com.eg es com.et fi com.fj fm fr ga ge gg
com.gh com.gi gl gm gr com.gt gy com.hk hn hr ht hu co.id ie co.il im co.in iq is it je com.jm
jo co.jp co.ke com.kh ki kg co.kr com.kw kz la com.lb li lk co.ls lt lu lv com.ly co.ma md me
mg mk ml com.mm mn com.mt mu mv mw com.mx com.my co.mz com.na com.ng com.ni ne nl no com.np nr
nu co.nz com.om com.pa com.pe com.pg com.ph com.pk pl pn com.pr ps pt com.py com.qa ro rs ru
rw com.sa com.sb sc se com.sg sh si sk com.sl sn so sm sr st com.sv td tg co.th com.tj tl tm
tn to com.tr tt com.tw co.tz com.ua co.ug co.uk com.uy co.uz com.vc co.ve co.vi com.vn vu ws
co.za co.zm co.zw
""".split()  # noqa: SIM905 (a table to read, not a list to count)
)
"""Google's own domains (``translate.google.<tld>``): the only hosts ``voice.gtts_tld`` can
name. Anything else (``com@host:8443``) would send every sentence to another host."""

CodeMode = Literal["skip", "announce", "read_short"]


@dataclass(frozen=True)
class Rule:
    """A user regex applied to the text before it is filtered."""

    pattern: str
    """A Python regular expression."""
    replace: str | None = None
    """Replacement (\\1 backreferences allowed); null drops the whole sentence it matches."""


@dataclass(frozen=True)
class FilterOptions:
    """What of Claude's markdown is spoken."""

    code_blocks: CodeMode = "skip"
    """``skip`` silently, ``announce`` ("code block"), or ``read_short`` (read if shorter than
    ``code_max_chars``, else announce)."""
    code_max_chars: int = 80
    """Longest code block ``read_short`` reads out."""
    urls: Literal["host", "drop"] = "host"
    """A bare URL becomes "a link to <host>" or nothing."""
    tables: Literal["skip", "summarize"] = "summarize"
    """A table is skipped or summarized ("a table with 4 rows")."""
    symbols: Literal["pattern", "skip"] = "pattern"
    """Inline code that is mostly symbols (a regular expression): said as "a pattern", or
    skipped."""
    spell_dots: bool = False
    """Say ``config.yaml`` as "config dot yaml" (for voices that swallow the dot)."""
    max_sentences: int = 40
    """Sentences spoken per message at most; then "and more"."""
    max_chars: int = 4000
    """Characters spoken per message at most; then "and more"."""
    max_sentence_chars: int = 200
    """Longer sentences are cut at clauses (translation and voices degrade on long input)."""
    rules: tuple[Rule, ...] = ()
    """Your own regex replace/drop rules, applied in order to each message."""


@dataclass(frozen=True)
class TranslationOptions:
    """Translation of Claude's English into the spoken language (NLLB-200)."""

    enabled: bool = True
    """Translate when the spoken language differs from the source language."""
    model: str = "facebook/nllb-200-distilled-600M"
    """Hugging Face model id (600M, 1.3B, 3.3B distilled or not) or a local directory."""
    backend: Literal["auto", "transformers", "ctranslate2", "torch-int8"] = "auto"
    """``auto``: CTranslate2 int8 on the CPU (torch int8 without it), transformers on a GPU:
    the fastest measured for each (README)."""
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    """``auto``: Apple MPS, else CUDA, else CPU."""
    dtype: Literal["auto", "float32", "float16", "bfloat16", "int8"] = "auto"
    """``auto``: float16 on a GPU, the fastest correct choice on CPU."""
    glossary: dict[str, str] = field(default_factory=dict)
    """Terms kept or translated your way, e.g. ``{daemon: デーモン}``."""
    until_ready: Literal["wait", "untranslated"] = "wait"
    """While the model loads: hold speech until it is ready, or speak it untranslated."""
    limit_vocabulary: bool = True
    """Let the model write only pieces of the target language's script (and the sentence's own
    words): a fraction of the output layer's work per token. Off: all 256k pieces."""
    compile: bool = True
    """On CUDA: a static cache and a compiled decoding step (CUDA graphs), compiled in the
    background after start for a few input sizes; eager until then and for other sizes."""


@dataclass(frozen=True)
class VoiceOptions:
    """How speech is synthesized and played."""

    engine: str = "auto"
    """``auto`` (gTTS, then the best offline voice installed for the language), ``offline``,
    an engine name (``gtts``, ``piper``, ``kokoro``, ``espeak``, ``say``, ``openjtalk``) or a
    comma-separated chain."""
    voice: str | None = None
    """Engine-specific voice name (say: Kyoko; espeak-ng: en-us); null picks the language's
    default."""
    speed: float = 1.0
    """Speaking rate multiplier."""
    volume: float = 1.0
    """Output gain."""
    output_device: str | None = None
    """Output device by (part of its) name; null is the system default."""
    gtts_tld: str = "com"
    """Google host suffix, which sets the accent (``co.uk``, ``com.au``, ``co.jp``): one of
    Google's own domains."""
    gtts_endpoint: str | None = None
    """Send gTTS requests to this https://host:port instead of Google (a proxy, or tests). Only
    your own config file can set it; its certificate is verified like Google's (a private CA:
    ``REQUESTS_CA_BUNDLE``), and its audio never enters the shared cache."""
    gtts_timeout_s: float = 4.0
    """Timeout of each gTTS request, in seconds."""
    gtts_retries: int = 2
    """Retries (with backoff) of a gTTS request answered 429 or 5xx."""
    breaker_failures: int = 3
    """After this many gTTS failures in a row, use the offline engine for a while..."""
    breaker_cooldown_s: float = 60.0
    """...this many seconds, then try gTTS again."""
    cache_mb: int = 200
    """Size of the on-disk audio cache in MB (0 turns it off)."""
    kokoro_threads: int = 0
    """CPU threads of the Kokoro voice (Japanese); 0: half the cores, at least 1."""


@dataclass(frozen=True)
class SpeakOptions:
    """What is spoken, and when."""

    mode: Literal["turn", "final", "stream"] = "stream"
    """``turn``: every text block of the turn, at Stop; ``final``: only the last block;
    ``stream``: blocks as Claude writes them."""
    events: tuple[str, ...] = (
        "Stop", "MessageDisplay", "Notification", "StopFailure", "PermissionRequest",
    )  # fmt: skip
    """Hook events that may speak: Stop, MessageDisplay (streamed text used at Stop),
    Notification, StopFailure, PermissionRequest (the moment Claude asks for a tool; the
    permission_prompt Notification for the same ask then adds nothing)."""
    headless: bool = False
    """Speak for ``claude -p`` runs too (CLAUDE_CODE_SESSION_ATTENDED=0)."""
    subagents: bool = False
    """Speak what subagents report when they finish."""
    notification_types: tuple[str, ...] = ("permission_prompt",)
    """Notification types that are spoken."""
    quiet_while_mic_in_use: bool = True
    """Hold speech while another application records from a microphone (a call), and go on
    when it stops (PulseAudio or PipeWire, through ``pactl``; unsupported on macOS). Recording
    what the speakers play (a monitor source) does not count."""
    transcript_wait_s: float = 0.4
    """How long a Stop waits for the transcript to catch up (interactive UI: 60-75 ms late)."""


@dataclass(frozen=True)
class SessionOptions:
    """Several Claude Code sessions sharing one voice."""

    speaker_cue: Literal["none", "name", "chime"] = "name"
    """When another session starts talking: say its project name, a chime, or nothing."""
    stale_after_s: float = 60.0
    """Queued speech older than this is dropped (time spent paused or quiet for a call is not
    counted, unless ``stale_while_held``)."""
    stale_while_held: bool = False
    """Count the time speech is held (``claude-tts pause``, a microphone in use) toward
    ``stale_after_s``: what waits through a long pause is then dropped, not said late."""
    catch_up: bool = True
    """After speech was dropped as stale, say once at the next prompt or ``resume`` what each
    session lost ("web: two answers skipped. api-server asked for permission.")."""


@dataclass(frozen=True)
class Config:
    """Every setting. Replace the whole object to change any of them."""

    enabled: bool = True
    """Master switch: false keeps the daemon running but silent."""
    language: str = "auto"
    """Language you hear (``ja``, ``japanese``, ``jpn_Jpan``); ``auto`` takes it from your
    locale (LANG=ja_JP.UTF-8 -> Japanese), English if it cannot tell."""
    source_language: str = "en"
    """Language Claude writes in."""
    translation: TranslationOptions = field(default_factory=TranslationOptions)
    voice: VoiceOptions = field(default_factory=VoiceOptions)
    speak: SpeakOptions = field(default_factory=SpeakOptions)
    filters: FilterOptions = field(default_factory=FilterOptions)
    sessions: SessionOptions = field(default_factory=SessionOptions)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Detail of the daemon log."""
