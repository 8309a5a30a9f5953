/**
 * systemd's naming rules, mirrored so that a unit is judged as the manager would read it: valid
 * unit names (`unit_name_is_valid`), what `systemctl` makes of a loose name (`unit_name_mangle`),
 * unit object paths (`bus_label_escape`/`bus_label_unescape`) and templates.
 */

/** Every unit type systemd knows (the suffix of a unit name). */
export const UNIT_TYPES = [
  'service',
  'socket',
  'target',
  'device',
  'mount',
  'automount',
  'swap',
  'timer',
  'path',
  'slice',
  'scope',
] as const;
export type UnitType = (typeof UNIT_TYPES)[number];

/** The only types an agent may change: everything else expresses power, isolation or the session. */
export const CHANGEABLE_TYPES: ReadonlySet<UnitType> = new Set(['service', 'timer', 'socket', 'path']);

/** systemd's UNIT_NAME_MAX: a name is at most 255 bytes. */
const UNIT_NAME_MAX = 256;
const VALID_CHARS_WITH_AT = /^[A-Za-z0-9:_.\\@-]$/;
const GLOB_CHARS = /[*?[]/;

/** The type a unit name ends with, or undefined (`foo.service` → service). */
export function unitType(name: string): UnitType | undefined {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return undefined;
  const suffix = name.slice(dot + 1);
  return (UNIT_TYPES as readonly string[]).includes(suffix) ? (suffix as UnitType) : undefined;
}

/** True when `name` ends in a unit type suffix (it may still be an invalid name). */
export function isUnitName(name: string): boolean {
  return unitType(name) !== undefined;
}

/**
 * systemd's `unit_name_is_valid(name, UNIT_NAME_ANY)`: a prefix of letters, digits and `:_.\@-`
 * (not starting with `@`), a known type suffix, under 256 bytes; `foo@.service` is a template,
 * `foo@bar.service` an instance.
 */
export function isValidUnitName(name: string, allow: 'any' | 'loadable' = 'any'): boolean {
  if (name === '' || Buffer.byteLength(name) >= UNIT_NAME_MAX) return false;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || unitType(name) === undefined) return false;
  const prefix = name.slice(0, dot);
  for (const ch of prefix) if (!VALID_CHARS_WITH_AT.test(ch)) return false;
  const at = prefix.indexOf('@');
  if (at === 0) return false;
  // The manager loads plain names and instances only; unit-file operations also take templates.
  if (allow === 'loadable' && at > 0 && at === prefix.length - 1) return false;
  return true;
}

/** `foo@bar.service` → `foo@.service`; anything else → undefined. */
export function templateOf(name: string): string | undefined {
  const at = name.indexOf('@');
  const dot = name.lastIndexOf('.');
  if (at <= 0 || dot < at) return undefined;
  return `${name.slice(0, at + 1)}${name.slice(dot)}`;
}

function escapeChar(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

/** systemd's `unit_name_path_escape` + suffix: `/dev/sda` → `dev-sda.device`, `/` → `-.mount`. */
function unitNameFromPath(path: string, suffix: string): string | undefined {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return undefined;
  if (parts.length === 0) return `-${suffix}`;
  let out = '';
  const bytes = Buffer.from(parts.join('/'));
  for (const [i, b] of bytes.entries()) {
    const ch = String.fromCharCode(b);
    if (ch === '/') out += '-';
    else if ((i === 0 && ch === '.') || !/^[A-Za-z0-9:_.]$/.test(ch)) out += escapeChar(b);
    else out += ch;
  }
  return `${out}${suffix}`;
}

export type Mangled = { ok: true; name: string; changed: boolean } | { ok: false; reason: string };

/**
 * What systemd's `unit_name_mangle` (as `systemctl start NAME` uses it) makes of a loose name: a
 * valid name stays; `/dev/…` and `/sys/…` become `.device` units, other absolute paths `.mount`
 * units; otherwise `/` becomes `-`, invalid characters are escaped `\xNN`, and a name without a type
 * suffix gets `.service`. An empty name (which the manager reads as "the caller's own unit"), `self`
 * (as `/unit/self` is) and a glob are refused, as is a result systemd would not accept.
 */
export function mangleUnitName(given: string): Mangled {
  if (given === '')
    return { ok: false, reason: 'an empty unit name means the caller’s own unit (dbus-mcp’s)' };
  // As `/org/freedesktop/systemd1/unit/self` is: never a unit of its own, always the caller's.
  if (given.toLowerCase() === 'self')
    return { ok: false, reason: '"self" names the caller’s own unit (dbus-mcp’s)' };
  if (isValidUnitName(given)) return { ok: true, name: given, changed: false };
  if (GLOB_CHARS.test(given))
    return { ok: false, reason: `${JSON.stringify(given)} is a glob, not one unit` };
  let name: string | undefined;
  if (given.startsWith('/')) {
    const device = /^\/(dev|sys)(\/|$)/.test(given);
    name = unitNameFromPath(given, device ? '.device' : '.mount');
  } else {
    let out = '';
    for (const b of Buffer.from(given)) {
      const ch = String.fromCharCode(b);
      if (ch === '/') out += '-';
      else if (b < 0x80 && VALID_CHARS_WITH_AT.test(ch)) out += ch;
      else out += escapeChar(b);
    }
    name = unitType(out) === undefined ? `${out}.service` : out;
  }
  if (name === undefined || !isValidUnitName(name)) {
    return { ok: false, reason: `${JSON.stringify(given)} is not a unit name systemd would accept` };
  }
  return { ok: true, name, changed: true };
}

export const UNIT_PATH_PREFIX = '/org/freedesktop/systemd1/unit/';
export const JOB_PATH_PREFIX = '/org/freedesktop/systemd1/job/';

/**
 * systemd's `bus_label_unescape` of a unit object path's last part: `_XX` (two hex digits) is the
 * byte XX, any other `_` stays, a lone `_` is the empty name. Undefined when `path` is not under
 * `/org/freedesktop/systemd1/unit/`.
 */
export function unitFromPath(path: string): string | undefined {
  if (!path.startsWith(UNIT_PATH_PREFIX)) return undefined;
  const label = path.slice(UNIT_PATH_PREFIX.length);
  if (label === '_') return '';
  const bytes: number[] = [];
  for (let i = 0; i < label.length; i++) {
    const hex = label.slice(i + 1, i + 3);
    if (label[i] === '_' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(label[i] as string));
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

/** The object path systemd gives a unit (`nginx.service` → `/org/freedesktop/systemd1/unit/nginx_2eservice`). */
export function unitObjectPath(unit: string): string {
  let out = '';
  for (const [i, b] of [...Buffer.from(unit)].entries()) {
    const ch = String.fromCharCode(b);
    const ok = /[A-Za-z]/.test(ch) || (i > 0 && /[0-9]/.test(ch));
    out += ok ? ch : `_${b.toString(16).padStart(2, '0')}`;
  }
  return UNIT_PATH_PREFIX + (out || '_');
}

/** The file name of a unit-file argument: `/etc/systemd/system/sshd.service` → `sshd.service`. */
export function fileNameOf(arg: string): string {
  const parts = arg.split('/').filter((p) => p !== '');
  return parts.at(-1) ?? '';
}
