#!/usr/bin/env bash
# Install claude-tts into Claude Code, or take it out again (--uninstall).
#
#   ./install.sh [--language ja] [--translate | --no-translate] [--japanese-voice]
#                [--no-neural-voice] [--scope user|project] [--project DIR] [--no-service] [--no-system-packages]
#                [--system-site-packages] [--dry-run]
#   ./install.sh --uninstall [--purge] [--scope user|project] [--project DIR]
#
# Installs into its own venv (so it works with Debian's, Ubuntu's and Homebrew's "externally
# managed" Python), links `claude-tts` into ~/.local/bin, installs or names the system
# libraries it needs, places the default config (only if you have none), merges our hooks into
# Claude Code's settings.json (keeping everything else, with a backup), keeps the daemon warm
# with a systemd user unit or a launchd agent, and ends by speaking a test sentence.
# Translation (torch, ~1 GB) is installed only when your language needs it; the offline
# Japanese voice (~330 MB) only for Japanese. A natural offline voice for your language comes
# too (Piper for English, ~190 MB; Kokoro for Japanese, ~270 MB; see README for their
# licences); --no-neural-voice skips it. Running it again changes nothing. It never asks
# for a password: system packages are installed only where sudo needs none.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
language="" scope=user project="$PWD" translate=auto japanese=auto neural=auto service=1 sysdeps=1
dry=0 uninstall=0 purge=0
venv_flags=()
die() { echo "install.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --language) language=${2:?--language needs a code, e.g. ja}; shift ;;
    --translate) translate=yes ;;
    --no-translate) translate=no ;;
    --japanese-voice) japanese=yes ;;
    --no-neural-voice) neural=no ;;
    --scope) scope=${2:?--scope needs user or project}; shift ;;
    --project) project=${2:?--project needs a directory}; shift ;;
    --no-service) service=0 ;;
    --no-system-packages) sysdeps=0 ;;
    --system-site-packages) venv_flags+=(--system-site-packages) ;;
    --dry-run) dry=1 ;;
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown option: $1 (see --help)" ;;
  esac
  shift
done
case "$scope" in
  user) settings="$HOME/.claude/settings.json" ;;
  project) settings="$(cd "$project" && pwd)/.claude/settings.json" ;;
  *) die "--scope must be user or project, not '$scope'" ;;
esac

py=${PYTHON:-python3}
command -v "$py" >/dev/null || die "Python 3.11 or newer is needed ($py not found)"
"$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11 or newer is needed; $py is $("$py" -c 'import platform; print(platform.python_version())')"

# Where everything lives: the package says (tts_core/paths.py), so this script never repeats it.
# Its light layer is the standard library alone, so the system python3 runs it from here.
eval "$(PYTHONPATH="$here" "$py" -S -m tts_core.paths)"
venv="$data_dir/venv"
hook="$data_dir/hooks/claude_tts_hook.py"
records="$data_dir/settings-records"
bin_dir="$HOME/.local/bin"
unit="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/claude-tts.service"
agent="$HOME/Library/LaunchAgents/com.github.claude-tts.plist"

has_user_systemd() { command -v systemctl >/dev/null && systemctl --user show-environment >/dev/null 2>&1; }
step_no=0
step() { step_no=$((step_no + 1)); step_started=$SECONDS; echo "[$step_no] $*"; }
took() { echo "    done in $((SECONDS - step_started)) s"; }

if [ "$uninstall" = 1 ]; then
  if [ -x "$venv/bin/claude-tts" ]; then
    "$venv/bin/claude-tts" stop >/dev/null 2>&1 || true
    "$venv/bin/claude-tts" hooks uninstall --settings "$settings" --record-dir "$records"
  fi
  if [ -f "$unit" ]; then
    systemctl --user disable --now claude-tts.service >/dev/null 2>&1 || true
    rm -f "$unit"; echo "removed $unit"
  fi
  if [ -f "$agent" ]; then
    launchctl bootout "gui/$(id -u)" "$agent" >/dev/null 2>&1 || true
    rm -f "$agent"; echo "removed $agent"
  fi
  if [ -L "$bin_dir/claude-tts" ] && [ "$(readlink "$bin_dir/claude-tts")" = "$venv/bin/claude-tts" ]; then
    rm -f "$bin_dir/claude-tts"; echo "removed $bin_dir/claude-tts"
  fi
  rm -rf "$venv" "$data_dir/hooks"; echo "removed $venv"
  if [ "$purge" = 1 ]; then
    rm -rf "$config_dir" "$data_dir" "$state_dir" "$log_dir" "$cache_dir" "$runtime_dir"
    echo "removed your config ($config_dir), logs and spool ($state_dir), caches and models" \
         "($cache_dir) and $data_dir"
  else
    echo "kept your config in $config_dir, logs in $log_dir and caches in $cache_dir (--purge removes them)"
  fi
  exit 0
fi

# What this machine needs: the language decides translation and the Japanese voice.
plan=$(PYTHONPATH="$here" "$py" -S -m tts_core.cli.install_plan ${language:+--language "$language"} \
       --translate "$translate" --japanese-voice "$japanese" --neural-voice "$neural") || exit 1
eval "$plan"

if [ "$dry" = 1 ]; then
  echo "would install into $venv (language: $language_name, extras: ${extras:-none}), config in $config_dir, hooks in $settings:"
  [ -n "$neural_voice" ] && echo "the natural offline voice $neural_voice: $neural_voice_size (--no-neural-voice skips it)"
  if [ -x "$venv/bin/claude-tts" ]; then
    "$venv/bin/claude-tts" hooks install --dry-run --settings "$settings" --hook "$hook" --python "$venv/bin/python"
  else
    PYTHONPATH="$here" "$py" -m tts_core hooks install --dry-run --settings "$settings" --hook "$hook" --python "$venv/bin/python"
  fi
  exit 0
fi

# 1. System libraries: PortAudio (sound) and espeak-ng (the offline voice). macOS has both
#    built in (the sounddevice wheel carries PortAudio; `say` speaks).
missing=()
if [ "$(uname -s)" = Linux ]; then
  libs=$(/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true)
  case "$libs" in *libportaudio.so.2*) ;; *) missing+=(libportaudio2) ;; esac
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
fi
if [ ${#missing[@]} -gt 0 ]; then
  step "System packages: ${missing[*]}"
  fix="sudo apt-get install -y ${missing[*]}"
  command -v apt-get >/dev/null || fix="install PortAudio and espeak-ng with your package manager (e.g. sudo dnf install portaudio espeak-ng)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if [ "$sysdeps" = 1 ] && command -v apt-get >/dev/null && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
    echo "    installing them with apt-get (no password needed here)"
    if $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
       || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; then
      took
    else
      echo "    could not install them; run: $fix"
    fi
  else
    echo "    missing; speech needs them. Run: $fix"
  fi
fi

# 2. The venv and the package.
step "Python environment in $venv"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv ${venv_flags[@]+"${venv_flags[@]}"} "$venv" \
    || die "could not create a venv with $py; on Debian/Ubuntu: sudo apt-get install python3-venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check -q)
took
if [ "$translate" = 1 ] && ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  if [ "$(uname -s)" = Linux ] && ! command -v nvidia-smi >/dev/null; then
    # The CPU build (~200 MB) instead of the CUDA one (~6 GB): from the PyTorch CPU index
    # alone (any extra index the user configured could offer a CUDA build with a higher
    # version), still honouring configured local wheel folders (find-links).
    step "Translation: torch, CPU build (a 200 MB download, 1 GB installed; this is the long step)"
    PIP_EXTRA_INDEX_URL="" "${pip[@]}" torch --index-url https://download.pytorch.org/whl/cpu \
      || die "could not install torch's CPU build; retry, or install without translation: ./install.sh --no-translate"
  else
    step "Translation: torch (a large download; this is the long step)"
    "${pip[@]}" torch || die "could not install torch; retry, or: ./install.sh --no-translate"
  fi
  took
fi
step "claude-tts${extras:+ with $extras} and its dependencies"
[ -n "$neural_voice" ] && echo "    with the natural offline voice $neural_voice ($neural_voice_size; --no-neural-voice skips it)"
"${pip[@]}" "$here${extras:+[$extras]}"
# gTTS without its dependencies: its click<8.2 pin is for its CLI only (see README).
"${pip[@]}" --no-deps 'gTTS==2.5.4'
mkdir -p "$data_dir/hooks"
install -m 0644 "$here/hooks/claude_tts_hook.py" "$hook"
# Where the hook finds the package, whatever scheme this Python's sysconfig defaults to.
"$venv/bin/python" -I -c 'import os, tts_core; print(os.path.dirname(os.path.dirname(tts_core.__file__)))' \
  > "$data_dir/hooks/package-root"
mkdir -p "$bin_dir"
ln -sfn "$venv/bin/claude-tts" "$bin_dir/claude-tts"
took

# 3. The config, only if there is none.
mkdir -p "$config_dir"
install -m 0644 "$here/config/schema.json" "$config_dir/schema.json"
if [ ! -f "$config_dir/config.yaml" ]; then
  install -m 0644 "$here/config/default.yaml" "$config_dir/config.yaml"
  echo "placed the default config in $config_dir/config.yaml"
fi
if [ -n "$language" ]; then
  "$venv/bin/python" - "$config_dir/config.yaml" "$language_code" <<'PY'
import re, sys
path, code = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
new, n = re.subn(r"(?m)^language:.*$", f"language: {code}", text)
open(path, "w", encoding="utf-8").write(new if n else f"language: {code}\n" + text)
print(f"language set to {code} in {path}")
PY
fi

# 4. The hooks.
"$venv/bin/claude-tts" hooks install --settings "$settings" --hook "$hook" \
  --python "$venv/bin/python" --record-dir "$records"

# 5. Keep the daemon warm.
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

# 6. Say something, and what next.
echo
cli="$bin_dir/claude-tts"
case ":$PATH:" in
  *":$bin_dir:"*) cli=claude-tts ;;
  *) echo "note: $bin_dir is not on your PATH; add it (export PATH=\"$bin_dir:\$PATH\") or run $cli" ;;
esac
if said=$("$venv/bin/claude-tts" say -v "claude-tts is installed. Claude Code can speak now."); then
  echo "claude-tts is installed and spoke a test sentence ($said; your language: $language_name)."
else
  echo "claude-tts is installed, but the test sentence could not be heard (see above); \"$cli doctor\" says what to fix."
fi
[ "$translate" = 1 ] && echo "Translation into $language_name needs its model once (about 2.5 GB): run \"$cli download-model\"; until then speech is untranslated."
[ "$translate" = 0 ] && [ "$language_code" != en ] && echo "Translation is not installed; ./install.sh --translate adds it."
echo "Next: start Claude Code in any project and it speaks its answers. \"$cli status\" shows what it said;"
echo "edit $config_dir/config.yaml to change the voice or language (no restart needed)."
echo "Undo with: $here/install.sh --uninstall$( [ "$scope" = project ] && echo " --scope project --project $project")"
