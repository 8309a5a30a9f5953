import { AppError } from '../../shared/errors.js';
import type { BusKind, SignalMessage } from '../dbus/types.js';
import { assertBusName, assertInterfaceName, assertMemberName, assertObjectPath } from '../dbus/names.js';

/** What a subscription listens to; every field but `bus` narrows it (all must match). */
export interface SignalFilter {
  bus: BusKind;
  sender?: string;
  path?: string;
  path_namespace?: string;
  interface?: string;
  member?: string;
  arg0?: string;
}

/** dbus-daemon refuses rules longer than this (DBUS_MAXIMUM_MATCH_RULE_LENGTH). */
const MAX_RULE_LENGTH = 1024;
const MAX_ARG0_LENGTH = 512;

/** Quotes a match-rule value: inside quotes only the apostrophe needs care ('\''). */
function quote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * Checks every field with the D-Bus name rules and returns the filter without empty fields.
 * Throws AppError (INVALID_*) naming the field and the rule it breaks.
 */
export function validateFilter(filter: SignalFilter): SignalFilter {
  const out: SignalFilter = { bus: filter.bus };
  if (filter.sender !== undefined) {
    assertBusName(filter.sender, 'sender');
    out.sender = filter.sender;
  }
  if (filter.path !== undefined && filter.path_namespace !== undefined) {
    throw new AppError('INVALID_ARGUMENT', 'give either path or path_namespace, not both');
  }
  if (filter.path !== undefined) {
    assertObjectPath(filter.path, 'path');
    out.path = filter.path;
  }
  if (filter.path_namespace !== undefined) {
    assertObjectPath(filter.path_namespace, 'path_namespace');
    out.path_namespace = filter.path_namespace;
  }
  if (filter.interface !== undefined) {
    assertInterfaceName(filter.interface, 'interface');
    out.interface = filter.interface;
  }
  if (filter.member !== undefined) {
    assertMemberName(filter.member, 'member');
    out.member = filter.member;
  }
  if (filter.arg0 !== undefined) {
    if (filter.arg0.includes('\0'))
      throw new AppError('INVALID_ARGUMENT', 'arg0 must not contain NUL characters');
    if (filter.arg0.length > MAX_ARG0_LENGTH) {
      throw new AppError('INVALID_ARGUMENT', `arg0 is longer than ${MAX_ARG0_LENGTH} characters`);
    }
    out.arg0 = filter.arg0;
  }
  return out;
}

/** The bus match rule for a validated filter, e.g. `type='signal',sender='org.example',member='Changed'`. */
export function buildMatchRule(filter: SignalFilter): string {
  const parts = ["type='signal'"];
  if (filter.sender) parts.push(`sender=${quote(filter.sender)}`);
  if (filter.path) parts.push(`path=${quote(filter.path)}`);
  // The bus refuses path_namespace='/' on some versions; '/' means "any path" anyway.
  if (filter.path_namespace && filter.path_namespace !== '/') {
    parts.push(`path_namespace=${quote(filter.path_namespace)}`);
  }
  if (filter.interface) parts.push(`interface=${quote(filter.interface)}`);
  if (filter.member) parts.push(`member=${quote(filter.member)}`);
  if (filter.arg0 !== undefined) parts.push(`arg0=${quote(filter.arg0)}`);
  const rule = parts.join(',');
  if (Buffer.byteLength(rule) > MAX_RULE_LENGTH) {
    throw new AppError(
      'INVALID_ARGUMENT',
      `the match rule would be longer than ${MAX_RULE_LENGTH} bytes; shorten arg0`,
    );
  }
  return rule;
}

/**
 * Whether a signal the connection received belongs to this filter. The connection delivers
 * every signal any rule asked for, so each subscription filters again locally. `senderOwner`
 * is the unique name currently owning a well-known `sender` (undefined when nobody owns it).
 */
export function filterMatches(
  filter: SignalFilter,
  msg: SignalMessage,
  senderOwner: string | undefined,
): boolean {
  if (filter.sender !== undefined && msg.sender !== filter.sender && msg.sender !== senderOwner) return false;
  if (filter.path !== undefined && msg.path !== filter.path) return false;
  if (filter.path_namespace !== undefined) {
    const ns = filter.path_namespace;
    if (ns !== '/' && msg.path !== ns && !msg.path.startsWith(`${ns}/`)) return false;
  }
  if (filter.interface !== undefined && msg.interface !== filter.interface) return false;
  if (filter.member !== undefined && msg.member !== filter.member) return false;
  if (filter.arg0 !== undefined) {
    // The bus compares arg0 only when it is a string (or object path) argument.
    const first = msg.signature[0];
    if ((first !== 's' && first !== 'o') || msg.body[0] !== filter.arg0) return false;
  }
  return true;
}
