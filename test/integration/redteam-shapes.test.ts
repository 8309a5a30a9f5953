import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { MockService } from '../helpers/buses.js';
import { startMock } from '../helpers/buses.js';
import { toolError } from '../helpers/mcp.js';
import type { Mock, Program, ToolResult, World } from '../helpers/redteam.js';
import {
  assertForbiddenAndUnsent,
  startAdHocMock,
  startProgram,
  startWorld,
  takeCalls,
} from '../helpers/redteam.js';
import { connectClient, startServe, tempDir } from '../helpers/supervisor.js';

/**
 * Red team, the argument and connection side, through the real program (docs/SECURITY-REVIEW.md "shapes"):
 * a call whose arguments are huge, a rate limit a client escapes by reconnecting, and an ask rule
 * that must not open the floor.
 */

let world: World;
let program: Program;
let asker: Program;
let sink: Mock;
let notifications: MockService;

before(async () => {
  world = await startWorld();
  sink = await startAdHocMock(world.session, 'com.example.Sink', '/com/example/Sink', 'com.example.Sink', [
    { interface: 'com.example.Sink', name: 'Take', inSig: 'ai' },
  ]);
  notifications = await startMock(world.session, ['--template', 'notification_daemon']);
  await takeCalls(world.session, notifications);
  [program, asker] = await Promise.all([
    startProgram(world, { level: 'low' }),
    startProgram(world, { level: 'low', rules: ['ask * * * * *', 'allow * * * * *'] }),
  ]);
});

describe('redteam: shapes through the program', () => {
  test('a 600,000-element argument is refused before it is converted or sent (issue 12 §7)', async () => {
    const r = await program.call('call_method', {
      service: 'com.example.Sink',
      path: '/com/example/Sink',
      interface: 'com.example.Sink',
      method: 'Take',
      args: [new Array(600_000).fill(7)],
    });
    const received = await sink.calls();
    assert.deepEqual(
      {
        isError: r.isError === true,
        // A bound on the arguments, not the policy (allow * * * * * allows the call itself).
        bound: r.isError ? /^dbus-mcp\.(?!POLICY_DENIED$)/.test(toolError(r).name) : false,
        received,
      },
      { isError: true, bound: true, received: [] },
      JSON.stringify(r.content).slice(0, 300),
    );
  });

  test('a client refused by RATE_LIMIT_NOTIFY gains nothing by reconnecting (issue 12 §6)', async () => {
    const dir = tempDir('dbus-mcp-redteam-serve-');
    const policy = join(dir, 'policy.d');
    mkdirSync(policy);
    writeFileSync(
      join(dir, 'config'),
      [
        `SAFETY_LEVEL="high"`,
        `RATE_LIMIT_NOTIFY="2"`,
        `POLICY_DIRS="${policy}"`,
        `SESSION_BUS_ADDRESS="${world.session.address}"`,
      ].join('\n'),
    );
    const served = await startServe({ dir });
    const notify = async (client: Awaited<ReturnType<typeof connectClient>>, n: number) =>
      (await client.callTool({
        name: 'notify',
        arguments: { title: `t${n}`, message: 'm' },
      })) as ToolResult;
    const first = await connectClient(served.socketPath);
    const outcomes: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const r = await notify(first, n);
      outcomes.push(r.isError ? toolError(r).name : 'sent');
    }
    await first.close();
    const second = await connectClient(served.socketPath);
    for (let n = 4; n <= 5; n++) {
      const r = await notify(second, n);
      outcomes.push(r.isError ? toolError(r).name : 'sent');
    }
    await second.close();
    const delivered = (await takeCalls(world.session, notifications)).filter((m) => m === 'Notify').length;
    assert.deepEqual(
      { outcomes, delivered },
      {
        outcomes: ['sent', 'sent', 'dbus-mcp.RATE_LIMITED', 'dbus-mcp.RATE_LIMITED', 'dbus-mcp.RATE_LIMITED'],
        delivered: 2,
      },
    );
  });
});

describe('redteam: shapes through the program — refused today (regression guards)', () => {
  test('an ask rule over everything does not open the floor: PowerOff is forbidden, not a question', async () => {
    const logind = await startAdHocMock(
      world.system,
      'org.freedesktop.login1',
      '/org/freedesktop/login1',
      'org.freedesktop.login1.Manager',
      [{ interface: 'org.freedesktop.login1.Manager', name: 'PowerOff', inSig: 'b' }],
    );
    const r = await asker.call('call_method', {
      bus: 'system',
      service: 'org.freedesktop.login1',
      path: '/org/freedesktop/login1',
      interface: 'org.freedesktop.login1.Manager',
      method: 'PowerOff',
      args: [false],
    });
    assertForbiddenAndUnsent(r, await logind.calls(), 'PowerOff under ask * * * * *');
  });
});
