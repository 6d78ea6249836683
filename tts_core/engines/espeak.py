"""espeak-ng: the offline engine on Linux. Fast (10-25 ms a sentence); poor at kanji."""

from __future__ import annotations

import shutil
import subprocess

from tts_core.audio.pcm import Audio, from_wav_bytes
from tts_core.config.schema import VoiceOptions
from tts_core.engines import _subprocess
from tts_core.engines.base import OneShot
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language

BASE_WPM = 175


class EspeakEngine(OneShot):
    """espeak-ng as a subprocess (offline, fast). Must not import another engine."""

    name = "espeak"
    needs_network = False

    def __init__(self, options: VoiceOptions | None = None) -> None:
        opts = options or VoiceOptions()
        binary = shutil.which("espeak-ng") or shutil.which("espeak")
        if binary is None:
            raise EngineError("espeak-ng is not installed (Debian/Ubuntu: apt install espeak-ng)")
        self.binary = binary
        if opts.voice is not None and not _is_voice(binary, opts.voice):
            # espeak-ng takes a path here too: '../../x' would load any file as voice data.
            raise EngineError(
                f"espeak-ng has no voice {opts.voice!r} (claude-tts voices lists them; a "
                "variant goes after a +, as in en-us+f3)"
            )
        self.voice = opts.voice
        self.wpm = max(80, min(450, round(BASE_WPM * opts.speed)))

    async def synthesize(self, text: str, lang: Language) -> Audio:
        voice = self.voice or lang.espeak
        if voice is None:
            raise EngineError(f"espeak-ng has no voice for {lang.name}")
        # -b 1: input is UTF-8; text goes through stdin so it is never taken for an option.
        argv = [self.binary, "--stdout", "-b", "1", "-v", voice, "-s", str(self.wpm)]
        data = await _subprocess.run(argv, text)
        try:
            return from_wav_bytes(data)
        except ValueError as exc:
            raise EngineError(f"espeak-ng returned unreadable audio: {exc}") from None

    def voices(self) -> list[str]:
        """Voice names espeak-ng knows on this machine."""
        return [row[1] for row in _listing(self.binary, "")]


_LISTINGS: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {}


def _listing(binary: str, kind: str) -> tuple[tuple[str, ...], ...]:
    """``espeak-ng --voices[=kind]``: (priority, language, age/gender, name, file) rows.
    Kept once read; a listing that failed (a slow start on a busy machine) is asked again."""
    if (binary, kind) in _LISTINGS:
        return _LISTINGS[binary, kind]
    argv = [binary, f"--voices={kind}" if kind else "--voices"]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ()
    rows = tuple(tuple(line.split()[:5]) for line in out.splitlines()[1:] if len(line.split()) >= 5)
    if rows:
        _LISTINGS[binary, kind] = rows
    return rows


def _is_voice(binary: str, value: str) -> bool:
    """Whether ``value`` names one of espeak-ng's voices (its language code, name or file),
    with an optional ``+variant`` of its variants: never a path of another kind."""
    voice, _, variant = value.partition("+")
    names = {name for row in _listing(binary, "") for name in (row[1], row[3], row[4])}
    if voice not in names:
        return False
    if not variant:
        return True
    variants = {n for row in _listing(binary, "variant") for n in (row[3], row[4].split("/")[-1])}
    return variant in variants
