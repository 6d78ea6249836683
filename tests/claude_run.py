"""Run one headless Claude Code turn against the mock API; meant to run inside a network
namespace that has only loopback (``unshare -n``), so the CLI can reach nothing else.

    python -m tests.claude_run CLAUDE_BIN PROJECT_DIR PROMPT

Prints one JSON line: the CLI's exit code and output, and how many requests the mock answered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.mock_anthropic import MockAnthropic


def main() -> None:
    claude, project, prompt = sys.argv[1:4]
    mock = MockAnthropic()
    env = {
        **os.environ,
        "ANTHROPIC_BASE_URL": mock.url,
        "ANTHROPIC_API_KEY": "sk-ant-test-dummy",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    }
    try:
        result = subprocess.run(
            [claude, "-p", prompt, "--output-format", "text"],
            cwd=project, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        mock.close()
    report = {
        "rc": result.returncode,
        "stdout": result.stdout,
        "stderr": result.stderr[-2000:],
        "requests": len(mock.requests),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
