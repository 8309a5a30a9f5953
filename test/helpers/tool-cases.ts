import assert from 'node:assert/strict';
import type { Breakable, ClientFixture } from './client-fixture.js';
import { SERVICE, TARGET } from './client-fixture.js';
import { toolError } from './mcp.js';

/**
 * A success and a failure of every tool, against the desktop of ./client-fixture.ts, as plain data
 * so that each MCP client under test runs the same calls. Run in order in one session: the
 * signal cases share a subscription, the second notify meets the rate limit.
 */

export type Structured = Record<string, unknown>;

/** What a session carries from one case to the next. */
export interface CaseState {
  subscription?: string;
}

export type Expect =
  /** Success: `check` gets the structuredContent (which the client already checked against the outputSchema). */
  | { ok: (sc: Structured, state: CaseState) => void }
  /** A tool error: its name (as in the text and `_meta['dbus-mcp/error']`) and what the text says. */
  | { error: string; text?: RegExp }
  /** Arguments the input schema refuses (the SDK's own isError result). */
  | { invalid: RegExp };

export interface ToolCase {
  tool: string;
  what: string;
  args: (state: CaseState) => Record<string, unknown>;
  expect: Expect;
  /** The service misbehaves for this case only. */
  breaks?: Breakable;
  /** Something the service does first (e.g. emit a signal). */
  setup?: (fx: ClientFixture) => Promise<void>;
}

const MISSING = { ...TARGET, service: 'com.example.Missing' };
const NO_OWNER = 'org.freedesktop.DBus.Error.NameHasNoOwner';
const names = (sc: Structured, key: string) => (sc[key] as { name: string }[]).map((x) => x.name);

export const TOOL_CASES: readonly ToolCase[] = [
  {
    tool: 'list_services',
    what: 'lists the session bus',
    args: () => ({}),
    expect: { ok: (sc) => assert.ok(names(sc, 'services').includes(SERVICE)) },
  },
  {
    tool: 'list_services',
    what: 'fails on an unreachable bus',
    args: () => ({ bus: 'system' }),
    expect: { error: 'dbus-mcp.DBUS_CONNECT_FAILED', text: /cannot connect to the system bus/ },
  },
  {
    tool: 'introspect',
    what: 'reads an object',
    args: () => ({ service: SERVICE, path: TARGET.path }),
    expect: { ok: (sc) => assert.ok(names(sc, 'interfaces').includes(TARGET.interface)) },
  },
  {
    tool: 'introspect',
    what: 'fails on a missing service',
    args: () => ({ service: MISSING.service, path: TARGET.path }),
    expect: { error: NO_OWNER },
  },
  {
    tool: 'list_objects',
    what: 'walks a service',
    args: () => ({ service: SERVICE }),
    expect: {
      ok: (sc) => assert.ok((sc.objects as { path: string }[]).some((o) => o.path === TARGET.path)),
    },
  },
  {
    tool: 'list_objects',
    what: 'fails on a missing service',
    args: () => ({ service: MISSING.service }),
    expect: { error: NO_OWNER },
  },
  {
    tool: 'get_property',
    what: 'reads a property',
    args: () => ({ ...TARGET, property: 'Answer' }),
    expect: { ok: (sc) => assert.deepEqual([sc.value, sc.signature], [42, 'i']) },
  },
  {
    tool: 'get_property',
    what: 'fails on a missing service',
    args: () => ({ ...MISSING, property: 'Answer' }),
    expect: { error: NO_OWNER, text: /com\.example\.Missing/ },
  },
  {
    tool: 'get_all_properties',
    what: 'reads every property',
    args: () => ({ ...TARGET }),
    expect: {
      ok: (sc) => assert.deepEqual((sc.properties as Structured).Answer, { signature: 'i', value: 42 }),
    },
  },
  {
    tool: 'get_all_properties',
    what: 'fails on a missing service',
    args: () => ({ ...MISSING }),
    expect: { error: NO_OWNER },
  },
  {
    tool: 'set_property',
    what: 'writes a property (medium)',
    args: () => ({ ...TARGET, property: 'Mood', value: 'sunny' }),
    expect: { ok: (sc) => assert.deepEqual([sc.service, sc.property], [SERVICE, 'Mood']) },
  },
  {
    tool: 'set_property',
    what: 'is refused by an operator rule',
    args: () => ({ ...TARGET, property: 'Locked', value: 'yes' }),
    expect: { error: 'dbus-mcp.POLICY_DENIED', text: /refused by operator rule .*clients\.rules:1/ },
  },
  {
    tool: 'call_method',
    what: 'calls a method that reads',
    args: () => ({ ...TARGET, method: 'GetGreeting', args: ['world'] }),
    expect: { ok: (sc) => assert.deepEqual(sc, { signature: 's', values: ['hello world'] }) },
  },
  {
    tool: 'call_method',
    what: 'is refused at level medium',
    args: () => ({ ...TARGET, method: 'Fail', signature: '' }),
    expect: { error: 'dbus-mcp.POLICY_DENIED', text: /not allowed at level medium\nset SAFETY_LEVEL=low/ },
  },
  {
    tool: 'call_method',
    what: 'fails with the D-Bus error of the service',
    args: () => ({ ...TARGET, method: 'GetBroken' }),
    expect: { error: 'com.example.Error.Broken', text: /it broke/ },
  },
  {
    tool: 'subscribe_signals',
    what: 'subscribes',
    args: () => ({ sender: SERVICE, interface: TARGET.interface, member: 'Changed' }),
    expect: {
      ok: (sc, state) => {
        assert.equal(typeof sc.subscription_id, 'string');
        state.subscription = sc.subscription_id as string;
      },
    },
  },
  {
    tool: 'subscribe_signals',
    what: 'fails on an invalid path',
    args: () => ({ path: 'not/a/path' }),
    expect: { error: 'dbus-mcp.INVALID_OBJECT_PATH', text: /not\/a\/path/ },
  },
  {
    tool: 'read_signals',
    what: 'reads a signal that arrived',
    setup: (fx) => fx.emitChanged('ping'),
    args: (state) => ({ subscription_id: state.subscription, wait_ms: 5000 }),
    expect: {
      ok: (sc) => assert.deepEqual((sc.signals as { args: unknown[] }[]).at(-1)?.args, ['ping']),
    },
  },
  {
    tool: 'read_signals',
    what: 'fails on an unknown subscription',
    args: () => ({ subscription_id: 'no-such-subscription' }),
    expect: { error: 'dbus-mcp.SUBSCRIPTION_UNKNOWN' },
  },
  {
    tool: 'unsubscribe_signals',
    what: 'ends the subscription',
    args: (state) => ({ subscription_id: state.subscription }),
    expect: { ok: (sc) => assert.equal(sc.unsubscribed, true) },
  },
  {
    tool: 'unsubscribe_signals',
    what: 'fails on an unknown subscription',
    args: () => ({ subscription_id: 'no-such-subscription' }),
    expect: { error: 'dbus-mcp.SUBSCRIPTION_UNKNOWN' },
  },
  {
    tool: 'explain_policy',
    what: 'explains a refusal',
    args: () => ({ ...TARGET, member: 'Fail' }),
    expect: { ok: (sc) => assert.deepEqual([sc.decision, sc.level], ['deny', 'medium']) },
  },
  {
    tool: 'explain_policy',
    what: 'fails on an invalid bus name',
    args: () => ({ service: 'not a name' }),
    expect: { error: 'dbus-mcp.INVALID_BUS_NAME' },
  },
  {
    tool: 'show_help',
    what: 'describes the level',
    args: () => ({}),
    expect: { ok: (sc) => assert.equal(sc.level, 'medium') },
  },
  {
    tool: 'notify',
    what: 'shows a notification',
    args: () => ({ title: 'dbus-mcp', message: 'first' }),
    expect: { ok: (sc) => assert.equal(typeof sc.id, 'number') },
  },
  {
    tool: 'notify',
    what: 'is refused past RATE_LIMIT_NOTIFY',
    args: () => ({ title: 'dbus-mcp', message: 'second' }),
    expect: { error: 'dbus-mcp.RATE_LIMITED', text: /retry after \d+ ms/ },
  },
  {
    tool: 'clipboard_write',
    what: 'writes through Klipper',
    args: () => ({ text: 'from the client' }),
    expect: { ok: (sc) => assert.equal(sc.provider, 'klipper') },
  },
  {
    tool: 'clipboard_write',
    what: 'fails with the D-Bus error of Klipper',
    breaks: 'clipboard-write',
    args: () => ({ text: 'too much' }),
    expect: { error: 'org.kde.klipper.Error.Full' },
  },
  {
    tool: 'clipboard_read',
    what: 'reads back through Klipper',
    args: () => ({}),
    expect: { ok: (sc) => assert.deepEqual([sc.text, sc.provider], ['from the client', 'klipper']) },
  },
  {
    tool: 'clipboard_read',
    what: 'fails with the D-Bus error of Klipper',
    breaks: 'clipboard-read',
    args: () => ({}),
    expect: { error: 'org.kde.klipper.Error.Locked' },
  },
  {
    tool: 'capture_screen',
    what: 'captures through the portal',
    args: () => ({}),
    expect: { ok: (sc) => assert.deepEqual([sc.provider, sc.width, sc.height], ['portal', 2, 1]) },
  },
  {
    tool: 'capture_screen',
    what: 'fails when the portal request is cancelled',
    breaks: 'portal',
    args: () => ({}),
    expect: { error: 'dbus-mcp.PORTAL_REQUEST_FAILED', text: /cancelled/ },
  },
  {
    tool: 'capture_active_window',
    what: 'captures through GNOME Shell',
    args: () => ({}),
    expect: { ok: (sc) => assert.deepEqual([sc.provider, sc.mime_type], ['gnome-shell', 'image/png']) },
  },
  {
    tool: 'capture_active_window',
    what: 'fails when GNOME Shell refuses',
    breaks: 'gnome-shell',
    args: () => ({}),
    expect: { error: 'org.freedesktop.DBus.Error.AccessDenied' },
  },
  {
    tool: 'list_screenshot_files',
    what: 'lists the saved captures',
    args: () => ({}),
    expect: { ok: (sc) => assert.ok((sc.count as number) >= 2, JSON.stringify(sc)) },
  },
  {
    tool: 'media_control',
    what: 'plays the player',
    args: () => ({ action: 'play' }),
    expect: {
      ok: (sc) =>
        assert.deepEqual(
          [(sc.now_playing as Structured).player, (sc.now_playing as Structured).status],
          ['org.mpris.MediaPlayer2.fixture', 'Playing'],
        ),
    },
  },
  {
    tool: 'media_control',
    what: 'fails on a player that is not there',
    args: () => ({ action: 'pause', player: 'nosuch' }),
    expect: {
      error: 'dbus-mcp.SERVICE_UNAVAILABLE',
      text: /Players present: org\.mpris\.MediaPlayer2\.fixture/,
    },
  },
  {
    tool: 'status',
    what: 'reports each section',
    args: () => ({}),
    expect: { ok: (sc) => assert.equal((sc.power as Structured).available, false) },
  },
  {
    tool: 'status',
    what: 'refuses an unknown section',
    args: () => ({ sections: ['weather'] }),
    expect: { invalid: /Invalid arguments for tool status/ },
  },
  {
    tool: 'discover',
    what: 'groups the services by capability',
    args: () => ({}),
    expect: {
      ok: (sc) =>
        assert.ok((sc.capabilities as { capability: string }[]).some((c) => c.capability === 'clipboard')),
    },
  },
  {
    tool: 'list_units',
    what: 'lists the user units',
    args: () => ({ pattern: 'demo*' }),
    expect: { ok: (sc) => assert.deepEqual(names(sc, 'units'), ['demo.service']) },
  },
  {
    tool: 'list_units',
    what: 'fails without a system bus',
    args: () => ({ manager: 'system' }),
    expect: { error: 'dbus-mcp.DBUS_CONNECT_FAILED', text: /system bus/ },
  },
  {
    tool: 'unit_status',
    what: 'reads a user unit',
    args: () => ({ unit: 'demo' }),
    expect: { ok: (sc) => assert.deepEqual([sc.unit, sc.loaded], ['demo.service', true]) },
  },
  {
    tool: 'unit_status',
    what: 'fails without a system bus',
    args: () => ({ unit: 'demo', manager: 'system' }),
    expect: { error: 'dbus-mcp.DBUS_CONNECT_FAILED', text: /system bus/ },
  },
  {
    tool: 'manage_unit',
    what: 'starts a unit an operator rule allows',
    args: () => ({ unit: 'demo', action: 'start' }),
    expect: { ok: (sc) => assert.equal(sc.result, 'done') },
  },
  {
    tool: 'manage_unit',
    what: 'is refused for a protected unit at every level',
    args: () => ({ unit: 'ssh', action: 'stop' }),
    expect: { error: 'dbus-mcp.POLICY_DENIED', text: /forbidden at every level/ },
  },
];

/** Every tool the server lists must have a case here (a new tool without one fails the suite). */
export const TOOLS_WITH_CASES = [...new Set(TOOL_CASES.map((c) => c.tool))].sort();

/** A tool result as any MCP client library hands it over. */
export interface AnyToolResult {
  isError?: boolean;
  content?: unknown;
  structuredContent?: unknown;
  _meta?: unknown;
}

/** Runs one case through `call` (the client under test) and checks what came back. */
export async function runCase(
  fx: ClientFixture,
  c: ToolCase,
  state: CaseState,
  call: (name: string, args: Record<string, unknown>) => Promise<AnyToolResult>,
): Promise<AnyToolResult> {
  await c.setup?.(fx);
  if (c.breaks) await fx.break(c.breaks);
  let result: AnyToolResult;
  try {
    result = await call(c.tool, c.args(state));
  } finally {
    if (c.breaks) await fx.repair(c.breaks);
  }
  checkResult(c, result, state);
  return result;
}

export function checkResult(c: ToolCase, result: AnyToolResult, state: CaseState): void {
  const text = firstText(result);
  if ('ok' in c.expect) {
    assert.notEqual(result.isError, true, text);
    assert.ok(result.structuredContent, `no structuredContent: ${JSON.stringify(result)}`);
    c.expect.ok(result.structuredContent as Structured, state);
  } else if ('error' in c.expect) {
    assert.equal(toolError(result).name, c.expect.error, text);
    if (c.expect.text) assert.match(text, c.expect.text);
  } else {
    assert.equal(result.isError, true, text);
    assert.equal(result.structuredContent, undefined);
    assert.match(text, c.expect.invalid);
  }
}

export function firstText(result: AnyToolResult): string {
  const first = (result.content as { type: string; text?: string }[] | undefined)?.[0];
  return first?.type === 'text' ? (first.text ?? '') : '';
}
