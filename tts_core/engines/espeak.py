"""espeak-ng: the offline engine on Linux. Fast (10-25 ms a sentence); poor at kanji."""

from __future__ import annotations

import shutil

from tts_core.audio import Audio, from_wav_bytes
from tts_core.engines import _subprocess
from tts_core.errors import EngineError

BASE_WPM = 175


class EspeakEngine:
    name = "espeak"
    needs_network = False

    def __init__(self, voice: str | None = None, speed: float = 1.0) -> None:
        binary = shutil.which("espeak-ng") or shutil.which("espeak")
        if binary is None:
            raise EngineError("espeak-ng is not installed (Debian/Ubuntu: apt install espeak-ng)")
        self.binary = binary
        self.voice = voice
        self.wpm = max(80, min(450, round(BASE_WPM * speed)))

    async def synthesize(self, text: str, lang: str) -> Audio:
        # -b 1: input is UTF-8; text goes through stdin so it is never taken for an option.
        argv = [self.binary, "--stdout", "-b", "1", "-v", self.voice or lang, "-s", str(self.wpm)]
        data = await _subprocess.run(argv, text)
        try:
            return from_wav_bytes(data)
        except ValueError as exc:
            raise EngineError(f"espeak-ng returned unreadable audio: {exc}") from None
