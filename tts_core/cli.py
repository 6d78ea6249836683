"""The ``claude-tts`` command line. ``main(argv) -> int`` with one error boundary.

Expected errors print one line and exit 1; unexpected ones print where the traceback was saved
and exit 3; Ctrl-C exits 130. Heavy modules (daemon, engines) are imported only by the
subcommands that need them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from tts_core import __version__, client
from tts_core import paths as _paths
from tts_core.errors import ClaudeTTSError, ConfigError, DaemonNotRunning, DaemonTimeout
from tts_core.protocol import Error, Message, Say, Shutdown, Shutup, StatusReply, StatusRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tts_core.config import Config
    from tts_core.languages import Language


def _check(reply: Message) -> Message:
    if isinstance(reply, Error):
        raise ClaudeTTSError(f"the daemon refused: {reply.message}")
    return reply


def cmd_serve(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core.lifecycle import serve

    serve(p, verbose=args.verbose)
    return 0


def cmd_start(args: argparse.Namespace, p: _paths.Paths) -> int:
    if client.is_running(p):
        print("claude-tts daemon is already running")
        return 0
    client.spawn_daemon(p, force=True)
    if not client.wait_until_running(p, timeout=args.wait):
        raise ClaudeTTSError(
            f"the daemon did not come up within {args.wait:g} s; see {p.daemon_log}"
        )
    print(f"claude-tts daemon started (socket {p.socket})")
    return 0


def cmd_stop(args: argparse.Namespace, p: _paths.Paths) -> int:
    try:
        client.request(Shutdown(), paths=p)
    except DaemonNotRunning:
        print("claude-tts daemon is not running")
        return 0
    except DaemonTimeout:
        _terminate_from_pidfile(p)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if not p.socket.exists() and not client.is_running(p, timeout=0.2):
            print("claude-tts daemon stopped")
            return 0
        time.sleep(0.05)
    raise ClaudeTTSError(f"the daemon did not stop within {args.timeout:g} s")


def _terminate_from_pidfile(p: _paths.Paths) -> None:
    try:
        pid = int(p.pidfile.read_text().strip())
    except (OSError, ValueError):
        raise ClaudeTTSError(f"the daemon does not answer and {p.pidfile} is unreadable") from None
    os.kill(pid, signal.SIGTERM)


def cmd_status(args: argparse.Namespace, p: _paths.Paths) -> int:
    try:
        reply = _check(client.request(StatusRequest(), paths=p))
    except DaemonNotRunning:
        if args.json:
            print(json.dumps({"running": False, "socket": str(p.socket)}))
        else:
            print(f"claude-tts daemon: not running (socket {p.socket})")
        return 1
    assert isinstance(reply, StatusReply)
    status = {"running": True, **reply.status}
    if args.json:
        print(json.dumps(status, ensure_ascii=False))
        return 0
    c = status["counters"]
    print(f"claude-tts daemon: running, pid {status['pid']}, up {status['uptime_s']:.0f} s")
    print(f"  audio device: {status['audio_device'] or 'none'}   engine: {status['engine']}")
    print(f"  speaking: {'yes' if status['speaking'] else 'no'}   queue: {status['queue_length']}")
    print(
        f"  events: {c['received']} received, {c['spoken']} spoken, {c['dropped']} dropped, "
        f"{c['failed']} failed"
    )
    print(f"  last error: {status['last_error'] or 'none'}")
    print(f"  log: {status['log_file']}")
    return 0


def cmd_say(args: argparse.Namespace, p: _paths.Paths) -> int:
    text = " ".join(args.text)
    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        raise ClaudeTTSError("nothing to say")
    if args.output:
        return _say_to_file(text, args, p)
    if not client.is_running(p):
        client.spawn_daemon(p, force=True)
        if not client.wait_until_running(p, timeout=10.0):
            raise ClaudeTTSError(f"could not start the daemon; see {p.daemon_log}")
    _check(client.request(Say(text=text, lang=args.lang, engine=args.engine), paths=p))
    return 0


def _user_config(p: _paths.Paths) -> Config:
    """The user's config file over the defaults (what the daemon would use)."""
    from tts_core import config_file

    config, warnings = config_file.load([p.config / config_file.USER_FILE])
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return config


def _language(value: str | None, config: Config) -> Language:
    from tts_core import config_file, languages

    return (
        languages.lookup(value)
        if value
        else config_file.resolve_language(config.language, os.environ)
    )


def _say_to_file(text: str, args: argparse.Namespace, p: _paths.Paths) -> int:
    from dataclasses import replace

    from tts_core import engines, textfilter
    from tts_core.audio import Audio, concat, silence, write_wav
    from tts_core.engines.chain import build_chain

    config = _user_config(p)
    voice = replace(config.voice, engine=args.engine) if args.engine else config.voice
    lang = _language(args.lang, config)
    engine = build_chain(voice, lang)

    async def render() -> list[Audio]:
        said = textfilter.sentences(text, config.filters, lang.code)
        return [await engines.render(engine, s, lang) for s in said]

    clips = asyncio.run(render())
    if not clips:
        raise ClaudeTTSError("nothing speakable in that text")
    gap = silence(0.1, clips[0].rate)
    joined = concat([part for clip in clips for part in (clip, gap)])
    write_wav(Path(args.output), joined)
    print(f"wrote {args.output} ({joined.duration_s:.2f} s)")
    return 0


def cmd_preview(args: argparse.Namespace, p: _paths.Paths) -> int:
    from dataclasses import replace

    from tts_core import textfilter

    if args.file in (None, "-"):
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ClaudeTTSError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    config = _user_config(p)
    options = config.filters
    if args.code:
        options = replace(options, code_blocks=args.code)
    for sentence in textfilter.speakable(text, options, _language(args.lang, config).code):
        print(sentence.text)
    return 0


def cmd_voices(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core import engines

    report = []
    for name in engines.REGISTRY:
        entry: dict[str, object] = {"engine": name}
        try:
            engine = engines.create(name)
            entry.update(available=True, network=engine.needs_network,
                         voices=getattr(engine, "voices", list)())  # fmt: skip
        except engines.EngineError as exc:
            entry.update(available=False, reason=str(exc))
        report.append(entry)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    for e in report:
        if e["available"]:
            voices = list(e["voices"])  # type: ignore[call-overload]
            shown = ", ".join(voices[:12]) + (
                f", ... ({len(voices)} in all)" if len(voices) > 12 else ""
            )
            kind = "online " if e["network"] else "offline"
            print(f"{e['engine']:10} {kind}  {shown}")
        else:
            print(f"{e['engine']:10} missing  {e['reason']}")
    return 0


def cmd_config(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core import config_docs, config_file

    user_file = p.config / config_file.USER_FILE
    if args.action == "path":
        print(user_file)
        return 0
    if args.action == "schema":
        sys.stdout.write(config_docs.json_schema_text())
        return 0
    if args.action == "default":
        sys.stdout.write(config_docs.default_yaml())
        return 0
    target = Path(args.file) if args.file else user_file
    if args.action == "check":
        if not target.exists():
            raise ClaudeTTSError(f"no config file at {target} (the defaults apply)")
        config, warnings = config_file.load([target])
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{target}: ok")
        return 0
    files = [user_file, *([Path(args.file)] if args.file else [])]
    config, warnings = config_file.load(files)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(config_file.dump(config))
    return 0


def cmd_shutup(args: argparse.Namespace, p: _paths.Paths) -> int:
    with contextlib.suppress(DaemonNotRunning):  # not running: nothing is speaking
        _check(client.request(Shutup(session_id=args.session), paths=p))
    return 0


def cmd_logs(args: argparse.Namespace, p: _paths.Paths) -> int:
    path = p.daemon_log
    if not path.exists():
        raise ClaudeTTSError(f"no log yet at {path}")
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.readlines()
        sys.stdout.write("".join(lines[-args.lines :] if args.lines else lines))
        sys.stdout.flush()
        while args.follow:
            line = fh.readline()
            if line:
                sys.stdout.write(line)
                sys.stdout.flush()
            else:
                time.sleep(0.2)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claude-tts", description="Make Claude Code speak.")
    parser.add_argument("--version", action="version", version=f"claude-tts {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("serve", help="run the daemon in the foreground")
    s.add_argument("-v", "--verbose", action="store_true", help="also log to stderr")
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("start", help="start the daemon in the background")
    s.add_argument("--wait", type=float, default=10.0, help="seconds to wait for it (10)")
    s.set_defaults(func=cmd_start)
    s = sub.add_parser("stop", help="stop the daemon")
    s.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for it (5)")
    s.set_defaults(func=cmd_stop)
    s = sub.add_parser("status", help="show the daemon's state")
    s.add_argument("--json", action="store_true", help="one JSON object")
    s.set_defaults(func=cmd_status)
    s = sub.add_parser("say", help="speak TEXT (- reads stdin)")
    s.add_argument("text", nargs="+")
    s.add_argument("--lang", help="language of the speech (default: configured)")
    s.add_argument("--engine", help="engine or chain to speak with (default: configured)")
    s.add_argument("-o", "--output", metavar="FILE.wav", help="write a WAV file instead")
    s.set_defaults(func=cmd_say)
    s = sub.add_parser("preview", help="print the sentences that would be spoken")
    s.add_argument("file", nargs="?", metavar="FILE|-", help="markdown to read (default: stdin)")
    s.add_argument("--lang", help="language of announcements such as 'code block'")
    s.add_argument("--code", choices=["skip", "announce", "read_short"], help="code blocks")
    s.set_defaults(func=cmd_preview)
    s = sub.add_parser("config", help="check, show or locate the config file")
    s.add_argument("action", choices=["check", "show", "path", "schema", "default"])
    s.add_argument("file", nargs="?", help="check: this file; show: layered over yours")
    s.set_defaults(func=cmd_config)
    s = sub.add_parser("voices", help="list the engines and voices on this machine")
    s.add_argument("--json", action="store_true", help="one JSON array")
    s.set_defaults(func=cmd_voices)
    s = sub.add_parser("shutup", help="stop the current speech and drop the queue")
    s.add_argument("--session", help="only this Claude Code session's speech")
    s.set_defaults(func=cmd_shutup)
    s = sub.add_parser("logs", help="print the daemon log")
    s.add_argument("-n", "--lines", type=int, default=50, help="last N lines (0: all)")
    s.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    s.set_defaults(func=cmd_logs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    p = _paths.resolve()
    try:
        code: int = args.func(args, p)
        return code
    except ConfigError as exc:
        print(f"claude-tts: error: invalid config\n{exc}", file=sys.stderr)
        return 1
    except ClaudeTTSError as exc:
        print(f"claude-tts: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        crash = _write_crash_log(p)
        print(f"claude-tts: unexpected error: {exc!r} (traceback in {crash})", file=sys.stderr)
        return 3


def _write_crash_log(p: _paths.Paths) -> Path:
    try:
        _paths.ensure_private_dir(p.log)
        path = p.log / "crash.log"
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} claude-tts {__version__}\n")
            fh.write(traceback.format_exc())
        return path
    except OSError:
        return Path("<unwritable>")
