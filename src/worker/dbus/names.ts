/**
 * D-Bus name and object path validation, following the "Valid Names" and "Object Path" rules
 * of the D-Bus specification. Every name is checked here before it is put into a message:
 * dbus-next does not validate all of them, and an invalid one can make the bus drop the
 * connection.
 *
 * Each `*Problem` function returns `undefined` for a valid value, else the rule it breaks
 * (a short lowercase phrase); the predicates and assertions are built on them.
 */
import { AppError } from '../../shared/errors.js';

/** Maximum length of bus, interface, error and member names (the specification's limit). */
export const MAX_NAME_LENGTH = 255;

const BUS_ELEMENT = /^[A-Za-z_-][A-Za-z0-9_-]*$/;
const UNIQUE_ELEMENT = /^[A-Za-z0-9_-]+$/;
const IDENT_ELEMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATH_ELEMENT = /^[A-Za-z0-9_]+$/;

function commonNameProblem(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'it is not a string';
  if (v.length === 0) return 'it is empty';
  if (v.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters (${v.length})`;
  return undefined;
}

function dottedProblem(name: string, element: RegExp, allowed: string): string | undefined {
  const parts = name.split('.');
  if (parts.length < 2) return 'it needs at least two elements separated by "."';
  for (const [i, part] of parts.entries()) {
    if (part.length === 0) return `element ${i + 1} is empty (leading, trailing or doubled ".")`;
    if (!element.test(part)) {
      return /^[0-9]/.test(part) && element !== UNIQUE_ELEMENT
        ? `element ${i + 1} ("${part}") starts with a digit`
        : `element ${i + 1} ("${part}") may only contain ${allowed}`;
    }
  }
  return undefined;
}

/** Why `v` is not a valid unique connection name (`:1.42`), or undefined when it is one. */
export function uniqueNameProblem(v: unknown): string | undefined {
  const common = commonNameProblem(v);
  if (common !== undefined) return common;
  const name = v as string;
  if (!name.startsWith(':')) return 'a unique name starts with ":"';
  return dottedProblem(name.slice(1), UNIQUE_ELEMENT, 'ASCII letters, digits, "_" and "-"');
}

/** Why `v` is not a valid bus name (well-known or unique), or undefined when it is one. */
export function busNameProblem(v: unknown): string | undefined {
  const common = commonNameProblem(v);
  if (common !== undefined) return common;
  const name = v as string;
  if (name.startsWith(':')) return uniqueNameProblem(name);
  return dottedProblem(name, BUS_ELEMENT, 'ASCII letters, digits, "_" and "-"');
}

/** Why `v` is not a valid interface name, or undefined when it is one. */
export function interfaceNameProblem(v: unknown): string | undefined {
  const common = commonNameProblem(v);
  if (common !== undefined) return common;
  return dottedProblem(v as string, IDENT_ELEMENT, 'ASCII letters, digits and "_"');
}

/** Why `v` is not a valid error name (same rules as interface names), or undefined when it is one. */
export function errorNameProblem(v: unknown): string | undefined {
  return interfaceNameProblem(v);
}

/** Why `v` is not a valid member (method, signal or property) name, or undefined when it is one. */
export function memberNameProblem(v: unknown): string | undefined {
  const common = commonNameProblem(v);
  if (common !== undefined) return common;
  const name = v as string;
  if (name.includes('.')) return 'a member name contains no "."';
  if (/^[0-9]/.test(name)) return 'it starts with a digit';
  if (!IDENT_ELEMENT.test(name)) return 'it may only contain ASCII letters, digits and "_"';
  return undefined;
}

/** Why `v` is not a valid object path, or undefined when it is one. */
export function objectPathProblem(v: unknown): string | undefined {
  if (typeof v !== 'string') return 'it is not a string';
  if (!v.startsWith('/')) return 'an object path starts with "/"';
  if (v === '/') return undefined;
  if (v.endsWith('/')) return 'only the root path "/" may end with "/"';
  const parts = v.slice(1).split('/');
  for (const [i, part] of parts.entries()) {
    if (part.length === 0) return `element ${i + 1} is empty ("//")`;
    if (!PATH_ELEMENT.test(part)) {
      return `element ${i + 1} ("${part}") may only contain ASCII letters, digits and "_"`;
    }
  }
  return undefined;
}

/** True for a valid bus name: a well-known name (`org.example.App`) or a unique name (`:1.42`). */
export function isValidBusName(v: unknown): v is string {
  return busNameProblem(v) === undefined;
}

/** True for a valid unique connection name (`:1.42`). */
export function isValidUniqueName(v: unknown): v is string {
  return uniqueNameProblem(v) === undefined;
}

/** True for a valid object path (`/`, `/org/example/Obj_1`). */
export function isValidObjectPath(v: unknown): v is string {
  return objectPathProblem(v) === undefined;
}

/** True for a valid interface name (`org.freedesktop.DBus.Properties`). */
export function isValidInterfaceName(v: unknown): v is string {
  return interfaceNameProblem(v) === undefined;
}

/** True for a valid member name (`GetAll`). */
export function isValidMemberName(v: unknown): v is string {
  return memberNameProblem(v) === undefined;
}

/** True for a valid error name (`org.freedesktop.DBus.Error.Failed`). */
export function isValidErrorName(v: unknown): v is string {
  return errorNameProblem(v) === undefined;
}

function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' || (typeof v === 'object' && v !== null) ? JSON.stringify(v) : String(v);
  } catch {
    s = String(v);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** Throws AppError('INVALID_BUS_NAME') naming `what`, the value and the broken rule. */
export function assertBusName(v: unknown, what = 'bus name'): asserts v is string {
  const problem = busNameProblem(v);
  if (problem !== undefined) throw new AppError('INVALID_BUS_NAME', `invalid ${what} ${show(v)}: ${problem}`);
}

/** Throws AppError('INVALID_OBJECT_PATH') naming `what`, the value and the broken rule. */
export function assertObjectPath(v: unknown, what = 'object path'): asserts v is string {
  const problem = objectPathProblem(v);
  if (problem !== undefined) {
    throw new AppError('INVALID_OBJECT_PATH', `invalid ${what} ${show(v)}: ${problem}`);
  }
}

/** Throws AppError('INVALID_INTERFACE_NAME') naming `what`, the value and the broken rule. */
export function assertInterfaceName(v: unknown, what = 'interface name'): asserts v is string {
  const problem = interfaceNameProblem(v);
  if (problem !== undefined) {
    throw new AppError('INVALID_INTERFACE_NAME', `invalid ${what} ${show(v)}: ${problem}`);
  }
}

/** Throws AppError('INVALID_MEMBER_NAME') naming `what`, the value and the broken rule. */
export function assertMemberName(v: unknown, what = 'member name'): asserts v is string {
  const problem = memberNameProblem(v);
  if (problem !== undefined) {
    throw new AppError('INVALID_MEMBER_NAME', `invalid ${what} ${show(v)}: ${problem}`);
  }
}
