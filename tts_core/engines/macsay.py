"""macOS ``say``: the offline engine on a Mac, with the language's own voice (e.g. Kyoko)."""

from __future__ import annotations

import os
import shutil
import tempfile

from tts_core.audio.pcm import Audio, from_wav_bytes
from tts_core.config.schema import VoiceOptions
from tts_core.engines import _subprocess
from tts_core.engines.base import OneShot
from tts_core.errors import EngineError
from tts_core.languages.catalog import Language

BASE_WPM = 185


class SayEngine(OneShot):
    """macOS ``say`` as a subprocess. Must not import another engine."""

    name = "say"
    needs_network = False

    def __init__(self, options: VoiceOptions | None = None) -> None:
        opts = options or VoiceOptions()
        binary = shutil.which("say")
        if binary is None:
            raise EngineError("the 'say' command is missing (it ships with macOS only)")
        self.binary = binary
        if opts.voice is not None and opts.voice not in self.voices():
            raise EngineError(f"say has no voice {opts.voice!r} (say -v '?' lists them)")
        self.voice = opts.voice
        self.wpm = max(80, min(450, round(BASE_WPM * opts.speed)))

    def voices(self) -> list[str]:
        """Voice names ``say -v ?`` lists on this Mac."""
        import subprocess

        try:  # bounded: it runs when a chain is built
            out = subprocess.run(
                [self.binary, "-v", "?"], capture_output=True, text=True, timeout=10
            ).stdout
        except subprocess.TimeoutExpired:
            return []
        return [line.split("  ")[0].strip() for line in out.splitlines() if line.strip()]

    async def synthesize(self, text: str, lang: Language) -> Audio:
        voice = self.voice or lang.say_voice
        fd, path = tempfile.mkstemp(suffix=".wav", prefix="claude-tts-")
        os.close(fd)
        try:
            argv = [self.binary, "-r", str(self.wpm), "-o", path, "--file-format=WAVE",
                    "--data-format=LEI16@22050", "-f", "-"]  # fmt: skip
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
