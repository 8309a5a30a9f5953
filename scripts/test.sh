#!/usr/bin/env bash
# The whole test suite from a fresh clone: system packages (when root), npm packages, build,
# typecheck, lint, format check, then every test file with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive for real.
declare -A NEED=(
  [socat]=socat
  [dbus-daemon]=dbus-daemon
  [busctl]=systemd
  [systemd-socket-activate]=systemd
  [gdbus]=libglib2.0-bin
  [Xvfb]=xvfb
  [dunst]=dunst
  [/usr/sbin/sshd]=openssh-server
  # The real-desktop tests (test/integration/real-desktop-*.test.ts, docs/DESKTOP-SERVICES.md).
  [sway]=sway
  [swaybg]=swaybg
  [grim]=grim
  [pipewire]=pipewire
  [/usr/libexec/xdg-desktop-portal]=xdg-desktop-portal
  [/usr/libexec/xdg-desktop-portal-wlr]=xdg-desktop-portal-wlr
  [/usr/libexec/xdg-desktop-portal-gtk]=xdg-desktop-portal-gtk
  [/usr/libexec/xdg-desktop-portal-gnome]=xdg-desktop-portal-gnome
  [gnome-shell]=gnome-shell
  [gpaste-client]=gpaste-2
  [klipper]=plasma-workspace
  [xclip]=xclip
  [cvlc]=vlc-bin
  [playerctl]=playerctl
  [sox]=sox
  [upower]=upower
  [umockdev-run]=umockdev
)
missing=()
for cmd in "${!NEED[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}"); done
/usr/bin/python3 -c 'import dbusmock' >/dev/null 2>&1 || missing+=(python3-dbusmock)
# VLC's D-Bus control and FLAC plugins (vlc-plugin-base has no program to look for).
compgen -G '/usr/lib/*/vlc/plugins/control/libdbus_plugin.so' >/dev/null || missing+=(vlc-plugin-base)
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" = 0 ]; then
    echo "test: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "test: missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm run --silent build
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check

mapfile -t files < <(find test -name '*.test.ts' | sort)
if [ $# -gt 0 ]; then files=("$@"); fi
# A private PID namespace reaps anything a test leaves behind (activated daemons re-parent to it).
# /proc is mounted anew inside it so pids the buses report match what /proc shows.
runner=(node --import tsx --test --test-concurrency=2 --test-timeout=300000 "${files[@]}")
ns=(unshare --pid --fork --kill-child --mount-proc)
if "${ns[@]}" true >/dev/null 2>&1; then
  exec "${ns[@]}" -- "${runner[@]}"
fi
exec "${runner[@]}"
