#!/usr/bin/env bash
# Turns a debootstrapped Debian 12 tree into the system test's VM image (run as root on the host by
# scripts/system-test.sh). Nothing of the project goes in here: the checkout, this machine's Node.js
# and the scenario come on the payload disk at every run, so the cached image outlives code changes.
# This file and test/system/packages key the image cache.
set -euo pipefail

root=${1:?usage: image-setup.sh ROOTDIR}
[ -x "$root/bin/bash" ] || {
  echo "image-setup.sh: $root is not a debootstrapped tree" >&2
  exit 1
}

echo dbus-mcp-vm >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tdbus-mcp-vm\n' >"$root/etc/hosts"

# The root disk is /dev/vda (root= on the kernel command line); the payload disk carries a label.
mkdir -p "$root/mnt/payload"
cat >"$root/etc/fstab" <<'EOF'
/dev/vda               /            ext4 rw,errors=remount-ro 0 1
LABEL=dbusmcp-payload  /mnt/payload ext4 rw,nofail,x-systemd.device-timeout=120s 0 0
EOF

# A journal on disk: systemd-journald then splits it per user, so `journalctl --user` works as on
# any Debian desktop.
mkdir -p "$root/var/log/journal"

# The unprivileged user who walks the guide: uid 1000, passwordless sudo (install.sh asks for sudo
# for /usr/local and /etc, as it would on a desktop), lingering so a user manager runs without a
# login session.
chroot "$root" /usr/sbin/useradd --create-home --uid 1000 --user-group --shell /bin/bash alice
printf 'alice ALL=(ALL) NOPASSWD: ALL\n' >"$root/etc/sudoers.d/alice"
chmod 0440 "$root/etc/sudoers.d/alice"
mkdir -p "$root/var/lib/systemd/linger"
touch "$root/var/lib/systemd/linger/alice"

# The runner: a oneshot unit started through systemd.wants= on the kernel command line; it runs the
# payload's /mnt/payload/run and powers the VM off whatever the outcome.
cat >"$root/etc/systemd/system/dbus-mcp-system-test.service" <<'EOF'
[Unit]
Description=dbus-mcp system test (the scenario on the payload disk)
After=multi-user.target
RequiresMountsFor=/mnt/payload
ConditionPathExists=/mnt/payload/run
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/mnt/payload/run
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=120min
EOF

# Nothing periodic that would compete with the scenario for the emulated CPU.
for timer in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  fstrim.timer man-db.timer systemd-tmpfiles-clean.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$timer"
done
# No network in the VM (-nic none): nothing waits for it.
ln -sf /dev/null "$root/etc/systemd/system/systemd-networkd-wait-online.service"

# Keep the image small: apt's downloaded packages are not needed any more.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
