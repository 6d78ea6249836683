"""macOS ``say``: the offline engine on a Mac, with the language's own voice (e.g. Kyoko)."""

from __future__ import annotations

import os
import shutil
import tempfile

from tts_core.audio import Audio, from_wav_bytes
from tts_core.engines import _subprocess
from tts_core.errors import EngineError

BASE_WPM = 185
# Voices that ship with macOS, one per common language.
DEFAULT_VOICES = {
    "en": "Samantha",
    "ja": "Kyoko",
    "zh": "Tingting",
    "ko": "Yuna",
    "fr": "Thomas",
    "de": "Anna",
    "es": "Monica",
    "it": "Alice",
    "pt": "Luciana",
    "ru": "Milena",
}


class SayEngine:
    name = "say"
    needs_network = False

    def __init__(self, voice: str | None = None, speed: float = 1.0) -> None:
        binary = shutil.which("say")
        if binary is None:
            raise EngineError("the 'say' command is missing (it ships with macOS only)")
        self.binary = binary
        self.voice = voice
        self.wpm = max(80, min(450, round(BASE_WPM * speed)))

    async def synthesize(self, text: str, lang: str) -> Audio:
        voice = self.voice or DEFAULT_VOICES.get(lang.split("-")[0].split("_")[0])
        fd, path = tempfile.mkstemp(suffix=".wav", prefix="claude-tts-")
        os.close(fd)
        try:
            argv = [
                self.binary,
                "-r",
                str(self.wpm),
                "-o",
                path,
                "--file-format=WAVE",
                "--data-format=LEI16@22050",
                "-f",
                "-",
            ]
            if voice:
                argv[1:1] = ["-v", voice]
            await _subprocess.run(argv, text)
            with open(path, "rb") as fh:
                data = fh.read()
        finally:
            os.unlink(path)
        try:
            return from_wav_bytes(data)
        except ValueError as exc:
            raise EngineError(f"say returned unreadable audio: {exc}") from None
