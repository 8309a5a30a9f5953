#!/usr/bin/env bash
# The Debian packages the tests drive for real (and shellcheck for `npm run check`). As root it
# installs what is missing; otherwise it names what is missing and fails. Run by scripts/test.sh.
set -euo pipefail

declare -A NEED=(
  [socat]=socat
  [dbus-daemon]=dbus-daemon
  [busctl]=systemd
  [systemd-socket-activate]=systemd
  [gdbus]=libglib2.0-bin
  [Xvfb]=xvfb
  [dunst]=dunst
  [shellcheck]=shellcheck
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
  # The red team's real-service doors (test/integration/redteam-code-exec.test.ts).
  [/usr/libexec/dconf-service]=dconf-service
)
missing=()
for cmd in "${!NEED[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}"); done
/usr/bin/python3 -c 'import dbusmock' >/dev/null 2>&1 || missing+=(python3-dbusmock)
# VLC's D-Bus control and FLAC plugins (vlc-plugin-base has no program to look for).
compgen -G '/usr/lib/*/vlc/plugins/control/libdbus_plugin.so' >/dev/null || missing+=(vlc-plugin-base)
[ ${#missing[@]} -gt 0 ] || exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" = 0 ]; then
  echo "setup-ci: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "setup-ci: missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
