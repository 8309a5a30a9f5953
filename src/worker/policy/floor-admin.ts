/**
 * The member-name floor for the system's administrators and for files leaving the machine:
 * account changes (users, automatic login, homes), package management and firmware (software
 * sources, signing keys, updates by any verb), disk changes (wiping, formatting, partition and
 * volume layout) and exfiltration (sending a file away). Judged after power, code, input and
 * secrets (floor.ts); reads stay reads where the name only asks.
 */
import type { FloorFinding } from './floor.js';
import { readShape } from './member-names.js';

const has = (folded: string, parts: readonly string[]): string | undefined =>
  parts.find((p) => folded.includes(p));

const PACKAGE_NOUNS = new Set(['package', 'packages', 'pkg', 'pkgs', 'rpm', 'deb', 'flatpak', 'snap']);
const PACKAGE_VERBS = new Set(
  'install reinstall uninstall update upgrade downgrade remove purge erase repair refresh add delete'.split(
    ' ',
  ),
);
/** Software sources: adding one (or its signing key) lets the next upgrade install what it serves. */
const REPOSITORY_NOUNS = new Set(['repository', 'repositories', 'repo', 'repos', 'ppa', 'ppas']);
const SIGNING_KEY_FOLDED = ['vendorkey', 'signingkey', 'keyserver', 'trustedkey', 'repokey'];
const REPOSITORY_VERBS = new Set(
  'add remove delete enable disable set modify change replace update import toggle trust'.split(' '),
);
/** Installing updates by another verb: `ApplyUpdates`, `PerformUpgrade`, `StageUpdate`. */
const UPDATE_VERBS = new Set(['apply', 'install', 'perform', 'deploy', 'stage', 'schedule', 'commit']);
const UPDATE_NOUNS = new Set(['update', 'updates', 'upgrade', 'upgrades', 'patch', 'patches']);
const FIRMWARE_NOUNS = new Set(['firmware', 'firmwares', 'bios', 'uefi', 'capsule', 'microcode']);
const FIRMWARE_VERBS = new Set(
  'flash write update upgrade downgrade install reinstall activate apply set modify change unlock erase'.split(
    ' ',
  ),
);
const SYSTEM_UPGRADE_FOLDED = [
  'upgradesystem',
  'updatesystem',
  'repairsystem',
  'installsignature',
  'installfiles',
];

/** Destroying what is on a disk: `Format`, `WipeDisk`, `EraseDevice`, `mkfs`. */
const DISK_WIPE_VERBS = new Set(['format', 'wipe', 'erase', 'shred', 'mkfs', 'zap', 'sanitize', 'sanitise']);
const DISK_NOUNS = new Set(
  (
    'disk disks device devices drive drives partition partitions volume volumes filesystem filesystems fs ' +
    'block blocks media medium card storage table superblock raid array lun namespace'
  ).split(' '),
);
/** Changing the layout of a disk: `CreatePartition`, `ResizeFilesystem`, `DeleteVolume`. */
const DISK_LAYOUT_VERBS = new Set(
  'create delete remove resize shrink grow extend reduce move split merge set change wipe format'.split(' '),
);
const DISK_LAYOUT_NOUNS = new Set(
  (
    'partition partitions partitiontable filesystem filesystems raid mdraid volumegroup logicalvolume ' +
    'physicalvolume superblock lvm luks crypttab fstab'
  ).split(' '),
);

/** Sending a file the user can read away (`SendFile`, `PutFile`, `shareUrl`, `UploadFiles`): exfiltration. */
const SEND_VERBS = new Set(['send', 'put', 'upload', 'share', 'push', 'transfer', 'exfiltrate', 'beam']);
const FILE_NOUNS = new Set([
  'file',
  'files',
  'url',
  'urls',
  'uri',
  'uris',
  'path',
  'paths',
  'document',
  'documents',
]);

const ACCOUNT_NOUNS = new Set(['user', 'users', 'account', 'accounts', 'login', 'logins']);
const ACCOUNT_CHANGE_VERBS = new Set([
  'create',
  'delete',
  'add',
  'remove',
  'rename',
  'lock',
  'unlock',
  'disable',
]);
/** Who may log in without a password, where a home is, what an account is called. */
const ACCOUNT_FOLDED = ['automaticlogin', 'autologin', 'homedirectory', 'homedir', 'loginshell'];

export function accountFinding(member: string, folded: string, words: string[]): FloorFinding | undefined {
  const [first = '', second = '', third = ''] = words;
  const noun = second === 'local' || second === 'new' || second === 'system' ? third : second;
  if (ACCOUNT_CHANGE_VERBS.has(first) && ACCOUNT_NOUNS.has(noun)) {
    return { family: 'account', reason: `account change (it ${first}s a user account)` };
  }
  if (first === 'set' && second === 'account' && third === 'type') {
    return { family: 'account', reason: 'account change (administrator rights)' };
  }
  const hit = has(folded, ACCOUNT_FOLDED);
  if (hit && !readShape(member).reads) {
    return { family: 'account', reason: `account change (it changes an account's ${hit})` };
  }
  return undefined;
}

export function diskFinding(member: string, words: string[]): FloorFinding | undefined {
  const [first = '', ...rest] = words;
  if (readShape(member).reads) return undefined;
  if (DISK_WIPE_VERBS.has(first) && (rest.length === 0 || rest.some((w) => DISK_NOUNS.has(w)))) {
    return { family: 'disk', reason: `disk change (it ${first}s what is on a disk)` };
  }
  const joined = words.join('');
  const noun = rest.find((w) => DISK_LAYOUT_NOUNS.has(w)) ?? has(joined, ['partitiontable', 'volumegroup']);
  if (DISK_LAYOUT_VERBS.has(first) && noun) {
    return { family: 'disk', reason: `disk change (it changes a ${noun})` };
  }
  return undefined;
}

export function exfiltrationFinding(words: string[]): FloorFinding | undefined {
  const [first = '', ...rest] = words;
  const noun = SEND_VERBS.has(first) ? rest.find((w) => FILE_NOUNS.has(w)) : undefined;
  if (!noun) return undefined;
  return {
    family: 'secret',
    reason: `secret retrieval by exfiltration (it sends a ${noun} the user can read elsewhere: a private key among them)`,
  };
}

export function packageFinding(member: string, folded: string, words: string[]): FloorFinding | undefined {
  const system = has(folded, SYSTEM_UPGRADE_FOLDED);
  if (system) return { family: 'package', reason: 'package management' };
  const [first = ''] = words;
  if (first === 'install' || first === 'reinstall') {
    return { family: 'package', reason: 'package management (it installs software or code)' };
  }
  if (words.some((w) => PACKAGE_VERBS.has(w)) && words.some((w) => PACKAGE_NOUNS.has(w))) {
    return { family: 'package', reason: 'package management' };
  }
  if (readShape(member).reads) return undefined;
  if (
    REPOSITORY_VERBS.has(first) &&
    (words.some((w) => REPOSITORY_NOUNS.has(w)) || has(folded, SIGNING_KEY_FOLDED))
  ) {
    return { family: 'package', reason: 'package management (it changes where software comes from)' };
  }
  if (UPDATE_VERBS.has(first) && words.some((w) => UPDATE_NOUNS.has(w))) {
    return { family: 'package', reason: 'package management (it installs updates)' };
  }
  if (words.some((w) => FIRMWARE_NOUNS.has(w)) && words.some((w) => FIRMWARE_VERBS.has(w))) {
    return { family: 'package', reason: 'firmware change (it flashes or changes firmware)' };
  }
  return undefined;
}
