"""A stock Debian bookworm root to try the project in as a new user would (needs root).

The base (debootstrap minbase + what a desktop user has: python3, python3-venv, python3-pip,
sudo, git) is built once and cached as a tarball (about 110 MB, 80 s to build, 5 s to
restore). Commands run inside it through ``unshare`` (private mount, UTS and PID namespaces:
every mount and process is gone when the command ends) and ``chroot``, as any user, with this
machine's package-registry access: its effective pip configuration is written into the root and
every local path it names is bound in read-only. Nothing here knows of claude-tts.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = ("python3", "python3-venv", "python3-pip", "sudo", "git", "ca-certificates")
CACHE = Path(os.environ.get("CLAUDE_TTS_ROOT_CACHE", "/tmp/claude-tts-ci"))
DEFAULT_MIRROR = "http://deb.debian.org/debian"


def mirror() -> str:
    """The Debian archive this machine's apt uses (debootstrap must reach the same one)."""
    for source in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        match = re.search(r"^URIs:\s*(\S+/debian)\s*$", source.read_text(), re.M)
        if match:
            return match.group(1)
    return DEFAULT_MIRROR


def _run(cmd: list[str], timeout: float) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(cmd)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
        )


def base_tarball() -> Path:
    """The cached base root, built first if missing."""
    key = hashlib.sha256(" ".join((mirror(), *PACKAGES)).encode()).hexdigest()[:12]
    tarball = CACHE / f"bookworm-{key}.tar.zst"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    build = CACHE / f"build-{os.getpid()}"
    shutil.rmtree(build, ignore_errors=True)
    try:
        _run(["debootstrap", "--variant=minbase", "bookworm", str(build), mirror()], 600)
        (build / "etc" / "hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tfresh\n")
        install = (
            "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && "
            f"apt-get install -y -qq --no-install-recommends {' '.join(PACKAGES)} >/dev/null && "
            "apt-get clean && rm -rf /var/lib/apt/lists/*"
        )
        result = enter(build, "root", install, host_ca=False, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"installing {PACKAGES} failed:\n{result.stdout}{result.stderr}")
        partial = tarball.with_suffix(".partial")
        _run(["tar", "--numeric-owner", "-C", str(build), "-I", "zstd -T0 -3", "-cf",
              str(partial), "."], 300)  # fmt: skip
        partial.rename(tarball)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return tarball


def restore(into: Path) -> Path:
    """A fresh copy of the base root in ``into`` (which must not exist)."""
    into.mkdir(parents=True)
    _run(["tar", "--numeric-owner", "-I", "zstd", "-xpf", str(base_tarball()), "-C", str(into)],
         300)  # fmt: skip
    return into


def pip_setup() -> tuple[str, dict[str, str], list[str]]:
    """This machine's effective pip configuration as a global pip.conf text, its PIP_*
    variables, and the local paths it names (to bind into the root read-only)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60
    ).stdout
    lines, paths = ["[global]"], set()
    for line in listed.splitlines():
        match = re.match(r"^(:env:|global|install)\.([\w-]+)='(.*)'$", line)
        if not match:
            continue
        section, key, value = match.groups()
        if section != ":env:":
            lines.append(f"{key} = {value}")
        for word in value.split():
            path = word.removeprefix("file://").rstrip("/")
            if path.endswith("/simple"):
                path = path.removesuffix("/simple")  # its pages link to files beside it
            if path.startswith("/") and os.path.exists(path):
                paths.add(path)
    env = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
    for value in env.values():
        for word in value.split():
            if word.startswith("/") and os.path.exists(word):
                paths.add(word)
    return "\n".join(lines) + "\n", env, sorted(paths)


_ENTER = r"""
set -euo pipefail
R=$1; shift
hostname fresh
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount --bind -o ro /etc/resolv.conf "$R/etc/resolv.conf"
for d in $BIND_RO; do
  if [ -d "$d" ]; then mkdir -p "$R$d"; else mkdir -p "$(dirname "$R$d")"; touch "$R$d"; fi
  mount --bind -o ro "$d" "$R$d"
done
if [ "$HOST_CA" = 1 ] && [ -f "$R/etc/ssl/certs/ca-certificates.crt" ]; then
  mount --bind -o ro /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
fi
exec chroot --userspec="$AS_USER:$AS_USER" "$R" /usr/bin/env -i /bin/bash -c "$1"
"""


def enter(
    root: Path,
    user: str,
    script: str,
    env: dict[str, str] | None = None,
    host_ca: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with bash inside ``root`` as ``user`` (HOME /home/USER, or /root), with
    this machine's pip configuration and ``env``. The host's CA bundle is bound over the
    root's (this machine reaches the registries through its own CAs), except while the root's
    ca-certificates package itself is being installed (``host_ca=False``)."""
    pip_conf, pip_env, binds = pip_setup()
    if not host_ca:  # the cert bundle is the package's own file while it installs
        binds = [b for b in binds if not b.startswith("/etc/ssl/")]
    (root / "etc" / "pip.conf").write_text(pip_conf)
    home = "/root" if user == "root" else f"/home/{user}"
    inner = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": home, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
        **pip_env, **(env or {}),
    }  # fmt: skip
    outer = {
        **os.environ,
        "BIND_RO": " ".join(binds),
        "HOST_CA": "1" if host_ca else "0",
        "AS_USER": user,
    }
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in inner.items())
    cmd = ["unshare", "--mount", "--uts", "--pid", "--fork", "--kill-child",
           "--propagation", "private", "bash", "-c", _ENTER, "enter", str(root),
           exports + f"cd {shlex.quote(home)} 2>/dev/null || cd /\n" + script]  # fmt: skip
    return subprocess.run(cmd, env=outer, capture_output=True, text=True, timeout=timeout)
