"""How long before Stop the first audio starts, in streaming mode, on the real interactive
hook sequence replayed at its original timing into the real daemon (espeak-ng, null sink).

    python3 bench/stream_lead.py

Prints, for `speak.mode: stream` and `turn` side by side, when the first audio started relative
to the Stop event (negative: before Claude finished writing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.audio_sink import start_pulse, stop_pulse  # noqa: E402
from tts_core import client  # noqa: E402
from tts_core import paths as _paths  # noqa: E402
from tts_core.protocol import (  # noqa: E402
    HistoryReply,
    HistoryRequest,
    HookEvent,
    StatusReply,
    StatusRequest,
)

TUI = ROOT / "tests" / "fixtures" / "claude-code" / "tui_session_hook_sequence.jsonl"


def first_audio_vs_stop(mode: str, pulse_env: dict[str, str]) -> float:
    home = Path(tempfile.mkdtemp(prefix="ctt-lead-", dir="/tmp"))
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.yaml").write_text(
        f"speak: {{mode: {mode}}}\nvoice: {{engine: espeak}}\n"
    )
    env = {**os.environ, **pulse_env, "CLAUDE_TTS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    p = _paths.resolve(env)
    daemon = subprocess.Popen([sys.executable, "-m", "tts_core", "serve"], env=env,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert client.wait_until_running(p, 15)
        events = [json.loads(line) for line in TUI.read_text().splitlines()]
        turn = events[: [i for i, e in enumerate(events) if e["event"] == "UserPromptSubmit"][1]]
        t0, start, stop_at = turn[0]["t"], time.monotonic(), 0.0
        for e in turn:
            time.sleep(max(0.0, (e["t"] - t0) - (time.monotonic() - start)))
            if e["event"] == "Stop":
                stop_at = time.time()
            raw = json.dumps(e["payload"])
            env_hook = {"CLAUDE_CODE_SESSION_ATTENDED": "1"}
            client.request(HookEvent(raw=raw, env=env_hook, sent_at=time.time()), paths=p)
        while True:
            reply = client.request(StatusRequest(), paths=p)
            assert isinstance(reply, StatusReply)
            st = reply.status
            if st["counters"]["in_progress"] == 0 and not st["speaking"]:
                break
            time.sleep(0.05)
        history = client.request(HistoryRequest(50), paths=p)
        assert isinstance(history, HistoryReply)
        first: float = min(e["queued_at"] + e["timings"]["first_audio"] / 1000
                    for e in history.entries if "first_audio" in e["timings"])  # fmt: skip
        return first - stop_at
    finally:
        daemon.terminate()
        daemon.wait()


def main() -> None:
    pulse = start_pulse()
    try:
        for mode in ("stream", "turn"):
            lead = first_audio_vs_stop(mode, pulse.env)
            print(f"speak.mode {mode:6}: first audio {lead * 1000:+7.0f} ms relative to Stop")
    finally:
        stop_pulse(pulse)


if __name__ == "__main__":
    main()
