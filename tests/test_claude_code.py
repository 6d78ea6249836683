"""The real Claude Code CLI (npm @anthropic-ai/claude-code), headless, against a mock of the
Messages API on loopback, in a network namespace with nothing else: our installed hooks make
the daemon speak the turn, and the null sink's recording proves it was heard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tts_core.claude_code.settings import add_hooks, hook_command, write_settings

from .conftest import HOOK, ROOT, Pulse, Recorder, start_daemon, stop_daemon, voiced_seconds
from .mock_anthropic import REPLY

CLAUDE = Path(
    os.environ.get("CLAUDE_BIN", ROOT / ".ci" / "node" / "node_modules" / ".bin" / "claude")
)


def isolated(argv: list[str]) -> list[str]:
    """Run ``argv`` in a new network namespace with only loopback, up."""
    unshare = ["unshare", "-n"] if os.getuid() == 0 else ["unshare", "-rn"]
    script = 'ip link set lo up 2>/dev/null || true; exec "$@"'
    return [*unshare, "sh", "-c", script, "sh", *argv]


def test_a_real_claude_code_turn_is_heard(
    pulse: Pulse, recorder: Recorder, isolated_home: Path, tmp_path: Path
) -> None:
    assert CLAUDE.exists(), (
        f"Claude Code is not installed at {CLAUDE}: "
        "npm install --prefix .ci/node @anthropic-ai/claude-code (see README)"
    )
    home = isolated_home.parent / "home"
    project = tmp_path / "project"
    project.mkdir()
    write_settings(
        home / ".claude" / "settings.json", add_hooks({}, hook_command(sys.executable, str(HOOK)))
    )
    config = isolated_home / "config" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("speak: {headless: true}\nvoice: {engine: espeak}\nlanguage: en\n")
    d = start_daemon(pulse.env)
    try:
        runner = [sys.executable, "-m", "tests.claude_run", str(CLAUDE), str(project), "hello"]
        run = subprocess.run(
            isolated(runner),
            cwd=ROOT, env={**os.environ, "HOME": str(home)}, capture_output=True, text=True,
            timeout=180,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        result = json.loads(run.stdout.strip().splitlines()[-1])
        assert result["rc"] == 0, result
        assert result["stdout"].strip() == REPLY
        assert result["requests"] >= 1
        st = d.wait_for(
            lambda s: s["counters"]["spoken"] == 1 and s["counters"]["in_progress"] == 0,
            timeout=60,
        )
        samples = recorder.stop()
    finally:
        stop_daemon(d)
    # UserPromptSubmit (stops speech), MessageDisplay (spoken as it streams: the default mode),
    # Stop (nothing left to add).
    assert st["counters"]["received"] == 3, st
    assert st["dropped_by_reason"] == {"control": 1, "already_spoken": 1}
    subprocess.run(
        [sys.executable, "-m", "tts_core", "say", "--output", str(tmp_path / "e.wav"), REPLY],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, check=True,
    )  # fmt: skip
    from tts_core.audio.pcm import from_wav_bytes

    reference = from_wav_bytes((tmp_path / "e.wav").read_bytes())
    want = voiced_seconds(reference.samples, reference.rate)
    assert abs(voiced_seconds(samples) - want) < 0.4, (voiced_seconds(samples), want)
