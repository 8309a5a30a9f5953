// Mostly data: the units an agent may never change, and the ones whose start is a power operation.
import { globToRegExp } from './glob.js';
import { templateOf, unitType } from './units-names.js';

/**
 * Units whose start powers off, reboots, suspends, exits the manager, isolates into rescue or
 * changes the boot: protected by what they do. Starting one of them as a dependency of another unit
 * is refused too, whatever its state (case-insensitive globs).
 */
export const POWER_UNITS: readonly string[] = [
  // systemd's special targets and the services behind them
  'poweroff.target',
  'reboot.target',
  'halt.target',
  'kexec.target',
  'soft-reboot.target',
  'exit.target',
  'ctrl-alt-del.target',
  'sigpwr.target',
  'shutdown.target',
  'final.target',
  'umount.target',
  'rescue.target',
  'emergency.target',
  'sleep.target',
  'suspend.target',
  'hibernate.target',
  'hybrid-sleep.target',
  'suspend-then-hibernate.target',
  'runlevel0.target',
  'runlevel1.target',
  'runlevel6.target',
  'initrd*',
  'system-update*',
  'factory-reset*',
  '*factory-reset*',
  'systemd-poweroff.service',
  'systemd-reboot.service',
  'systemd-halt.service',
  'systemd-kexec.service',
  'systemd-exit.service',
  'systemd-soft-reboot.service',
  'systemd-suspend.service',
  'systemd-hibernate.service',
  'systemd-hybrid-sleep.service',
  'systemd-suspend-then-hibernate.service',
  'systemd-hibernate-resume*',
  'systemd-sysupdate*',
  'systemd-sysext*',
  'systemd-confext*',
  'systemd-repart*',
  'systemd-pcr*',
  'kexec*',
  'rescue.service',
  'emergency.service',
  'debug-shell.service',
];

/** Units whose change is forbidden: the bus, logins, logs, remote access, the network, the desktop session, software updates, dbus-mcp. */
export const PROTECTED_UNITS: readonly string[] = [
  'dbus.service',
  'dbus.socket',
  'dbus-broker.service',
  'messagebus.service',
  'dbus-org.freedesktop.*',
  'systemd-logind.service',
  'systemd-user-sessions.service',
  'systemd-journald*',
  'systemd-udevd*',
  'udev.service',
  'systemd-homed*',
  'systemd-userdbd*',
  'systemd-cryptsetup@*',
  'systemd-remount-fs.service',
  'auditd.service',
  'rsyslog.service',
  'syslog.service',
  'syslog.socket',
  'polkit.service',
  'polkitd.service',
  'ssh.service',
  'ssh.socket',
  'ssh@*',
  'sshd.service',
  'sshd.socket',
  'sshd@*',
  'sshd-*',
  'openssh*',
  'getty@*',
  'serial-getty@*',
  'autovt@*',
  'console-getty.service',
  'container-getty@*',
  'display-manager.service',
  'gdm.service',
  'gdm3.service',
  'sddm.service',
  'lightdm.service',
  'lxdm.service',
  'xdm.service',
  'slim.service',
  'greetd.service',
  'ly.service',
  'org.gnome.Shell@*',
  'gnome-session*',
  'plasma-kwin_*',
  'plasma-plasmashell.service',
  'plasma-ksmserver.service',
  'plasma-workspace*',
  'NetworkManager*',
  'network-manager.service',
  'systemd-networkd*',
  'systemd-resolved*',
  'user@*.service',
  'user-runtime-dir@*.service',
  'dbus-mcp*',
  // Package and firmware updates: starting one installs software (package management).
  'apt-daily*',
  'unattended-upgrades*',
  'packagekit*',
  'fwupd*',
  'dnf-*',
  'yum-*',
  'snapd*',
  'flatpak-system-helper.service',
  ...POWER_UNITS,
];

const compile = (globs: readonly string[]) => globs.map((glob) => ({ glob, re: globToRegExp(glob, 'i') }));
const PROTECTED_RE = compile(PROTECTED_UNITS);
const POWER_RE = compile(POWER_UNITS);

function match(list: { glob: string; re: RegExp }[], unit: string): string | undefined {
  // Matched without regard to case: a look-alike spelling never escapes the list.
  const lower = unit.toLowerCase();
  const name = unitType(lower) === undefined ? `${lower}.service` : lower;
  // An instance is protected when its template is; a template when one of its listed instances is.
  const template = templateOf(name);
  for (const n of template === undefined ? [name] : [name, template]) {
    const hit = list.find((p) => p.re.test(n));
    if (hit) return hit.glob;
  }
  if (template === name) return list.find((p) => templateOf(p.glob.toLowerCase()) === name)?.glob;
  return undefined;
}

/** The protected-unit glob `unit` matches (its template too; no suffix means `.service`), or undefined. */
export function protectedUnit(unit: string): string | undefined {
  return match(PROTECTED_RE, unit);
}

/** The power-unit glob `unit` matches, or undefined: starting it powers off, reboots, suspends, exits or isolates. */
export function powerUnit(unit: string): string | undefined {
  return match(POWER_RE, unit);
}
