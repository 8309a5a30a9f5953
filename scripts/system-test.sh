#!/usr/bin/env bash
# npm run test:system — the systemd guide (docs/SYSTEMD-MODE.md) walked under a real systemd.
#
# Builds (once, cached) a small Debian 12 VM image with debootstrap, copies this machine's Node.js
# and a built copy of this checkout onto a payload disk, boots the image with qemu (KVM when it
# really works, else TCG), lets a oneshot unit run test/system/scenario.sh as the unprivileged user
# alice (lingering, passwordless sudo), reads the results back from the payload disk and prints one
# TAP line per step and the node test runner's summary. Exit status 1 when any step failed.
# Not part of `npm test`: under TCG a full run takes about 30 minutes (docs/SYSTEMD-MODE.md).
set -euo pipefail

# ── Switches ────────────────────────────────────────────────────────────────────────────────
# ISSUE 18 WORKAROUND (off: the run tests the unit as shipped). Before issue 18's adaptive worker
# boot deadline and spare back-off, a worker on an emulated CPU did not boot within the supervisor's
# fixed 15 s deadline under the shipped CPUQuota=50%, and a spare pool that forked, killed and forked
# again ate what the clients' workers needed. With the switch on (here, or
# SYSTEM_TEST_ISSUE18_WORKAROUND=1) the scenario
#   - lifts the quota at run time: systemctl --user set-property --runtime
#     dbus-mcp-standalone.service CPUQuota=200%,
#   - sets SPARE_WORKERS="0" in ~/.config/dbus-mcp/config (every client's worker boots alone),
#   - opens a session again when the server closed it with "worker could not start",
# and says so in its output: for telling a slow machine from a regression.
readonly ISSUE18_WORKAROUND_DEFAULT=0
# Under TCG the plainest CPU model is the least to emulate (node starts faster than with -cpu max).
readonly TCG_CPU_DEFAULT=qemu64
# Under TCG on a shared host a worker's event loop stalls for seconds at a time: the scenario sets
# WORKER_HEARTBEAT_MS to this (default 5000) in alice's ~/.config/dbus-mcp/config and says so.
readonly TCG_HEARTBEAT_MS=30000
# Under TCG the emulated CPU is too slow for the shipped CPUQuota=50%: there `dbus-mcp stdio` takes
# ~15 s to answer initialize at full speed, and under the quota a worker did not boot within the
# supervisor's adaptive deadline at its ceiling (WORKER_BOOT_TIMEOUT_MAX_MS, 120 s), so every
# session was answered "worker could not start … raise the unit's CPUQuota=". The scenario lifts
# the quota to this at run time (systemctl --user set-property --runtime), says so, and the limits
# step checks both the shipped CPUQuota=50% in the unit and the lifted cpu.max. Empty: the shipped
# quota under TCG too. Under KVM the unit runs as shipped.
readonly TCG_CPU_QUOTA=200%

usage() {
  cat <<'EOF'
Usage: npm run test:system [-- OPTIONS]   (or: bash scripts/system-test.sh [OPTIONS])

  --steps ID,ID,…   run only these steps of test/system/scenario.sh, in scenario order
                    (include `install` first); --list shows them
  --list            list the steps and exit
  --rebuild         build the VM image again even when a cached one matches
  --image-only      build (or check) the cached image and stop
  --accel kvm|tcg   force the accelerator (default: KVM when a probe boots, else TCG)
  --timeout MIN     give up on the VM after MIN minutes (default 90)
  -h, --help        this text

Environment:
  DBUS_MCP_SYSTEM_TEST_CACHE   cache directory (default /var/cache/dbus-mcp-system-test as root,
                               else ${XDG_CACHE_HOME:-~/.cache}/dbus-mcp-system-test)
  DBUS_MCP_SYSTEM_TEST_MIRROR  Debian mirror for debootstrap (default: the one apt uses here)
  SYSTEM_TEST_ISSUE18_WORKAROUND  1/0: lift CPUQuota and run without spare workers (default 0:
                               the unit as shipped; see ISSUE18_WORKAROUND_DEFAULT in this script)
  SYSTEM_TEST_QEMU_CPU         qemu's -cpu under TCG (default qemu64)
  SYSTEM_TEST_TCG_CPU_QUOTA    the service's CPUQuota under TCG, set at run time (default 200%;
                               empty: the shipped 50%; see TCG_CPU_QUOTA in this script)
  SYSTEM_TEST_STRICT=1         steps listed in test/system/expected-failures count as failures

The cache holds the image (image-<key>/), the last two runs' logs and results (last-run/,
previous-run/: serial.log, results/steps/NN-ID.log, results/journal*.txt). Clear it
with `rm -rf <cache dir>`; an image whose key (test/system/packages + image-setup.sh) no longer
matches is replaced by the next run.
EOF
}

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly SYS=$ROOT/test/system
readonly SUITE=bookworm
readonly VM_MEMORY=2560M
readonly VM_CPUS=2

say() { printf 'system-test: %s\n' "$*" >&2; }
die() {
  printf 'system-test: error: %s\n' "$*" >&2
  exit 2
}

# ── Host prerequisites ──────────────────────────────────────────────────────────────────────

ensure_host_tools() {
  local -A need=([qemu-system-x86_64]=qemu-system-x86 [debootstrap]=debootstrap
    [mkfs.ext4]=e2fsprogs [debugfs]=e2fsprogs [socat]=socat)
  local missing=() cmd
  for cmd in "${!need[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})"
  say "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >&2
}

# The mirror apt uses on this machine (deb822 .sources first, then sources.list).
debian_mirror() {
  if [ -n "${DBUS_MCP_SYSTEM_TEST_MIRROR:-}" ]; then
    printf '%s\n' "$DBUS_MCP_SYSTEM_TEST_MIRROR"
    return
  fi
  local uri
  uri=$(awk '
    /^[Uu][Rr][Ii][Ss]:/ { uris = $2 }
    /^[Ss]uites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print uris; exit } }
    /^$/ { uris = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# ── The image cache ─────────────────────────────────────────────────────────────────────────

cache_dir() {
  if [ -n "${DBUS_MCP_SYSTEM_TEST_CACHE:-}" ]; then
    printf '%s\n' "$DBUS_MCP_SYSTEM_TEST_CACHE"
  elif [ "$(id -u)" = 0 ]; then
    printf '/var/cache/dbus-mcp-system-test\n'
  else
    printf '%s/dbus-mcp-system-test\n' "${XDG_CACHE_HOME:-$HOME/.cache}"
  fi
}

image_key() {
  { grep -v '^#' "$SYS/packages" && cat "$SYS/image-setup.sh" && echo "$SUITE"; } | sha256sum | cut -c1-16
}

build_image() {
  local dir=$1 build=$1.build
  [ "$(id -u)" = 0 ] || die "building the VM image needs root (debootstrap, chroot); run as root once, or point DBUS_MCP_SYSTEM_TEST_CACHE at a cache that has image-$(basename "$dir" | cut -d- -f2)"
  local mirror packages
  mirror=$(debian_mirror)
  packages=$(grep -v '^#' "$SYS/packages" | grep -v '^$' | paste -sd, -)
  say "building the VM image (debootstrap $SUITE from $mirror; a few minutes, once)"
  rm -rf -- "$build"
  mkdir -p -- "$build"
  local started=$SECONDS
  if ! nice -n 15 debootstrap --variant=minbase --include="$packages" "$SUITE" "$build/root" "$mirror" \
    >"$build/debootstrap.log" 2>&1; then
    tail -n 30 "$build/debootstrap.log" >&2
    die "debootstrap failed (log: $build/debootstrap.log)"
  fi
  bash "$SYS/image-setup.sh" "$build/root"
  local kernel initrd
  kernel=$(find "$build/root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
  initrd=$(find "$build/root/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)
  if [ -z "$kernel" ] || [ -z "$initrd" ]; then die "the image has no kernel or initrd in /boot"; fi
  cp -- "$kernel" "$build/vmlinuz"
  cp -- "$initrd" "$build/initrd.img"
  nice -n 15 mkfs.ext4 -q -F -L dbusmcp-root -d "$build/root" "$build/root.img" 3G
  rm -rf -- "$build/root"
  mv -- "$build" "$dir"
  say "image built in $((SECONDS - started)) s: $dir"
}

# One image per key: a matching one is used as it is, others are removed once a new one exists.
ensure_image() {
  local cache=$1 key dir
  key=$(image_key)
  dir=$cache/image-$key
  if [ "$rebuild" = 1 ] || [ ! -f "$dir/root.img" ]; then
    rm -rf -- "$dir"
    build_image "$dir"
    local old
    for old in "$cache"/image-*; do
      [ "$old" = "$dir" ] || [ ! -d "$old" ] || rm -rf -- "$old"
    done
  else
    say "using the cached VM image $dir"
  fi
  image=$dir
}

# ── The payload disk: this checkout built, this machine's Node.js, the run's settings ───────

build_payload() {
  local run=$1 stage=$1/payload
  rm -rf -- "$stage"
  mkdir -p -- "$stage/checkout" "$stage/node/bin" "$stage/node/lib/node_modules" "$stage/results"
  say "copying the checkout (tracked and untracked files, not ignored ones) and building it"
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$stage/checkout"
  if [ -d "$ROOT/node_modules" ] && ! [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    cp -a -- "$ROOT/node_modules" "$stage/checkout/node_modules"
  else
    (cd "$stage/checkout" && npm ci --no-audit --no-fund >&2)
  fi
  (cd "$stage/checkout" && npm run --silent build >&2)
  # install.sh skips `npm ci` when node_modules is newer than the lock file, as here.
  touch "$stage/checkout/node_modules/.package-lock.json"

  local node npm_dir
  node=$(readlink -f -- "$(command -v node)")
  npm_dir=$(readlink -f -- "$(dirname -- "$(readlink -f -- "$(command -v npm)")")/..")
  cp -- "$node" "$stage/node/bin/node"
  cp -a -- "$npm_dir" "$stage/node/lib/node_modules/npm"
  say "Node.js $("$node" --version) from $node, npm from $npm_dir"

  {
    printf 'STEPS=%q\n' "$steps"
    printf 'ISSUE18_WORKAROUND=%q\n' "${SYSTEM_TEST_ISSUE18_WORKAROUND:-$ISSUE18_WORKAROUND_DEFAULT}"
    printf 'ACCEL=%q\n' "$accel"
    if [ "$accel" = tcg ]; then
      printf 'WORKER_HEARTBEAT_MS=%q\n' "$TCG_HEARTBEAT_MS"
      printf 'CPU_QUOTA=%q\n' "${SYSTEM_TEST_TCG_CPU_QUOTA-$TCG_CPU_QUOTA}"
    fi
  } >"$stage/run.env"
  cat >"$stage/run" <<'EOF'
#!/bin/sh
exec /bin/bash /mnt/payload/checkout/test/system/vm-runner.sh /mnt/payload
EOF
  chmod 0755 "$stage/run"
  # The checkout belongs to alice (uid 1000) in the VM: install.sh builds in it as her.
  chown -R 1000:1000 "$stage/checkout" "$stage/results"
  rm -f -- "$run/payload.img"
  mkfs.ext4 -q -F -L dbusmcp-payload -d "$stage" "$run/payload.img" 2G
  rm -rf -- "$stage"
}

# ── qemu ────────────────────────────────────────────────────────────────────────────────────

# KVM only when a guest really runs: on some hosts /dev/kvm exists but guests hang in the kernel
# decompressor. The probe boots the image's kernel without a root file system and waits (briefly)
# for the panic that proves the kernel ran.
probe_kvm() {
  if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    say "no usable /dev/kvm: TCG"
    return 1
  fi
  grep -qwE 'vmx|svm' /proc/cpuinfo || say "note: the CPU shows no vmx/svm flag; probing KVM anyway"
  local log
  log=$(timeout 25 qemu-system-x86_64 -accel kvm -m 256M -nographic -no-reboot -nic none \
    -kernel "$image/vmlinuz" -append 'console=ttyS0 panic=-1 root=/dev/nonexistent' 2>&1 || true)
  if grep -q 'Kernel panic' <<<"$log"; then
    say "KVM works"
    return 0
  fi
  say "KVM probe did not boot a kernel within 25 s: TCG (-accel tcg,thread=multi)"
  return 1
}

run_vm() {
  local run=$1 accel_args
  if [ "$accel" = kvm ]; then accel_args=(-accel kvm -cpu host); else accel_args=(-accel "tcg,thread=multi" -cpu "${SYSTEM_TEST_QEMU_CPU:-$TCG_CPU_DEFAULT}"); fi
  say "booting the VM ($accel, $VM_CPUS CPUs, $VM_MEMORY; serial console: $run/serial.log)"
  local started=$SECONDS status=0
  timeout --kill-after=30 "$((timeout_min * 60))" nice -n 15 qemu-system-x86_64 "${accel_args[@]}" \
    -smp "$VM_CPUS" -m "$VM_MEMORY" -nographic -no-reboot -nic none \
    -device virtio-rng-pci \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append 'root=/dev/vda rw console=ttyS0 systemd.wants=dbus-mcp-system-test.service systemd.show_status=0 panic=10' \
    -drive "file=$image/root.img,format=raw,if=virtio,snapshot=on" \
    -drive "file=$run/payload.img,format=raw,if=virtio" \
    </dev/null >"$run/serial.log" 2>&1 || status=$?
  vm_seconds=$((SECONDS - started))
  [ "$status" != 124 ] || say "the VM did not finish within $timeout_min min; it was stopped"
  [ "$status" = 0 ] || [ "$status" = 124 ] || say "qemu exited with status $status (see $run/serial.log)"
}

# ── Results ─────────────────────────────────────────────────────────────────────────────────

read_results() {
  local run=$1
  rm -rf -- "$run/results"
  debugfs -R "rdump /results $run" "$run/payload.img" >/dev/null 2>&1 || true
  [ -d "$run/results" ] || mkdir -p "$run/results"
  chown -R "$(id -u):$(id -g)" "$run/results"
}

declare -A expected_failure=()
read_expected_failures() {
  local id reason
  [ "${SYSTEM_TEST_STRICT:-0}" != 1 ] || return 0
  while read -r id reason; do
    if [ -z "$id" ] || [ "${id:0:1}" = '#' ]; then continue; fi
    expected_failure[$id]=$reason
  done <"$SYS/expected-failures"
}

report() {
  local run=$1 tsv=$1/results/results.tsv n=0 pass=0 fail=0 todo=0
  printf 'TAP version 13\n'
  if [ -f "$tsv" ]; then
    local id verdict secs title log
    while IFS=$'\t' read -r id verdict secs title; do
      n=$((n + 1))
      log=$(find "$run/results/steps" -name "*-$id.log" 2>/dev/null | head -n 1)
      if [ "$verdict" = ok ]; then
        if [ -n "${expected_failure[$id]:-}" ]; then
          printf 'ok %d - %s: %s (%s s) # expected to fail, passed: remove it from test/system/expected-failures\n' "$n" "$id" "$title" "$secs"
        else
          printf 'ok %d - %s: %s (%s s)\n' "$n" "$id" "$title" "$secs"
        fi
        pass=$((pass + 1))
      else
        if [ -n "${expected_failure[$id]:-}" ]; then
          printf 'not ok %d - %s: %s (%s s) # TODO %s\n' "$n" "$id" "$title" "$secs" "${expected_failure[$id]}"
          todo=$((todo + 1))
        else
          printf 'not ok %d - %s: %s (%s s)\n' "$n" "$id" "$title" "$secs"
          fail=$((fail + 1))
        fi
        [ -z "$log" ] || grep -E '^(FAIL|NOTE):' "$log" | head -n 12 | sed 's/^/#   /' || true
      fi
      if [ "$verdict" = ok ] && [ -n "$log" ]; then grep -E '^NOTE:' "$log" | sed 's/^/# /' || true; fi
    done <"$tsv"
  fi
  local finished=0
  [ -f "$run/results/finished" ] && finished=1
  if [ "$finished" = 0 ]; then
    n=$((n + 1))
    fail=$((fail + 1))
    printf 'not ok %d - the scenario did not finish (VM timeout or crash; see %s/serial.log)\n' "$n" "$run"
  fi
  printf '1..%d\n' "$n"
  printf '# tests %d\n# suites 0\n# pass %d\n# fail %d\n# cancelled 0\n# skipped 0\n# todo %d\n' \
    "$n" "$pass" "$fail" "$todo"
  printf '# duration_ms %d\n' "$(((SECONDS - t0) * 1000))"
  printf '# VM %s, %d s; logs and results: %s\n' "$accel" "$vm_seconds" "$run"
  [ "$fail" = 0 ]
}

# ── main ────────────────────────────────────────────────────────────────────────────────────

main() {
  steps='' rebuild=0 image_only=0 accel='' timeout_min=90 vm_seconds=0 image=''
  while [ $# -gt 0 ]; do
    case "$1" in
      --steps)
        [ $# -ge 2 ] || die "--steps needs a list"
        steps=$2
        shift
        ;;
      --steps=*) steps=${1#--steps=} ;;
      --list)
        bash "$SYS/scenario.sh" --list
        return 0
        ;;
      --rebuild) rebuild=1 ;;
      --image-only) image_only=1 ;;
      --accel)
        [ $# -ge 2 ] || die "--accel needs kvm or tcg"
        accel=$2
        shift
        ;;
      --timeout)
        [ $# -ge 2 ] || die "--timeout needs minutes"
        timeout_min=$2
        shift
        ;;
      -h | --help)
        usage
        return 0
        ;;
      *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
  done
  case "$accel" in '' | kvm | tcg) ;; *) die "--accel takes kvm or tcg" ;; esac
  [ "$(id -u)" = 0 ] || die "run as root: the payload disk's files belong to the VM's uid 1000 (chown), and the first run needs debootstrap"
  t0=$SECONDS

  ensure_host_tools
  local cache run
  cache=$(cache_dir)
  mkdir -p -- "$cache"
  exec 9>"$cache/lock"
  flock -n 9 || {
    say "another system test run holds $cache/lock; waiting"
    flock 9
  }
  ensure_image "$cache"
  [ "$image_only" = 0 ] || return 0
  if [ -z "$accel" ]; then
    if probe_kvm; then accel=kvm; else accel=tcg; fi
  fi
  run=$cache/last-run
  rm -rf -- "$cache/previous-run"
  if [ -d "$run" ]; then mv -- "$run" "$cache/previous-run"; fi
  mkdir -p -- "$run"
  build_payload "$run"
  run_vm "$run"
  read_results "$run"
  read_expected_failures
  report "$run"
}

main "$@"
