import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { MockService, TestBus } from './buses.js';
import { addMockMethod, mockCall, startBusWithConfig, startMock, startSessionBus } from './buses.js';
import { connectStdio, toolError } from './mcp.js';
import { programPath, tempDir } from './supervisor.js';

/**
 * The red team's integration harness (docs/SECURITY-REVIEW.md): the built program (`dbus-mcp stdio`) driven by
 * a real SDK client, as an agent reaches it, at a safety level with the operator rule that opens
 * everything (`allow * * * * *`) — on a private session bus and a private system-type bus where
 * ad-hoc python3-dbusmock services stand in for the real ones. Each mock records what reached it
 * (`GetCalls`), so a test proves that a refused attack sent nothing.
 */

export interface World {
  session: TestBus;
  system: TestBus;
}

/** A private session bus and a system-type bus on which any name may be owned (test/fixtures/redteam-system-bus.conf). */
export async function startWorld(): Promise<World> {
  const [session, system] = await Promise.all([
    startSessionBus(),
    startBusWithConfig('system', join(import.meta.dirname, '..', 'fixtures', 'redteam-system-bus.conf')),
  ]);
  return { session, system };
}

export type ToolResult = CallToolResult & { structuredContent?: Record<string, unknown> };

export interface Program {
  call(tool: string, args: Record<string, unknown>): Promise<ToolResult>;
  /** Everything the program wrote on stderr (its log lines, the audit among them). */
  stderr(): string;
  close(): Promise<void>;
}

export interface ProgramOptions {
  level?: 'high' | 'medium' | 'low';
  /** Lines of the one rule file (default: `allow * * * * *`). */
  rules?: string[];
  /** Further configuration keys, as they would appear in the config file. */
  settings?: Record<string, string>;
}

/** `dbus-mcp stdio` with a config naming the level, the rule file and both buses of `world`. */
export async function startProgram(world: World, opts: ProgramOptions = {}): Promise<Program> {
  const dir = tempDir('dbus-mcp-redteam-');
  const policyDir = join(dir, 'policy.d');
  mkdirSync(policyDir);
  writeFileSync(join(policyDir, 'redteam.rules'), `${(opts.rules ?? ['allow * * * * *']).join('\n')}\n`);
  const settings: Record<string, string> = {
    SAFETY_LEVEL: opts.level ?? 'low',
    POLICY_DIRS: policyDir,
    SESSION_BUS_ADDRESS: world.session.address,
    SYSTEM_BUS_ADDRESS: world.system.address,
    LOG_LEVEL: 'info',
    ...opts.settings,
  };
  const config = join(dir, 'config');
  writeFileSync(
    config,
    Object.entries(settings)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n'),
  );
  const { client, stderr, close } = await connectStdio({
    command: process.execPath,
    args: [programPath(), 'stdio'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      XDG_RUNTIME_DIR: dir,
      DBUS_MCP_CONFIG: config,
    },
    cwd: dir,
    clientName: 'redteam',
  });
  return {
    async call(tool, args) {
      return (await client.callTool({ name: tool, arguments: args }, { timeout: 60_000 })) as ToolResult;
    },
    stderr,
    close,
  };
}

export interface MockMethod {
  /** Object path (default: the mock's main path). */
  path?: string;
  interface: string;
  name: string;
  inSig: string;
  outSig?: string;
  /** Python run by the mock (`ret = …` for out arguments). */
  code?: string;
}

export interface Mock extends MockService {
  readonly bus: TestBus;
  /** Members called on `path` (default: the main object) since the last look, in order; clears them. */
  calls(path?: string): Promise<string[]>;
  clear(path?: string): Promise<void>;
}

/**
 * An ad-hoc dbusmock service named `name` whose main object is `path` with `iface`, plus `methods`
 * (on further objects too: each new path is added with AddObject). Calls made during setup are
 * cleared, so `calls()` shows only what a test sent.
 */
export async function startAdHocMock(
  bus: TestBus,
  name: string,
  path: string,
  iface: string,
  methods: MockMethod[],
): Promise<Mock> {
  const mock = await startMock(bus, [name, path, iface], { name });
  const objects = new Set([path]);
  for (const m of methods) {
    const at = m.path ?? path;
    if (!objects.has(at)) {
      await mockCall(bus, mock, 'AddObject', 'ssa{sv}a(ssss)', [at, m.interface, {}, []]);
      objects.add(at);
    }
    await addMockMethod(bus, mock, {
      path: at,
      interface: m.interface,
      name: m.name,
      inSig: m.inSig,
      outSig: m.outSig ?? '',
      code: m.code ?? '',
    });
  }
  const clear = async (at = path) => {
    await mockCall(bus, mock, 'ClearCalls', '', [], at);
  };
  const calls = (at = path) => takeCalls(bus, mock, at);
  for (const at of objects) await clear(at);
  return { ...mock, bus, calls, clear };
}

/** Calls recorded by a template mock (its main object unless `path`), then cleared. */
export async function takeCalls(bus: TestBus, mock: MockService, path = mock.path): Promise<string[]> {
  const [list] = await mockCall(bus, mock, 'GetCalls', '', [], path);
  await mockCall(bus, mock, 'ClearCalls', '', [], path);
  return (list as [bigint, string, unknown[]][]).map((c) => c[1]);
}

/**
 * The promise of issue 12 for one attack: the tool answered with a policy refusal of kind
 * `forbidden`, and the service saw nothing (`received` is what its GetCalls showed afterwards).
 */
export function assertForbiddenAndUnsent(result: ToolResult, received: string[], what: string): void {
  let refusal: { name: string; kind?: unknown; message: string } | undefined;
  try {
    const e = toolError(result);
    refusal = { name: e.name, kind: e.kind, message: e.message };
  } catch {
    refusal = undefined;
  }
  assert.deepEqual(
    { refusal: refusal && { name: refusal.name, kind: refusal.kind }, received },
    { refusal: { name: 'dbus-mcp.POLICY_DENIED', kind: 'forbidden' }, received: [] },
    `${what}: ${refusal ? refusal.message : `not refused: ${JSON.stringify(result.content)}`}`,
  );
}

/** One attack through `call_method`: the arguments of the tool call, and where its effect would land. */
export interface CallAttack {
  /** `call_method` arguments (bus, service, path, interface?, method, args?, signature?). */
  call: Record<string, unknown>;
  /** The mock that would receive it, and the object path whose calls to look at (default: `call.path`). */
  mock: MockService & { bus: TestBus };
  at?: string;
}

/** Sends one attack through the program and asserts it was refused as forbidden and nothing arrived. */
export async function assertAttackRefused(program: Program, a: CallAttack): Promise<void> {
  const r = await program.call('call_method', { args: [], ...a.call });
  const at = a.at ?? (a.call.path as string);
  const received = await takeCalls(a.mock.bus, a.mock, at);
  assertForbiddenAndUnsent(
    r,
    received,
    `${String(a.call.interface ?? '(no interface)')}.${String(a.call.method)}`,
  );
}

/** A table row: one attack on one mock, a todo while it gets through. */
export interface MockedAttack {
  name: string;
  todo?: string;
  /** The mock (looked up when the test runs, after `before` started it). */
  mock: () => Mock;
  /** The object path whose calls to look at (default: `call.path`). */
  at?: string;
  call: Record<string, unknown>;
}

/** One node:test per row: refused as forbidden through `program()`, and nothing reached the mock. */
export function attackTests(program: () => Program, attacks: readonly MockedAttack[]): void {
  for (const a of attacks) {
    test(a.name, a.todo !== undefined ? { todo: a.todo } : {}, () =>
      assertAttackRefused(program(), { call: a.call, mock: a.mock(), at: a.at }),
    );
  }
}
