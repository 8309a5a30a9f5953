import type { Logger } from '../../shared/logger.js';
import { SENSITIVE_WORDS, splitWords } from './classify.js';
import type { OperationKind, SafetyLevel } from './levels.js';

/** Redaction is broader than classification: keys, one-time codes and clipboard text too. */
const SECRET_WORDS = new Set([...SENSITIVE_WORDS, 'otp', 'key', 'keys', 'clipboard']);

/** Interfaces whose arguments may carry secrets or private content whatever the member is called. */
const SECRET_INTERFACES = [
  'org.freedesktop.secret.',
  'org.gnome.keyring',
  'org.freedesktop.portal.secret',
  'org.freedesktop.portal.clipboard',
  'org.kde.klipper',
  'org.gnome.gpaste',
  'org.freedesktop.networkmanager.settings',
  'org.freedesktop.networkmanager.secretagent',
  'org.freedesktop.udisks2.encrypted',
  'org.freedesktop.accounts',
  // homed's calls carry the user's password (Activate, Unlock, ChangePassword…).
  'org.freedesktop.home1',
];

/** True when argument values of this member must not reach the log. */
export function isSecretBearing(iface: string, member: string): boolean {
  const lower = iface.toLowerCase();
  if (SECRET_INTERFACES.some((p) => lower.startsWith(p))) return true;
  return splitWords(member).some((w) => SECRET_WORDS.has(w));
}

const MAX_ARGS_CHARS = 512;

/** Arguments as they go into the audit line: redacted when secret-bearing, else JSON cut to a bound. */
export function auditArgs(
  args: unknown[] | undefined,
  secret: boolean,
  maxChars = MAX_ARGS_CHARS,
): string | undefined {
  if (args === undefined) return undefined;
  if (secret) return `[redacted: ${args.length} argument(s)]`;
  let text: string;
  try {
    text = JSON.stringify(args, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? `<${v.length} bytes>` : v,
    );
  } catch {
    text = '[unserialisable]';
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}… (${text.length} chars)` : text;
}

export interface AuditRecord {
  clientId: string;
  bus: string;
  destination: string;
  owner?: string;
  names: string[];
  path: string;
  interface?: string;
  member: string;
  access: string;
  /** The call as sent when judged as something else (`org.freedesktop.DBus.Properties.Set`). */
  via?: string;
  kind: OperationKind;
  decision: 'allowed' | 'refused';
  level: SafetyLevel;
  rule?: string;
  reason: string;
  confirmation?: 'accepted' | 'declined' | 'unavailable' | 'timeout' | 'aborted';
  durationMs?: number;
  error?: string;
  args?: string;
}

/** One structured line per non-read decision (pino, info level, `audit: 'policy'`). */
export function writeAudit(log: Logger, record: AuditRecord): void {
  log.info({ audit: 'policy', ...record }, 'policy decision');
}
