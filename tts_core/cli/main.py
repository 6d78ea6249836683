"""The ``claude-tts`` command line. ``main(argv) -> int`` with one error boundary.

Expected errors print one line and exit 1; unexpected ones print where the traceback was saved
and exit 3; Ctrl-C exits 130. Heavy modules (daemon, engines) are imported only by the
subcommands that need them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from tts_core import __version__, client
from tts_core import paths as _paths
from tts_core.errors import ClaudeTTSError, ConfigError, DaemonNotRunning, DaemonTimeout
from tts_core.protocol import (
    Error,
    HistoryReply,
    HistoryRequest,
    Message,
    Ok,
    Pause,
    Replay,
    Resume,
    Say,
    Shutdown,
    Shutup,
    StatusReply,
    StatusRequest,
    Toggle,
)  # fmt: skip

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


def _tool(name: str) -> Callable[[argparse.Namespace, _paths.Paths], int]:
    """A command of cli_tools, imported only when it runs (they pull in heavier modules)."""

    def run(args: argparse.Namespace, p: _paths.Paths) -> int:
        from tts_core.cli import tools as cli_tools

        code: int = getattr(cli_tools, name)(args, p)
        return code

    return run


def _cmd_trust(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core.cli.trust import cmd_trust

    return cmd_trust(args, p)


def _check(reply: Message) -> Message:
    if isinstance(reply, Error):
        if reply.code == "not_spoken":
            raise ClaudeTTSError(reply.message)
        raise ClaudeTTSError(f"the daemon refused: {reply.message}")
    return reply


def cmd_serve(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core.daemon.process import serve

    # What the daemon writes (logs, journal, audio clips, models) holds what Claude said: the
    # user's alone, whatever umask the hook that started it had.
    os.umask(0o077)
    try:
        serve(p, verbose=args.verbose)
    except ModuleNotFoundError as exc:
        # The daemon was started by a Python without our dependencies (a plugin hook run by
        # the system python3, say): say so where the user will look, then fail.
        why = (
            f"the daemon cannot start: {sys.executable} has no module {exc.name!r}; "
            "install claude-tts with ./install.sh (it makes a venv the hook uses)"
        )
        _log_line(p.hook_log, why)
        raise ClaudeTTSError(why) from None
    return 0


def _log_line(path: Path, message: str) -> None:
    with contextlib.suppress(OSError):
        _paths.ensure_private_dir(path.parent)
        line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} pid={os.getpid()} {message}\n"
        _paths.append_private(path, line)


def cmd_start(args: argparse.Namespace, p: _paths.Paths) -> int:
    if client.is_running(p):
        print("claude-tts daemon is already running")
        return 0
    from tts_core.cli.model import fetch_model_first

    fetch_model_first(p)
    client.spawn_daemon(p, force=True)  # a path it cannot use: one line, path and fix
    if not client.wait_until_running(p, timeout=args.wait):
        logs = [f for f in (p.daemon_log, p.log / "crash.log") if f.exists()]
        where = f"see {' and '.join(map(str, logs))}" if logs else f"nothing in {p.log}"
        raise ClaudeTTSError(f"the daemon did not come up within {args.wait:g} s; {where}")
    print(f"claude-tts daemon started (socket {p.socket})")
    return 0


def cmd_stop(args: argparse.Namespace, p: _paths.Paths) -> int:
    note = ""
    try:
        reply = client.request(Shutdown(), paths=p)
        if isinstance(reply, Ok) and "unspoken" in reply.detail:
            note = f"; {reply.detail}"  # what it leaves for the next start
    except DaemonNotRunning:
        print("claude-tts daemon is not running")
        return 0
    except DaemonTimeout:
        _terminate_from_pidfile(p)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if not p.socket.exists() and not client.is_running(p, timeout=0.2):
            print(f"claude-tts daemon stopped{note}")
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
    from tts_core.cli.status_text import render

    print(render(status))
    return 0


def cmd_say(args: argparse.Namespace, p: _paths.Paths) -> int:
    text = " ".join(args.text)
    if text == "-":
        text = sys.stdin.read()
    if not text.strip():
        raise ClaudeTTSError("nothing to say")
    if args.output:
        from tts_core.cli.tools import say_to_file

        return say_to_file(text, args, p)
    if not client.is_running(p):
        client.spawn_daemon(p, force=True)
        if not client.wait_until_running(p, timeout=10.0):
            raise ClaudeTTSError(f"could not start the daemon; see {p.daemon_log}")
    say = Say(text=text, lang=args.lang, engine=args.engine, wait=not args.no_wait)
    # Waiting, the reply comes when the speech has ended: allow for a long text.
    timeout = 2.0 if args.no_wait else 30.0 + len(text) / 5
    reply = _check(client.request(say, paths=p, timeout=timeout))
    if args.verbose and isinstance(reply, Ok):
        print(reply.detail)  # "spoken by espeak (en)": which voice really spoke
    return 0


def cmd_history(args: argparse.Namespace, p: _paths.Paths) -> int:
    reply = _check(client.request(HistoryRequest(args.lines), paths=p))
    assert isinstance(reply, HistoryReply)
    if args.json:
        print(json.dumps(reply.entries, ensure_ascii=False))
        return 0
    for e in reply.entries:
        when = time.strftime("%H:%M:%S", time.localtime(e["time"]))
        project = os.path.basename(e["project"]) or "-"
        stages = " ".join(f"{k}={v:.0f}ms" for k, v in e["timings"].items())
        print(f"{when} {project} {e['kind']} {e['lang']} {e['outcome']}"
              f"{' (' + e['reason'] + ')' if e['reason'] else ''} {stages}")  # fmt: skip
        for said in e.get("sentences") or ():
            how = f"{said['engine'] or 'no engine'}{'/' + said['voice'] if said['voice'] else ''}"
            mark = "" if said["heard"] else " (cut)"
            tr = ", translated" if said["translated"] else ""
            print(f"    [{said['lang']}, {how}{tr}] {said['text']}{mark}")
        if not e.get("sentences"):
            print(f"    {e['source'][:200]}")
    return 0


def cmd_replay(args: argparse.Namespace, p: _paths.Paths) -> int:
    reply = _check(client.request(Replay(), paths=p))
    if isinstance(reply, Ok) and reply.detail != "queued":
        print(f"claude-tts: {reply.detail}")  # what was cut the last time
    return 0


def cmd_shutup(args: argparse.Namespace, p: _paths.Paths) -> int:
    with contextlib.suppress(DaemonNotRunning):  # not running: nothing is speaking
        _check(client.request(Shutup(session_id=args.session), paths=p))
    return 0


def cmd_hold(args: argparse.Namespace, p: _paths.Paths) -> int:
    """pause, resume, toggle: prints what the daemon did (``paused``, ``resumed``...)."""
    message = {"pause": Pause, "resume": Resume, "toggle": Toggle}[args.command]()
    reply = _check(client.request(message, paths=p))
    if isinstance(reply, Ok):
        print(f"claude-tts: {reply.detail}")
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
    s.add_argument("-v", "--verbose", action="store_true", help="say which voice spoke it")
    s.add_argument(
        "--no-wait",
        action="store_true",
        help="return once queued (default: wait until heard; exit 1 if it was not)",
    )
    s.set_defaults(func=cmd_say)
    s = sub.add_parser("preview", help="print the sentences that would be spoken")
    s.add_argument("file", nargs="?", metavar="FILE|-", help="markdown to read (default: stdin)")
    s.add_argument("--lang", help="language of announcements such as 'code block'")
    s.add_argument("--code", choices=["skip", "announce", "read_short"], help="code blocks")
    s.add_argument(
        "--translate", action="store_true", help="also translate: source TAB translation"
    )
    s.set_defaults(func=_tool("cmd_preview"))
    s = sub.add_parser("config", help="check, show or locate the config file")
    s.add_argument("action", choices=["check", "show", "path", "schema", "default"])
    s.add_argument("file", nargs="?", help="check: this file; show: layered over yours")
    s.add_argument("--strict", action="store_true", help="check: warnings (unknown keys) fail")
    s.set_defaults(func=_tool("cmd_config"))
    s = sub.add_parser("download-model", help="download the translation model (NLLB-200)")
    s.add_argument("--model", help="model id or directory (default: configured)")
    s.set_defaults(func=_tool("cmd_download_model"))
    s = sub.add_parser("hooks", help="add or remove our hooks in a Claude Code settings.json")
    s.add_argument("action", choices=["install", "uninstall"])
    s.add_argument("--settings", required=True, help="the settings.json to change")
    s.add_argument("--hook", help="install: path of claude_tts_hook.py")
    s.add_argument("--python", default=sys.executable, help="install: interpreter to run it")
    s.add_argument("--dry-run", action="store_true", help="print the change, write nothing")
    s.add_argument(
        "--record-dir",
        help="keep the file's original here at install, and give it "
        "back exactly at uninstall when nothing else changed (install.sh uses it)",
    )
    s.set_defaults(func=_tool("cmd_hooks"))
    s = sub.add_parser("doctor", help="check the installation, one line per check")
    s.add_argument("--settings", default="~/.claude/settings.json", help="Claude Code settings")
    s.add_argument("--offline", action="store_true", help="skip the network check")
    s.set_defaults(func=_tool("cmd_doctor"))
    s = sub.add_parser("voices", help="list the engines and voices on this machine")
    s.add_argument("--json", action="store_true", help="one JSON array")
    s.set_defaults(func=_tool("cmd_voices"))
    s = sub.add_parser("history", help="the last utterances, with their stage timings")
    s.add_argument("-n", "--lines", type=int, default=20, help="how many (20)")
    s.add_argument("--json", action="store_true", help="one JSON array")
    s.set_defaults(func=cmd_history)
    s = sub.add_parser("replay", help="say the last utterance again")
    s.set_defaults(func=cmd_replay)
    s = sub.add_parser("shutup", help="stop the current speech and drop the queue")
    s.add_argument("--session", help="only this Claude Code session's speech")
    s.set_defaults(func=cmd_shutup)
    for name, what in (
        ("pause", "hold speech where it is (nothing is dropped)"),
        ("resume", "go on from where speech was paused"),
        ("toggle", "pause, or resume when paused (for a key binding)"),
    ):
        sub.add_parser(name, help=what).set_defaults(func=cmd_hold)
    s = sub.add_parser("trust", help="let a project's .claude/claude-tts.yaml set every key")
    s.add_argument("dir", nargs="?", default=".", help="the project folder (default: here)")
    s.add_argument("--revoke", action="store_true", help="take the trust back")
    s.add_argument("--list", action="store_true", help="the trusted projects and their state")
    s.set_defaults(func=_cmd_trust)
    s = sub.add_parser("logs", help="print the daemon log")
    s.add_argument("-n", "--lines", type=int, default=50, help="last N lines (0: all)")
    s.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    s.set_defaults(func=cmd_logs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Library log lines belong in the daemon's log file, never on a command's terminal.
    logging.getLogger("tts_core").addHandler(logging.NullHandler())
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
