"""The ``claude-tts`` commands that work without the daemon: preview, voices, config,
download-model, and ``say --output``. Imported by :mod:`tts_core.cli.main` when one of them runs."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from tts_core import paths as _paths
from tts_core.cli.user_config import user_config
from tts_core.errors import ClaudeTTSError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tts_core.config.schema import VoiceOptions
    from tts_core.engines.base import Engine
    from tts_core.languages.catalog import Language


def _language(value: str | None) -> Language | None:
    from tts_core.languages import catalog

    return catalog.lookup(value) if value else None


def say_to_file(text: str, args: argparse.Namespace, p: _paths.Paths) -> int:
    """The daemon's stages without the daemon: each sentence voiced as the daemon would
    (untranslated: this path loads no model), rendered into one WAV file."""
    from tts_core.audio.pcm import Audio, concat, silence, write_wav
    from tts_core.engines import base as engines
    from tts_core.speech.chains import Voices
    from tts_core.speech.voicing import Voicing
    from tts_core.text import speakable

    config = user_config(p)
    voicing = Voicing(Voices(p.cache / "audio", lambda message: None))
    voicing.chains.apply(config.voice)
    plan = voicing.plan(config, lang=_language(args.lang), engine=args.engine or "")

    async def render() -> list[Audio]:
        sentences = speakable.speakable(text, plan.filters, plan.target.code, marked=True)
        clips = []
        for sentence in sentences:
            voiced = voicing.voiced(plan, sentence.text, None)
            clips.append(await engines.render(voiced.engine, voiced.text, voiced.lang))
        # A voice warming up in the background (Piper's worker) may still be starting: let it
        # finish, since cancelling a subprocess mid-spawn hangs Python 3.11's loop shutdown.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if others:
            await asyncio.wait(others, timeout=30)
        return clips

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

    from tts_core.languages.phrases import render
    from tts_core.speech.voicing import Voicing
    from tts_core.text import speakable

    if args.file in (None, "-"):
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ClaudeTTSError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    config = user_config(p)
    if args.code:
        config = replace(config, filters=replace(config.filters, code_blocks=args.code))
    plan = Voicing(_NoChains()).plan(config, lang=_language(args.lang))
    said = speakable.speakable(text, plan.filters, plan.target.code, marked=True)
    if not args.translate:
        for sentence in said:  # as said untranslated: each in the language it is written in
            lang = Voicing.language_of(plan, sentence.text, None)
            print(render(sentence.text, lang.code))
        return 0
    from tts_core.speech.utterance import staged
    from tts_core.translate.service import Translator

    translator = Translator(config.translation, plan.source, p.cache / "models")
    voicing = Voicing(_NoChains(), None)
    todo = [s.text for s in said if not s.announcement and plan.translate]

    async def as_the_daemon_does() -> list[str]:
        # The same stages as the daemon's: the first sentence alone, then the same batches.
        return [
            out
            for batch in staged(todo)
            for out in await translator.translate(list(batch), plan.target)
        ]

    translated = iter(asyncio.run(as_the_daemon_does()))
    if translator.error:
        print(f"warning: not translated: {translator.error}", file=sys.stderr)
    for sentence in said:
        source = render(sentence.text, plan.source.code)
        if sentence.announcement or not plan.translate:
            shown, went = sentence.text, None
        else:
            shown = next(translated)
            went = shown != sentence.text
        lang = voicing.language_of(plan, shown, went)
        print(f"{source}\t{render(shown, lang.code)}")
    return 0


class _NoChains:
    """Preview chooses no voice."""

    def apply(self, voice: VoiceOptions) -> None:
        pass

    def chain_for(self, voice: VoiceOptions, lang: Language) -> Engine:
        raise NotImplementedError


def cmd_config(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core.config import docs as config_docs
    from tts_core.config import loader, trust

    user_file = p.config / loader.USER_FILE
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
        config, warnings = loader.load([target])
        if target != user_file and _is_project_file(target):
            store = trust.TrustStore(p.trusted_projects)
            warnings += loader.load_project(user_file, target.absolute(), store)[1]
            warnings = list(dict.fromkeys(warnings))  # its unknown keys are in both lists
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        counted = f"{len(warnings)} warning{'' if len(warnings) == 1 else 's'}"
        if warnings and args.strict:
            print(f"{target}: {counted} (--strict)", file=sys.stderr)
            return 1
        print(f"{target}: ok" + (f" ({counted})" if warnings else ""))
        return 0
    if args.file:  # what the daemon makes of a project's file: only what it may set
        store = trust.TrustStore(p.trusted_projects)
        config, warnings = loader.load_project(user_file, Path(args.file).absolute(), store)
    else:
        config, warnings = loader.load([user_file])
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(loader.dump(config))
    return 0


def _is_project_file(path: Path) -> bool:
    return path.name == "claude-tts.yaml" and path.parent.name == ".claude"


def cmd_voices(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core.engines import base as engines
    from tts_core.engines import registry

    report = []
    for name in registry.REGISTRY:
        entry: dict[str, object] = {"engine": name, "licence": registry.LICENCES.get(name, "")}
        try:
            engine = registry.create(name)
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
        print(f"{'':10} licence  {e['licence']}")
    return 0


def cmd_download_model(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core.cli import model

    return model.cmd_download_model(args, p)


def cmd_hooks(args: argparse.Namespace, p: _paths.Paths) -> int:
    from tts_core.claude_code import settings as our_hooks

    path = Path(args.settings).expanduser()
    records = Path(args.record_dir).expanduser() if args.record_dir else None
    before = our_hooks.read_settings(path)
    if args.action == "install":
        if not args.hook:
            raise ClaudeTTSError("hooks install needs --hook PATH (the claude_tts_hook.py to run)")
        hook = str(Path(args.hook).expanduser().absolute())
        after = our_hooks.add_hooks(before, our_hooks.hook_command(args.python, hook))
    else:
        after = our_hooks.remove_hooks(before)
    if after == before:
        print(f"{path}: nothing to change")
        return 0
    if args.dry_run:
        sys.stdout.write(our_hooks.diff(path, before, after))
        return 0
    if args.action == "install" and records is not None:
        our_hooks.remember_original(records, path)
    if args.action == "uninstall" and records is not None:
        exact, original = our_hooks.original_after_removal(records, path, after)
        if exact:
            our_hooks.forget_original(records, path)
            if original is None:
                path.unlink()
                print(f"claude-tts hooks removed: {path} deleted (claude-tts had created it)")
            else:
                our_hooks.write_text_exactly(path, original)
                print(f"claude-tts hooks removed: {path} is as it was before claude-tts")
            return 0
    if not after and not path.exists():
        return 0
    backup = our_hooks.write_settings(path, after)
    done = "added to" if args.action == "install" else "removed from"
    print(f"claude-tts hooks {done} {path}" + (f" (backup: {backup})" if backup else ""))
    return 0


def cmd_doctor(args: argparse.Namespace, p: _paths.Paths) -> int:
    """One line per check, with the fix for each failure; exit 1 if any failed."""
    from tts_core.cli.doctor import run_checks

    failed = 0
    for check in run_checks(p, Path(args.settings).expanduser(), offline=args.offline):
        mark = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "skip"}[check.state]
        line = f"{mark}  {check.name}: {check.detail}"
        if check.fix and check.state in ("fail", "warn"):
            line += f"\n        fix: {check.fix}"
        print(line)
        failed += check.state == "fail"
    return 1 if failed else 0
