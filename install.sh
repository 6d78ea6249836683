#!/usr/bin/env bash
# Install claude-tts into Claude Code, or take it out again (--uninstall).
#
#   ./install.sh [--language ja] [--scope user|project] [--project DIR] [--no-translate]
#                [--no-service] [--system-site-packages] [--dry-run]
#   ./install.sh --uninstall [--purge] [--scope user|project] [--project DIR]
#
# Installs into a venv under your data directory, places the default config (only if you have
# none), merges our hooks into Claude Code's settings.json (keeping everything else, with a
# backup) and keeps the daemon warm with a systemd user unit (Linux) or a launchd agent (macOS).
# Running it again changes nothing. It never asks for root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
language="" scope=user project="$PWD" translate=1 service=1 dry=0 uninstall=0 purge=0
venv_flags=()
die() { echo "install.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --language) language=${2:?--language needs a code, e.g. ja}; shift ;;
    --scope) scope=${2:?--scope needs user or project}; shift ;;
    --project) project=${2:?--project needs a directory}; shift ;;
    --no-translate) translate=0 ;;
    --no-service) service=0 ;;
    --system-site-packages) venv_flags+=(--system-site-packages) ;;
    --dry-run) dry=1 ;;
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
  shift
done
case "$scope" in
  user) settings="$HOME/.claude/settings.json" ;;
  project) settings="$(cd "$project" && pwd)/.claude/settings.json" ;;
  *) die "--scope must be user or project, not '$scope'" ;;
esac

if [ "$(uname -s)" = Darwin ]; then
  data="$HOME/Library/Application Support/claude-tts"
  config_dir="${XDG_CONFIG_HOME:-$HOME/.config}/claude-tts"
else
  data="${XDG_DATA_HOME:-$HOME/.local/share}/claude-tts"
  config_dir="${XDG_CONFIG_HOME:-$HOME/.config}/claude-tts"
fi
[ -n "${CLAUDE_TTS_HOME:-}" ] && config_dir="$CLAUDE_TTS_HOME/config"
venv="$data/venv"
hook="$data/hooks/claude_tts_hook.py"
unit="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/claude-tts.service"
agent="$HOME/Library/LaunchAgents/com.github.claude-tts.plist"

has_user_systemd() { command -v systemctl >/dev/null && systemctl --user show-environment >/dev/null 2>&1; }

if [ "$uninstall" = 1 ]; then
  if [ -x "$venv/bin/claude-tts" ]; then
    "$venv/bin/claude-tts" stop >/dev/null 2>&1 || true
    "$venv/bin/claude-tts" hooks uninstall --settings "$settings"
  fi
  if [ -f "$unit" ]; then
    systemctl --user disable --now claude-tts.service >/dev/null 2>&1 || true
    rm -f "$unit"; echo "removed $unit"
  fi
  if [ -f "$agent" ]; then
    launchctl bootout "gui/$(id -u)" "$agent" >/dev/null 2>&1 || true
    rm -f "$agent"; echo "removed $agent"
  fi
  rm -rf "$venv" "$data/hooks"; echo "removed $venv"
  if [ "$purge" = 1 ]; then
    rm -rf "$config_dir" "$data"; echo "removed $config_dir (your config) and $data"
  else
    echo "kept your config in $config_dir (--purge removes it)"
  fi
  exit 0
fi

py=${PYTHON:-python3}
command -v "$py" >/dev/null || die "Python 3.11 or newer is needed ($py not found)"
"$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11 or newer is needed; $py is $("$py" -c 'import platform; print(platform.python_version())')"

if [ "$dry" = 1 ]; then
  echo "would install into $venv, config in $config_dir, hooks in $settings:"
  if [ -x "$venv/bin/claude-tts" ]; then
    "$venv/bin/claude-tts" hooks install --dry-run --settings "$settings" --hook "$hook" --python "$venv/bin/python"
  else
    PYTHONPATH="$here" "$py" -m tts_core hooks install --dry-run --settings "$settings" --hook "$hook" --python "$venv/bin/python"
  fi
  exit 0
fi

# 1. The venv and the package.
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "${venv_flags[@]}" "$venv"
fi
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
extras="ja"
if [ "$translate" = 1 ]; then
  extras="ja,translate"
  # torch first: on Linux x86_64 without a GPU the CPU build is far smaller.
  if [ "$(uname -s)" = Linux ] && ! command -v nvidia-smi >/dev/null; then
    "${pip[@]}" torch --index-url https://download.pytorch.org/whl/cpu 2>/dev/null || "${pip[@]}" torch
  else
    "${pip[@]}" torch
  fi
fi
"${pip[@]}" "$here[$extras]"
# gTTS without its dependencies: its click<8.2 pin is for its CLI only (see README).
"${pip[@]}" --no-deps 'gTTS==2.5.4'
mkdir -p "$data/hooks"
install -m 0644 "$here/hooks/claude_tts_hook.py" "$hook"

# 2. The config, only if there is none.
mkdir -p "$config_dir"
install -m 0644 "$here/config/schema.json" "$config_dir/schema.json"
if [ ! -f "$config_dir/config.yaml" ]; then
  install -m 0644 "$here/config/default.yaml" "$config_dir/config.yaml"
  echo "placed the default config in $config_dir/config.yaml"
fi
if [ -n "$language" ]; then
  "$venv/bin/python" - "$config_dir/config.yaml" "$language" <<'PY'
import re, sys
from tts_core.languages import catalog as languages
path, value = sys.argv[1], sys.argv[2]
code = languages.lookup(value).code
text = open(path, encoding="utf-8").read()
new, n = re.subn(r"(?m)^language:.*$", f"language: {code}", text)
open(path, "w", encoding="utf-8").write(new if n else f"language: {code}\n" + text)
print(f"language set to {code} in {path}")
PY
fi

# 3. The hooks.
"$venv/bin/claude-tts" hooks install --settings "$settings" --hook "$hook" --python "$venv/bin/python"

# 4. Keep the daemon warm.
if [ "$service" = 1 ] && [ "$(uname -s)" = Darwin ]; then
  mkdir -p "$(dirname "$agent")"
  cat > "$agent" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>Label</key><string>com.github.claude-tts</string>
  <key>ProgramArguments</key><array><string>$venv/bin/claude-tts</string><string>serve</string></array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><true/>
  <key>ProcessType</key><string>Interactive</string>
</dict></plist>
PLIST
  launchctl bootout "gui/$(id -u)" "$agent" >/dev/null 2>&1 || true
  launchctl bootstrap "gui/$(id -u)" "$agent" && echo "daemon runs as a launchd agent ($agent)"
elif [ "$service" = 1 ] && has_user_systemd; then
  mkdir -p "$(dirname "$unit")"
  cat > "$unit" <<UNIT
[Unit]
Description=claude-tts speech daemon for Claude Code

[Service]
ExecStart="$venv/bin/claude-tts" serve
Restart=on-failure

[Install]
WantedBy=default.target
UNIT
  systemctl --user daemon-reload
  systemctl --user enable --now claude-tts.service >/dev/null && echo "daemon runs as a systemd user service ($unit)"
else
  echo "no service manager used: the hook starts the daemon when Claude Code first speaks"
fi

echo
echo "claude-tts is installed. Check it with: \"$venv/bin/claude-tts\" doctor"
echo "Undo with: $here/install.sh --uninstall$( [ "$scope" = project ] && echo " --scope project --project $project")"
