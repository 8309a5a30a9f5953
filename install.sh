#!/usr/bin/env bash
# install.sh — install, upgrade or remove dbus-mcp as a systemd user service.
# Run it as yourself: it uses sudo only for the system paths ($PREFIX/bin, /etc/dbus-mcp).
# Run under sudo, it installs the units for the invoking user ($SUDO_USER). Guide: docs/SYSTEMD-MODE.md.
set -euo pipefail

# Nothing runs before `main "$@"` at the end: the file is only constants and functions until then.
readonly SERVICE=dbus-mcp-standalone.service
readonly SOCKET=dbus-mcp-standalone.socket
readonly DEFAULT_PREFIX=/usr/local
readonly MIN_NODE=20.19.0
readonly CONFIG=/etc/dbus-mcp/config
readonly DROPIN=relax-namespaces.conf

usage() {
  cat <<EOF
Usage: ./install.sh [MODE] [OPTIONS]

Modes (default: --prod-only):
  --prod-only          build the standalone program and install it to PREFIX/bin/dbus-mcp, the
                       dbus-mcp-socket-wrapper next to it, the systemd user units to
                       ~/.config/systemd/user/ and $CONFIG (never overwritten); then
                       reload systemd, enable the socket and restart a running service
  --dev-only           build in place and install units that run this checkout's
                       dist/dbus-mcp.mjs (nothing in PREFIX or /etc)
  --uninstall          stop and disable the units, remove what install.sh installed;
                       keeps $CONFIG
  --purge              with --uninstall (or alone): remove $CONFIG too

Options:
  --prefix DIR         install the program and wrapper to DIR/bin (default $DEFAULT_PREFIX);
                       the unit's ExecStart follows
  --no-systemd         no units, no systemctl (for hosts without a systemd user manager)
  --relax-namespaces   also install the $DROPIN drop-in (hosts that forbid user
                       namespaces: the service fails with 217/USER)
  --no-build           install the existing dist/dbus-mcp.mjs instead of running npm
  --dry-run            print every action, change nothing
  -h, --help           this text

Environment:
  DESTDIR              staged install: every path (the units under \$DESTDIR\$HOME too) lands
                       below DESTDIR; systemctl is not run
EOF
}

say() { printf 'install.sh: %s\n' "$*"; }
die() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit 1
}

# Sets the mode and options from the command line.
parse_args() {
  mode=prod prefix=$DEFAULT_PREFIX purge=0 dry_run=0 no_systemd=0 relax=0 build=1
  local mode_flags=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --prod-only) mode=prod mode_flags=$((mode_flags + 1)) ;;
      --dev-only) mode=dev mode_flags=$((mode_flags + 1)) ;;
      --uninstall) mode=uninstall mode_flags=$((mode_flags + 1)) ;;
      --purge) purge=1 ;;
      --prefix)
        [ $# -ge 2 ] || die "--prefix needs a directory"
        prefix=$2
        shift
        ;;
      --prefix=*) prefix=${1#--prefix=} ;;
      --no-systemd) no_systemd=1 ;;
      --relax-namespaces) relax=1 ;;
      --no-build) build=0 ;;
      --dry-run | -n) dry_run=1 ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "unknown option '$1' (see ./install.sh --help)" ;;
    esac
    shift
  done
  [ "$mode_flags" -le 1 ] || die "choose one of --prod-only, --dev-only, --uninstall"
  if [ "$purge" = 1 ]; then
    if [ "$mode" = prod ] && [ "$mode_flags" = 0 ]; then mode=uninstall; fi
    [ "$mode" = uninstall ] || die "--purge goes with --uninstall"
  fi

  # Paths end up in unit files: keep them to characters systemd and the shell take literally.
  case "$prefix" in
    /*) ;;
    *) die "--prefix must be an absolute path, got '$prefix'" ;;
  esac
  [[ "$prefix" =~ ^[A-Za-z0-9/._+@-]+$ ]] || die "--prefix '$prefix' has characters a unit file cannot hold as is"
  prefix=${prefix%/}
  [ -n "$prefix" ] || prefix=/
}

# Sets who the units are for and every path install.sh touches.
resolve_paths() {
  destdir=${DESTDIR:-}
  if [ -n "$destdir" ]; then
    destdir=$(realpath -m -- "$destdir")
    [ "$destdir" != / ] || destdir=
  fi

  # The user whose systemd manager runs the service: the invoking user, also under sudo.
  euid=$(id -u)
  local as_other_user=0
  if [ "$euid" = 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    target_user=$SUDO_USER
    target_home=$(getent passwd "$target_user" | cut -d: -f6)
    [ -n "$target_home" ] || die "cannot find the home directory of $target_user"
    config_home=$target_home/.config
    data_home=$target_home/.local/share
    as_other_user=1
  else
    target_user=$(id -un)
    target_home=${HOME:?HOME is not set}
    config_home=${XDG_CONFIG_HOME:-$target_home/.config}
    data_home=${XDG_DATA_HOME:-$target_home/.local/share}
  fi
  target_uid=$(id -u "$target_user")
  [ -z "$destdir" ] || as_other_user=0
  under_sudo=$as_other_user

  # The one place that decides how a command runs as the target user (see as_user).
  as_user_prefix=()
  runtime_dir=${XDG_RUNTIME_DIR:-/run/user/$target_uid}
  if [ "$as_other_user" = 1 ]; then
    if command -v runuser >/dev/null 2>&1; then
      as_user_prefix=(runuser -u "$target_user" --)
    else
      as_user_prefix=(sudo -u "$target_user" --)
    fi
    runtime_dir=/run/user/$target_uid
  fi
  user_systemctl_cmd=(systemctl --user)
  if [ "$as_other_user" = 1 ] || [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    user_systemctl_cmd=(env XDG_RUNTIME_DIR="$runtime_dir" systemctl --user)
  fi

  unit_dir=$config_home/systemd/user
  dropin_dir=$unit_dir/$SERVICE.d
  manifest=$data_home/dbus-mcp/install-manifest
  bin_dir=${prefix%/}/bin
  program=$bin_dir/dbus-mcp
  wrapper=$bin_dir/dbus-mcp-socket-wrapper
  # The chunks the program imports on demand: it names them as ../lib/dbus-mcp/ from its own directory.
  lib_dir=${prefix%/}/lib/dbus-mcp
}

# ── Running actions ─────────────────────────────────────────────────────────────────────────
# Every change goes through `act`, which prints it and, unless --dry-run, runs it.

act() {
  local line cmd=("$@")
  [ "${cmd[0]}" != as_user ] || cmd=("${as_user_prefix[@]}" "${cmd[@]:1}")
  printf -v line ' %q' "${cmd[@]}"
  if [ "$dry_run" = 1 ]; then
    printf '(dry run)%s\n' "$line"
  else
    printf '+%s\n' "$line"
    "${cmd[@]}"
  fi
}

# as_user COMMAND…: runs COMMAND as the user whose units these are — directly when that is who
# runs install.sh, else (under sudo) through runuser, or `sudo -u` where there is no runuser.
# `act as_user COMMAND…` prints the command as it really runs.
as_user() { "${as_user_prefix[@]}" "$@"; }

# Where a path really lands.
dest() { printf '%s%s' "$destdir" "$1"; }

# Paths in the user's home belong to the user; the rest (PREFIX, /etc) to root.
owner_of() {
  case "$1" in
    "$target_home" | "$target_home"/* | "$config_home"/* | "$data_home"/*) echo user ;;
    *) echo system ;;
  esac
}

# The command prefix that makes a change to a path as the right user (into as_cmd).
as_for() {
  as_cmd=()
  if [ "$(owner_of "$1")" = user ]; then
    as_cmd=("${as_user_prefix[@]}")
    return
  fi
  [ -z "$destdir" ] && [ "$euid" != 0 ] || return 0
  local probe=$1
  while [ ! -e "$probe" ]; do probe=$(dirname -- "$probe"); done
  [ -w "$probe" ] && return
  command -v sudo >/dev/null 2>&1 || die "$1 needs root: run ./install.sh as root or install sudo"
  as_cmd=(sudo --)
}

# Creates a directory (real path) and any missing parents, remembering which it created
# (created_dirs).
ensure_dir() {
  local real=$1 missing=() d
  d=$real
  # (--dry-run creates nothing: a directory it already "created" counts as there.)
  while [ ! -d "$(dest "$d")" ] && [ "$d" != / ] && ! [[ " ${created_dirs[*]} " == *" $d "* ]]; do
    missing=("$d" "${missing[@]}")
    d=$(dirname -- "$d")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  as_for "$real"
  act "${as_cmd[@]}" mkdir -p -- "$(dest "$real")"
  created_dirs+=("${missing[@]}")
}

# install_file MODE SRC REAL: copies SRC to the real path REAL (under DESTDIR), atomically.
install_file() {
  local mode=$1 src=$2 real=$3 target
  target=$(dest "$real")
  if [ -f "$target" ] && cmp -s -- "$src" "$target" && [ "$(stat -c %a -- "$target")" = "${mode#0}" ]; then
    say "unchanged: $target"
    return
  fi
  ensure_dir "$(dirname -- "$real")"
  as_for "$real"
  act "${as_cmd[@]}" install -m "$mode" -- "$src" "$target.new-$$"
  act "${as_cmd[@]}" mv -f -- "$target.new-$$" "$target"
}

remove_file() {
  local real=$1 target
  target=$(dest "$real")
  [ -e "$target" ] || [ -L "$target" ] || return 0
  as_for "$real"
  act "${as_cmd[@]}" rm -f -- "$target"
}

remove_dir_if_empty() {
  local real=$1 target
  target=$(dest "$real")
  [ -d "$target" ] && [ -z "$(ls -A -- "$target")" ] || return 0
  as_for "$real"
  act "${as_cmd[@]}" rmdir -- "$target"
}

# ── systemd ─────────────────────────────────────────────────────────────────────────────────

# systemctl --user of the target user's manager; act_systemctl prints it and honours --dry-run.
user_systemctl() { as_user "${user_systemctl_cmd[@]}" "$@"; }
act_systemctl() { act as_user "${user_systemctl_cmd[@]}" "$@"; }

systemd_reachable() {
  [ -z "$destdir" ] && [ "$no_systemd" = 0 ] && command -v systemctl >/dev/null 2>&1 &&
    user_systemctl show-environment >/dev/null 2>&1
}

print_systemd_commands() {
  local why=$1
  say "$why; to start dbus-mcp, run as $target_user:"
  printf '    systemctl --user daemon-reload\n'
  printf '    systemctl --user enable --now %s\n' "$SOCKET"
  printf '    systemctl --user restart %s   # only if it is already running\n' "$SERVICE"
  printf '    loginctl enable-linger %s   # optional: keep it running without a login session\n' "$target_user"
}

# ── Manifest: what this script installed, so --uninstall removes exactly that ──────────────

# Reads the manifest into manifest_files and manifest_dirs.
read_manifest() {
  local kind path file
  file=$(dest "$manifest")
  [ -f "$file" ] || return 1
  while read -r kind path; do
    case "$kind" in
      file) manifest_files+=("$path") ;;
      dir) manifest_dirs+=("$path") ;;
    esac
  done <"$file"
}

write_manifest() {
  local tmp=$work/manifest f d
  local -A seen=()
  ensure_dir "$(dirname -- "$manifest")"
  {
    printf '# dbus-mcp install manifest, written by install.sh (%s mode). Paths exclude DESTDIR.\n' "$mode"
    for f in "$@"; do
      [ -n "${seen[f:$f]:-}" ] && continue
      seen[f:$f]=1
      if [ "$dry_run" = 1 ] || [ -e "$(dest "$f")" ]; then printf 'file %s\n' "$f"; fi
    done
    for d in "${manifest_dirs[@]}" "${created_dirs[@]}"; do
      [ -n "${seen[d:$d]:-}" ] && continue
      seen[d:$d]=1
      printf 'dir %s\n' "$d"
    done
  } >"$tmp"
  chmod 0644 "$tmp"
  install_file 0644 "$tmp" "$manifest"
}

# ── Building ────────────────────────────────────────────────────────────────────────────────

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

check_prerequisites() {
  local hint=''
  [ "$under_sudo" = 0 ] || hint=' (sudo resets PATH: run ./install.sh as yourself; it asks for sudo where needed)'
  command -v node >/dev/null 2>&1 || die "node not found on PATH$hint: install Node.js >= $MIN_NODE (https://nodejs.org/ or your distribution's nodejs package)"
  local version
  version=$(node -p 'process.versions.node')
  version_ge "$version" "$MIN_NODE" || die "node $version is too old: dbus-mcp needs Node.js >= $MIN_NODE"
  if [ "$build" = 1 ]; then
    command -v npm >/dev/null 2>&1 || die "npm not found on PATH$hint: install npm (it comes with Node.js; on Debian/Ubuntu: apt install npm)"
  fi
}

run_build() {
  if [ "$build" = 0 ]; then
    [ -f "$SRC_DIR/dist/dbus-mcp.mjs" ] || die "--no-build: $SRC_DIR/dist/dbus-mcp.mjs does not exist (run npm run build)"
    return
  fi
  cd "$SRC_DIR"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    act as_user npm ci --no-audit --no-fund
  fi
  act as_user npm run --silent build
  [ "$dry_run" = 1 ] || [ -f dist/dbus-mcp.mjs ] || die "the build did not produce dist/dbus-mcp.mjs"
}

# systemd's user manager looks for `node` on its own PATH; when node lives elsewhere (nvm, a
# tarball in $HOME), the installed program names it by absolute path.
node_for_shebang() {
  local d
  for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    [ -x "$d/node" ] && return 1
  done
  command -v node
}

# Escapes a path for an ExecStart= line.
unit_quote() {
  local s=${1//%/%%}
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//\$/\$\$}
  printf '"%s"' "$s"
}

# Generates the units into $work with the given ExecStart= command line.
generate_units() {
  local exec_start=$1
  cp -- "$SRC_DIR/systemd/$SOCKET" "$work/$SOCKET"
  local line found=0
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ "$line" == ExecStart=* ]]; then
      line="ExecStart=$exec_start"
      found=1
    fi
    printf '%s\n' "$line"
  done <"$SRC_DIR/systemd/$SERVICE" >"$work/$SERVICE"
  [ "$found" = 1 ] || die "systemd/$SERVICE has no ExecStart= line"
  cp -- "$SRC_DIR/systemd/$DROPIN" "$work/$DROPIN"
  chmod 0644 "$work/$SOCKET" "$work/$SERVICE" "$work/$DROPIN"
}

# ── Modes ───────────────────────────────────────────────────────────────────────────────────

install_units_and_start() {
  local -n files_ref=$1
  if [ "$no_systemd" = 1 ]; then
    say "--no-systemd: no units installed; start it with: $2"
    return
  fi
  install_file 0644 "$work/$SOCKET" "$unit_dir/$SOCKET"
  install_file 0644 "$work/$SERVICE" "$unit_dir/$SERVICE"
  files_ref+=("$unit_dir/$SOCKET" "$unit_dir/$SERVICE")
  if [ "$relax" = 1 ]; then
    install_file 0644 "$work/$DROPIN" "$dropin_dir/$DROPIN"
  fi
  if [ -e "$(dest "$dropin_dir/$DROPIN")" ]; then files_ref+=("$dropin_dir/$DROPIN"); fi
}

start_units() {
  if [ "$no_systemd" = 1 ]; then return; fi
  if [ -n "$destdir" ]; then
    print_systemd_commands "staged install under DESTDIR=$destdir"
    return
  fi
  if ! systemd_reachable; then
    print_systemd_commands "no user systemd reachable for $target_user (systemctl --user show-environment failed)"
    return
  fi
  local was_running=0 socket_active=0
  user_systemctl is-active --quiet "$SERVICE" && was_running=1
  user_systemctl is-active --quiet "$SOCKET" && socket_active=1
  act_systemctl daemon-reload
  # A unit that failed before (a start limit hit, a sandbox this host could not set up) refuses to
  # be started again until its failure is reset.
  if user_systemctl is-failed --quiet "$SERVICE" "$SOCKET"; then act_systemctl reset-failed "$SERVICE" "$SOCKET"; fi
  act_systemctl enable "$SOCKET"
  if [ "$socket_active" = 1 ]; then
    # The socket unit keeps the listening socket open: clients that connect meanwhile queue.
    if [ "$was_running" = 1 ]; then act_systemctl restart "$SERVICE"; fi
  else
    # systemd refuses to start a socket whose service already runs (started without it).
    if [ "$was_running" = 1 ]; then act_systemctl stop "$SERVICE"; fi
    act_systemctl start "$SOCKET"
    if [ "$was_running" = 1 ]; then act_systemctl start "$SERVICE"; fi
  fi
  say "socket: \$XDG_RUNTIME_DIR/dbus-mcp.sock (the service starts on the first connection)"
  say "status: systemctl --user status $SERVICE; logs: journalctl --user -u $SERVICE -f"
}

# Installs the build's chunks (and worker-snapshot.cjs, what the worker snapshot is built from) to
# lib_dir (appending them to the caller's `files`) and removes those of an earlier build that this
# one no longer has.
install_program_lib() {
  local f name
  for f in "$SRC_DIR"/dist/lib/dbus-mcp/*.mjs "$SRC_DIR"/dist/lib/dbus-mcp/*.cjs; do
    [ -e "$f" ] || continue
    install_file 0644 "$f" "$lib_dir/${f##*/}"
    files+=("$lib_dir/${f##*/}")
  done
  for f in "$(dest "$lib_dir")"/*.mjs "$(dest "$lib_dir")"/*.cjs; do
    [ -e "$f" ] || continue
    name=${f##*/}
    [ -e "$SRC_DIR/dist/lib/dbus-mcp/$name" ] || remove_file "$lib_dir/$name"
  done
}

# The version being installed: what the built program says (the manifest's before a first build).
program_version() {
  if [ -f "$SRC_DIR/dist/dbus-mcp.mjs" ]; then
    node "$SRC_DIR/dist/dbus-mcp.mjs" --version
  else
    node -p 'require(process.argv[1]).version' "$SRC_DIR/package.json"
  fi
}

do_prod() {
  check_prerequisites
  run_build
  local files=() node_path shebang_note=''
  if [ ! -f "$SRC_DIR/dist/dbus-mcp.mjs" ]; then
    : >"$work/dbus-mcp" # --dry-run before the first build
  elif node_path=$(node_for_shebang); then
    { printf '#!%s\n' "$node_path" && tail -n +2 -- "$SRC_DIR/dist/dbus-mcp.mjs"; } >"$work/dbus-mcp"
    shebang_note="node is not on the service manager's PATH: $program runs $node_path (re-run install.sh after changing Node versions)"
  else
    cp -- "$SRC_DIR/dist/dbus-mcp.mjs" "$work/dbus-mcp"
  fi
  chmod 0755 "$work/dbus-mcp"
  generate_units "$program serve"

  install_file 0755 "$work/dbus-mcp" "$program"
  install_program_lib
  install_file 0755 "$SRC_DIR/bin/dbus-mcp-socket-wrapper" "$wrapper"
  files+=("$program" "$wrapper")
  if [ -e "$(dest "$CONFIG")" ]; then
    say "keeping the existing $(dest "$CONFIG")"
  else
    install_file 0644 "$SRC_DIR/config/config.example" "$CONFIG"
  fi
  install_units_and_start files "$wrapper (or $program serve)"
  write_manifest "${manifest_files[@]}" "${files[@]}"
  [ -z "$shebang_note" ] || say "$shebang_note"
  start_units
  local done_word=installed
  [ "$dry_run" = 0 ] || done_word="would install (dry run)"
  say "$done_word dbus-mcp $(program_version) to $(dest "$program"); configuration: $CONFIG"
}

do_dev() {
  check_prerequisites
  run_build
  local files=() node_path
  node_path=$(command -v node)
  generate_units "$(unit_quote "$node_path") $(unit_quote "$SRC_DIR/dist/dbus-mcp.mjs") serve"
  install_units_and_start files "node $SRC_DIR/dist/dbus-mcp.mjs serve"
  write_manifest "${manifest_files[@]}" "${files[@]}"
  start_units
  say "development install: the service runs $SRC_DIR/dist/dbus-mcp.mjs (rebuild with npm run build, then systemctl --user restart $SERVICE)"
}

# Where the socket unit listens, one path a line (a drop-in may have moved ListenStream=); the
# default path when systemd does not say.
listen_paths() {
  local paths
  paths=$(user_systemctl show -p Listen --value "$SOCKET" 2>/dev/null | sed -n 's/^\(\/[^ ]*\) (Stream)$/\1/p') || true
  printf '%s\n' "${paths:-$runtime_dir/dbus-mcp.sock}"
}

# After the units stopped: systemd leaves the socket unit's file in place, and a supervisor that
# was killed leaves its control socket (<socket>.ctl); neither serves anyone any more.
remove_sockets() {
  local path p
  while IFS= read -r path; do
    for p in "$path" "$path.ctl"; do
      if [ -S "$p" ]; then act as_user rm -f -- "$p"; fi
    done
  done <<<"$1"
}

do_uninstall() {
  if systemd_reachable; then
    local unit sockets
    sockets=$(listen_paths)
    for unit in "$SOCKET" "$SERVICE"; do
      if user_systemctl cat "$unit" >/dev/null 2>&1; then act_systemctl disable --now "$unit"; fi
    done
    remove_sockets "$sockets"
  elif [ -z "$destdir" ] && [ "$no_systemd" = 0 ] && command -v systemctl >/dev/null 2>&1; then
    say "no user systemd reachable: if dbus-mcp runs, stop it: systemctl --user disable --now $SOCKET $SERVICE"
  fi
  if ! read_manifest; then
    say "no manifest at $(dest "$manifest"): removing the default locations (prefix $prefix)"
    manifest_files=("$program" "$wrapper" "$unit_dir/$SOCKET" "$unit_dir/$SERVICE" "$dropin_dir/$DROPIN")
  fi
  local f d
  for f in "${manifest_files[@]}"; do remove_file "$f"; done
  remove_file "$manifest"
  if [ "$purge" = 1 ]; then
    remove_file "$CONFIG"
    remove_dir_if_empty "$(dirname -- "$CONFIG")"
  elif [ -e "$(dest "$CONFIG")" ]; then
    say "kept $(dest "$CONFIG") (remove it with --uninstall --purge)"
  fi
  # Directories install.sh created, deepest first, when nothing else is in them.
  manifest_dirs+=("$dropin_dir" "$(dirname -- "$manifest")")
  while IFS= read -r d; do
    [ -n "$d" ] && remove_dir_if_empty "$d"
  done < <(printf '%s\n' "${manifest_dirs[@]}" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- | uniq)
  if systemd_reachable; then
    act_systemctl daemon-reload
    user_systemctl reset-failed "$SERVICE" "$SOCKET" >/dev/null 2>&1 || true
  fi
  say "uninstalled"
}

main() {
  SRC_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
  readonly SRC_DIR
  declare -ga as_cmd=() created_dirs=() manifest_files=() manifest_dirs=()
  parse_args "$@"
  resolve_paths
  work=$(mktemp -d "${TMPDIR:-/tmp}/dbus-mcp-install.XXXXXX")
  trap 'rm -rf -- "$work"' EXIT
  chmod 0755 "$work"

  [ -z "$destdir" ] || say "staged install: every path below DESTDIR=$destdir"
  [ "$dry_run" = 0 ] || say "dry run: printing the actions, changing nothing"
  read_manifest || true
  case "$mode" in
    prod) do_prod ;;
    dev) do_dev ;;
    uninstall)
      manifest_files=()
      manifest_dirs=()
      do_uninstall
      ;;
  esac
}

main "$@"
