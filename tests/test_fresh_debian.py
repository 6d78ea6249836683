"""The README's install command on a stock Debian bookworm, as a normal user (needs root to
build the root: CI has it).

A desktop user's Debian: python3 (PEP 668's externally managed), python3-venv, python3-pip, sudo
(with a password) and git, nothing else. The checkout is copied in, the README's install
command runs verbatim, then the hook command install.sh wrote into settings.json is run the way
Claude Code runs it (``bash -c``, a real Stop payload on stdin) and the daemon must have
received the event. Network traffic inside goes to the package registries only (pip); gTTS is
held to 127.0.0.1 and the hub is offline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import fresh_root
from .conftest import PAYLOADS, ROOT, short_tmpdir

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="building a Debian root needs root (CI runs as root)"
)

USER = "dev"


def readme_install_command() -> str:
    """The first command of the README's "Install and run" section, as written there."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Install and run", 1)[1]
    match = re.search(r"```sh\n(.+?)\n```", section, re.S)
    assert match, "README.md has no ```sh block under 'Install and run'"
    return match.group(1).strip()


def copy_checkout(into: Path) -> None:
    """The files git knows (tracked, or new and not ignored), as a clone would have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            dst = into / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


@pytest.fixture(scope="module")
def debian() -> Iterator[Path]:
    root = fresh_root.restore(short_tmpdir("ctt-deb-") / "root")
    made = fresh_root.enter(root, "root", f"useradd -m -s /bin/bash {USER}")
    assert made.returncode == 0, made.stderr
    home = root / "home" / USER
    copy_checkout(home / "claude-tts")
    uid = int((root / "etc" / "passwd").read_text().split(f"\n{USER}:x:", 1)[1].split(":")[0])
    for path in [home / "claude-tts", *(home / "claude-tts").rglob("*")]:
        os.lchown(path, uid, uid)
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


INSIDE = {"CLAUDE_TTS_ALLOW_HOSTS": "127.0.0.1", "HF_HUB_OFFLINE": "1"}


def test_readme_install_then_the_installed_hook_reaches_the_daemon(debian: Path) -> None:
    command = readme_install_command()
    t0 = time.monotonic()
    installed = fresh_root.enter(debian, USER, f"cd ~/claude-tts && {command}", INSIDE, timeout=600)
    took = time.monotonic() - t0
    out = installed.stdout + installed.stderr
    assert installed.returncode == 0, out[-4000:]
    # It says what the system lacks, with the exact command (the user's sudo wants a password).
    assert "Run: sudo apt-get install -y libportaudio2 espeak-ng" in out, out[-4000:]
    assert "Next: start Claude Code" in out
    home = debian / "home" / USER
    assert (home / ".local" / "bin" / "claude-tts").is_symlink()
    package_root = home / ".local" / "share" / "claude-tts" / "hooks" / "package-root"
    assert package_root.read_text().strip().endswith("/site-packages")  # the venv, not the checkout
    print(f"README install command on a fresh bookworm root: {took:.0f} s")

    settings = json.loads((home / ".claude" / "settings.json").read_text())
    (hook_command,) = {
        h["command"] for g in settings["hooks"]["Stop"] for h in g["hooks"]
        if "claude_tts_hook.py" in h["command"]
    }  # fmt: skip
    stop = json.loads((PAYLOADS / "Stop.json").read_text())["payload"]
    stop_file = home / "stop.json"
    stop_file.write_text(json.dumps(stop))
    # The daemon the install's test sentence started went with that command's namespace, so
    # the hook must start one: past the 3 s spawn back-off the install's start armed.
    run_hook = f"""
set -u
sleep 3.2
bash -c {json.dumps(hook_command)} < ~/stop.json > ~/hook.out 2> ~/hook.err
echo "hook exit $?"
for _ in $(seq 150); do
  if ~/.local/bin/claude-tts status --json > ~/status.json 2>/dev/null \
     && python3 -c "$SETTLED" ~/status.json; then
    break
  fi
  sleep 0.2
done
cat ~/status.json
"""
    settled = (
        "import json, sys; c = json.load(open(sys.argv[1]))['counters'];"
        " sys.exit(not (c['received'] >= 1 and c['in_progress'] == 0))"
    )
    env = {**INSIDE, "CLAUDE_CODE_SESSION_ATTENDED": "1", "SETTLED": settled}
    ran = fresh_root.enter(debian, USER, run_hook, env, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.startswith("hook exit 0\n"), ran.stdout + ran.stderr
    assert (home / "hook.out").read_bytes() == b""
    assert (home / "hook.err").read_bytes() == b""
    status = json.loads(ran.stdout.split("\n", 1)[1])
    counters = status["counters"]
    assert counters["received"] == 1, status
    assert counters["spoken"] + counters["dropped"] + counters["failed"] == 1, status
    hook_errors = home / ".local" / "share" / "claude-tts" / "hooks" / "hook-error.log"
    assert not hook_errors.exists(), hook_errors.read_text()
