"""What ``install.sh`` installs, decided before its venv exists (standard library and the
language table only, so the system python3 can run it from the checkout).

    python3 -m tts_core.cli.install_plan [--language X] [--translate yes|no|auto]
                                         [--japanese-voice yes|no|auto]
                                         [--neural-voice yes|no|auto]

prints shell assignments: the language (our code and its name), whether translation (torch,
transformers, CTranslate2: a large download), the offline Japanese voice (Open JTalk,
~330 MB) and the language's natural offline voice (Piper for English, Kokoro for Japanese)
are needed, what that voice weighs, and the pip extras that follow. The language comes from
``--language``, else the ``language:`` line of the user's config file, else the locale
(``auto``).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from tts_core import paths as _paths
from tts_core.languages import catalog

NEURAL_VOICES = {
    "en": ("voice-en", "Piper (voice joe)", "about 190 MB"),
    "ja": ("voice-ja", "Kokoro", "about 175 MB, and a 92 MB model file made on first use"),
}
"""The natural offline voice of each language that has one: extra, name, size."""

_LANGUAGE_LINE = re.compile(r"^language:\s*['\"]?([^'\"#\s]+)", re.M)


def configured_language(config_file: Path) -> str:
    """The ``language:`` value of an existing config file (``auto`` when none)."""
    try:
        match = _LANGUAGE_LINE.search(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return "auto"
    return match.group(1) if match else "auto"


def plan(
    language: str | None, translate: str, japanese_voice: str, config_file: Path,
    environ: Mapping[str, str], neural_voice: str = "auto",
) -> dict[str, str]:  # fmt: skip
    """The install's choices. Raises catalog.UnknownLanguage for a language we cannot speak."""
    lang = catalog.resolve(language or configured_language(config_file), environ)
    english = catalog.lookup("en")
    needs_translation = lang.nllb != english.nllb
    do_translate = translate == "yes" or (translate == "auto" and needs_translation)
    do_japanese = japanese_voice == "yes" or (japanese_voice == "auto" and lang.code == "ja")
    # Kokoro reads Japanese through Open JTalk: its voice brings the [ja] extra along.
    neural = NEURAL_VOICES.get(lang.code) if neural_voice != "no" else None
    do_japanese = do_japanese or (neural is not None and lang.code == "ja")
    extras = [name for name, on in (("translate", do_translate), ("ja", do_japanese)) if on]
    if neural is not None:
        extras.append(neural[0])
    return {
        "language_code": lang.code,
        "language_name": lang.name,
        "translate": "1" if do_translate else "0",
        "japanese_voice": "1" if do_japanese else "0",
        "neural_voice": neural[1] if neural else "",
        "neural_voice_size": neural[2] if neural else "",
        "extras": ",".join(extras),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="install_plan")
    parser.add_argument("--language")
    parser.add_argument("--translate", choices=["yes", "no", "auto"], default="auto")
    parser.add_argument("--japanese-voice", choices=["yes", "no", "auto"], default="auto")
    parser.add_argument("--neural-voice", choices=["yes", "no", "auto"], default="auto")
    args = parser.parse_args(argv)
    config_file = _paths.resolve().config / _paths.CONFIG_FILE
    try:
        choices = plan(
            args.language, args.translate, args.japanese_voice, config_file, os.environ,
            args.neural_voice,
        )  # fmt: skip
    except catalog.UnknownLanguage as exc:
        print(f"install.sh: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write("".join(f"{k}={shlex.quote(v)}\n" for k, v in choices.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
