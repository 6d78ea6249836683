"""The daemon's status as people read it (``claude-tts status`` without ``--json``). Pure."""

from __future__ import annotations

from typing import Any


def render(status: dict[str, Any]) -> str:
    """Several lines from the daemon's status reply."""
    c = status["counters"]
    lines = [
        f"claude-tts daemon: running, pid {status['pid']}, up {status['uptime_s']:.0f} s",
        f"  audio device: {status['audio_device'] or 'none'}   engine: {status['engine']}",
        f"  speaking: {'yes' if status['speaking'] else 'no'}   queue: {status['queue_length']}",
        *holding_lines(status.get("holding") or {}),
        f"  events: {c['received']} received, {c['spoken']} spoken, {c['dropped']} dropped, "
        f"{c['failed']} failed",
        f"  last error: {status['last_error'] or 'none'}",
        f"  translation: {translation_line(status.get('translation', {}))}",
    ]
    config = status.get("config") or {}
    if config.get("error"):
        # A broken edit: the daemon keeps the last good settings until the file is fixed.
        lines.append("  config: BROKEN, the last good settings stay in effect until it is fixed:")
        lines.extend(f"    {line}" for line in str(config["error"]).splitlines())
    for warning in config.get("warnings") or ():
        lines.append(f"  config warning: {warning}")
    for rule in config.get("rules_off") or ():
        lines.append(f"  config: {rule}")
    for warning in config.get("project_warnings") or ():
        lines.append(f"  project config: {warning}")
    for stage, t in status.get("timings", {}).items():
        lines.append(f"  {stage:>11}: p50 {t['p50']:.0f} ms, p95 {t['p95']:.0f} ms ({t['n']})")
    lines.append(f"  log: {status['log_file']}")
    return "\n".join(lines)


def holding_lines(holding: dict[str, Any]) -> list[str]:
    """``holding: paused since 14:02:11``: why speech waits, one line per reason."""
    import time

    return [
        f"  holding: {h['why']} since {time.strftime('%H:%M:%S', time.localtime(h['since']))}"
        for h in holding.values()
    ]


def translation_line(t: dict[str, Any]) -> str:
    """One line for the translation model: its state, backend and the speed-ups in effect."""
    state = t.get("state", "off")
    if state == "failed":
        return f"failed: {t.get('error')}"
    if state != "ready":
        return str(state)
    line = f"ready, {t['backend']} on {t['device']}"
    if t.get("limited_vocabulary"):
        line += f", vocabulary limited to {', '.join(t['limited_vocabulary'])}"
    if "compiled_source_sizes" in t:
        sizes = t["compiled_source_sizes"]
        line += f", compiled for {'/'.join(map(str, sizes))} tokens" if sizes else ", compiling"
        if t.get("compile_error"):
            line += f" (compile failed, eager: {t['compile_error']})"
    counts = [f"{t[k]} {k.replace('_', ' ')}" for k in ("translated", "cache_hits") if t.get(k)]
    return line + (f"; {', '.join(counts)}" if counts else "")
