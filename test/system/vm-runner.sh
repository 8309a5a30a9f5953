#!/usr/bin/env bash
# Inside the system test's VM, as root (the oneshot dbus-mcp-system-test.service runs it from the
# payload disk): puts this machine's Node.js into /usr/local, the checkout at ~alice/dbus-mcp,
# waits for alice's user manager (she lingers), runs test/system/scenario.sh as alice, then keeps
# the journals with the results. The unit powers the VM off when this returns.
set -uo pipefail

payload=${1:?usage: vm-runner.sh PAYLOAD_DIR}
results=$payload/results
mkdir -p "$results"
exec > >(tee -a "$results/runner.log") 2>&1
say() { printf 'vm-runner: %s\n' "$*"; }

# shellcheck source=/dev/null
. "$payload/run.env"

say "kernel $(uname -r), $(nproc) CPUs, accelerator ${ACCEL:-?}; $(systemctl --version | head -n 1)"

# This machine's Node.js (Debian 12's own nodejs is 18, too old), where a user's would be.
install -m 0755 "$payload/node/bin/node" /usr/local/bin/node
mkdir -p /usr/local/lib/node_modules
rm -rf /usr/local/lib/node_modules/npm
cp -a "$payload/node/lib/node_modules/npm" /usr/local/lib/node_modules/npm
ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
say "node $(/usr/local/bin/node --version), npm $(/usr/local/bin/npm --version 2>/dev/null)"

# The checkout, as if alice had cloned it into her home (a bind mount: no copy of node_modules).
install -d -o alice -g alice /home/alice/dbus-mcp
mount --bind "$payload/checkout" /home/alice/dbus-mcp

uid=$(id -u alice)
runtime=/run/user/$uid
systemctl start "user@$uid.service"
for _ in $(seq 1 120); do
  [ -S "$runtime/bus" ] && [ -S "$runtime/systemd/private" ] && break
  sleep 1
done
[ -S "$runtime/bus" ] || say "alice's session bus did not appear at $runtime/bus"

say "running the scenario as alice"
started=$(date +%s)
runuser -u alice -- env -i HOME=/home/alice USER=alice LOGNAME=alice SHELL=/bin/bash LANG=C.UTF-8 \
  PATH=/usr/local/bin:/usr/bin:/bin XDG_RUNTIME_DIR="$runtime" \
  DBUS_SESSION_BUS_ADDRESS="unix:path=$runtime/bus" \
  RESULTS="$results" STEPS="${STEPS:-}" ISSUE18_WORKAROUND="${ISSUE18_WORKAROUND:-0}" ACCEL="${ACCEL:-}" \
  WORKER_HEARTBEAT_MS="${WORKER_HEARTBEAT_MS:-}" CPU_QUOTA="${CPU_QUOTA:-}" \
  bash /home/alice/dbus-mcp/test/system/scenario.sh
say "scenario exited $? after $(($(date +%s) - started)) s"

# A sysctl a step changed must not outlive it, but a failed step may have left one: say so.
sysctl user.max_user_namespaces kernel.unprivileged_userns_clone 2>/dev/null | sed 's/^/vm-runner: /'

journalctl -b --no-pager -o short-precise >"$results/journal.txt" 2>&1
journalctl -b --no-pager -o short-precise _UID="$uid" >"$results/journal-alice.txt" 2>&1
date -u +%FT%TZ >"$results/finished"
chown -R "$uid:$uid" "$results"
sync
exit 0
