"""``claude-tts doctor``: is everything in place? Each check says what it found and, if it
failed, how to fix it."""

from __future__ import annotations

import os
import shlex
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tts_core import client
from tts_core import paths as _paths
from tts_core.errors import AudioUnavailable, ClaudeTTSError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tts_core.config.schema import TranslationOptions
    from tts_core.languages.catalog import Language


@dataclass(frozen=True)
class Check:
    """One line of ``claude-tts doctor``: what was checked, whether it is fine, and the fix."""

    name: str
    state: str  # ok, warn, fail, skip
    detail: str
    fix: str = ""


def run_checks(p: _paths.Paths, settings: Path, offline: bool = False) -> Iterator[Check]:
    yield _python()
    yield _venv()
    yield from _hooks(settings)
    yield _daemon(p)
    yield _audio()
    from tts_core.config import loader as config_file

    config = None
    try:
        user_file = p.config / config_file.USER_FILE
        config, _ = config_file.load([user_file])
        found = "is valid" if user_file.exists() else "does not exist: the defaults apply"
        yield Check("config", "ok", f"{user_file} {found}")
    except ClaudeTTSError as exc:
        yield Check("config", "fail", str(exc).splitlines()[-1], "claude-tts config check")
    if config is not None:
        target = config_file.translation_target(config, os.environ)
        if target is None:
            language = config_file.resolve_language(config.language, os.environ).name
            yield Check("translation", "skip", f"no translation ({language})")
        else:
            yield _model(p, config.translation.model)
            yield _translation_path(config.translation, target)
        yield _network(config.voice.gtts_tld, config.voice.engine, offline)


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))  # 3.11+: the package requires it
    return Check("python", "ok", f"{version} ({sys.executable})")


def _venv() -> Check:
    if sys.prefix != sys.base_prefix:
        return Check("venv", "ok", sys.prefix)
    return Check("venv", "warn", "not running from a virtual environment", "use ./install.sh")


def _hooks(settings: Path) -> Iterator[Check]:
    from tts_core.claude_code import settings as install

    try:
        data = install.read_settings(settings)
    except ClaudeTTSError as exc:
        yield Check("hooks", "fail", str(exc), f"repair {settings}, then ./install.sh")
        return
    hooks = data.get("hooks", {}) if isinstance(data.get("hooks"), dict) else {}
    ours = {
        event: hook["command"]
        for event, groups in hooks.items() if isinstance(groups, list)
        for group in groups if isinstance(group, dict)
        for hook in group.get("hooks", []) if install._ours(hook)
    }  # fmt: skip
    missing = [e for e in install.EVENTS if e not in ours]
    if not ours:
        yield Check("hooks", "fail", f"none in {settings}", "./install.sh")
        return
    if missing:
        yield Check("hooks", "warn", f"missing for {', '.join(missing)}", "./install.sh")
    else:
        yield Check("hooks", "ok", f"{len(ours)} events in {settings}")
    for command in sorted(set(ours.values())):
        parts = shlex.split(command)
        absent = [x for x in (parts[0], parts[-1]) if not os.path.exists(x)]
        if absent:
            yield Check("hook command", "fail", f"{', '.join(absent)} does not exist",
                        "./install.sh (it rewrites the command)")  # fmt: skip


def _daemon(p: _paths.Paths) -> Check:
    if client.is_running(p):
        return Check("daemon", "ok", f"answering on {p.socket}")
    return Check("daemon", "warn", f"not running (socket {p.socket})",
                 "claude-tts start (the hook also starts it on the next event)")  # fmt: skip


def _audio() -> Check:
    from tts_core.audio.player import Player

    try:
        name = Player().probe()
    except AudioUnavailable as exc:
        fix = "install libportaudio2 and check that a sound device or server is up"
        return Check("audio", "fail", str(exc), fix)
    return Check("audio", "ok", f"output device: {name}")


def _model(p: _paths.Paths, model: str) -> Check:
    try:
        from tts_core.translate.backends.base import is_downloaded

        found = is_downloaded(model, p.cache / "models")
    except ImportError:
        return Check("translation model", "fail", "torch/transformers are not installed",
                     "pip install 'claude-tts[translate]'")  # fmt: skip
    if os.path.isdir(model):
        return Check("translation model", "ok", f"local directory {model}")
    if found:
        return Check("translation model", "ok", f"{model} is downloaded")
    return Check("translation model", "fail", f"{model} is not downloaded",
                 "claude-tts download-model")  # fmt: skip


def _translation_path(options: TranslationOptions, target: Language) -> Check:
    """How translation will run here: backend, device, the speed-ups that apply."""
    from tts_core.languages.scripts import OUTPUT_SCRIPTS, script_of
    from tts_core.translate.backends.auto import choose
    from tts_core.translate.backends.base import TranslationError

    try:
        backend, device, dtype = choose(options.backend, options.device, options.dtype)
    except TranslationError as exc:
        return Check("translation path", "fail", str(exc), "fix translation.device/backend")
    what = f"{backend} {dtype} on {device}"
    script = script_of(target.nllb)
    if not options.limit_vocabulary:
        what += ", whole vocabulary (limit_vocabulary: false)"
    elif script in OUTPUT_SCRIPTS:
        what += f", vocabulary limited to the {script} script"
    else:
        what += f", whole vocabulary (no table for the {script} script)"
    if device == "cuda" and backend == "transformers" and options.compile:
        what += ", decoding compiled in the background after start"
    if backend == "torch-int8" and options.backend == "auto":
        return Check("translation path", "warn", f"{what}: CTranslate2 is not installed",
                     "pip install ctranslate2 (about 1.7x faster on the CPU)")  # fmt: skip
    return Check("translation path", "ok", what)


def _network(tld: str, engine: str, offline: bool) -> Check:
    if offline or engine == "offline" or ("gtts" not in engine and engine != "auto"):
        return Check("network", "skip", "no online voice to reach" if not offline else "--offline")
    host = f"translate.google.{tld}"
    allowed = os.environ.get("CLAUDE_TTS_ALLOW_HOSTS")
    if allowed is not None and host not in allowed.split(","):
        return Check("network", "skip", f"{host} is not allowed here (CLAUDE_TTS_ALLOW_HOSTS)")
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError as exc:
        return Check("network", "warn", f"cannot reach {host}: {exc}",
                     "check the connection; offline voices are used meanwhile")  # fmt: skip
    return Check("network", "ok", f"{host} is reachable")
