import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/shared/config.js';
import type { MockService, TestBus } from '../helpers/buses.js';
import {
  emitMockSignal,
  rawCall,
  startFixtureService,
  startMock,
  startSessionBus,
  startSystemLikeBus,
} from '../helpers/buses.js';
import '../helpers/cleanup.js';
import type { Era, InMemorySession } from '../helpers/mcp.js';
import { connectInMemory } from '../helpers/mcp.js';

let session: TestBus;
let system: TestBus;
let mock: MockService;
let tree: MockService;
let slowTree: MockService;

const TREE_OBJECTS = 3000;

async function connect(era: Era, extra: Partial<Parameters<typeof connectInMemory>[0]> = {}) {
  return connectInMemory({
    era,
    settings: {
      SAFETY_LEVEL: 'high',
      SESSION_BUS_ADDRESS: session.address,
      SYSTEM_BUS_ADDRESS: system.address,
    },
    ...extra,
  });
}

const introspectCount = async (name: string) =>
  Number((await rawCall(session, name, '/com/example/Tree', 'com.example.Tree.Stats', 'IntrospectCount'))[0]);

before(async () => {
  [session, system] = await Promise.all([startSessionBus(), startSystemLikeBus()]);
  [mock, tree, slowTree] = await Promise.all([
    startMock(session, ['com.example.Surface', '/com/example/Surface', 'com.example.Surface']),
    startFixtureService(session, 'object-tree.py', ['com.example.Tree', String(TREE_OBJECTS)]),
    startFixtureService(session, 'object-tree.py', ['com.example.SlowTree', '2000', '--delay-ms', '20']),
  ]);
});

after(async () => {
  await Promise.allSettled([mock?.stop(), tree?.stop(), slowTree?.stop()]);
  await Promise.allSettled([session?.stop(), system?.stop()]);
});

for (const era of ['2025', '2026'] as const) {
  describe(`MCP surface, ${era} era`, () => {
    let s: InMemorySession;
    before(async () => {
      s = await connect(era);
    });
    after(() => s.close());

    test('instructions tell the model how to start', () => {
      const text = s.client.getInstructions() ?? '';
      assert.match(text, /safety level: high/i);
      assert.match(text, /list_services/);
    });

    test('resources and templates are listed', async () => {
      const { resources } = await s.client.listResources();
      assert.deepEqual(resources.map((r) => r.uri).sort(), [
        'dbus://session/services',
        'dbus://system/services',
      ]);
      const { resourceTemplates } = await s.client.listResourceTemplates();
      const templates = resourceTemplates.map((t) => t.uriTemplate);
      assert.ok(templates.includes('dbus://{bus}/services'));
      assert.ok(templates.includes('dbus://{bus}/{service}/{+path}'));
    });

    test('the service list and an object read as JSON', async () => {
      const list = await s.client.readResource({ uri: 'dbus://session/services' });
      const doc = JSON.parse((list.contents[0] as { text: string }).text) as { services: { name: string }[] };
      assert.ok(doc.services.some((x) => x.name === 'com.example.Surface'));
      const obj = await s.client.readResource({
        uri: 'dbus://session/com.example.Surface/com/example/Surface',
      });
      const node = JSON.parse((obj.contents[0] as { text: string }).text) as {
        path: string;
        interfaces: { name: string }[];
      };
      assert.equal(node.path, '/com/example/Surface');
      assert.ok(node.interfaces.some((i) => i.name === 'org.freedesktop.DBus.Mock'));
      const root = await s.client.readResource({ uri: 'dbus://session/com.example.Surface/' });
      assert.deepEqual(JSON.parse((root.contents[0] as { text: string }).text).children, ['com']);
    });

    test('a resource naming a bad path is an error naming it', async () => {
      await assert.rejects(
        s.client.readResource({ uri: 'dbus://session/com.example.Surface/bad//path' }),
        /\/bad\/\/path|object path/,
      );
    });

    test('completions for bus, service and path', async () => {
      const ref = { type: 'ref/resource' as const, uri: 'dbus://{bus}/{service}/{+path}' };
      const bus = await s.client.complete({ ref, argument: { name: 'bus', value: 'sy' } });
      assert.deepEqual(bus.completion.values, ['system']);
      const service = await s.client.complete({
        ref,
        argument: { name: 'service', value: 'com.example.Su' },
        context: { arguments: { bus: 'session' } },
      });
      assert.deepEqual(service.completion.values, ['com.example.Surface']);
      const path = await s.client.complete({
        ref,
        argument: { name: 'path', value: 'com/example/S' },
        context: { arguments: { bus: 'session', service: 'com.example.Surface' } },
      });
      assert.deepEqual(path.completion.values, ['com/example/Surface']);
    });

    test('prompts are listed, rendered and their arguments complete', async () => {
      const { prompts } = await s.client.listPrompts();
      assert.deepEqual(prompts.map((p) => p.name).sort(), ['diagnose_desktop', 'explore_service']);
      const explore = await s.client.getPrompt({
        name: 'explore_service',
        arguments: { service: 'com.example.Surface' },
      });
      assert.match((explore.messages[0]?.content as { text: string }).text, /com\.example\.Surface/);
      const diag = await s.client.getPrompt({ name: 'diagnose_desktop', arguments: {} });
      assert.match((diag.messages[0]?.content as { text: string }).text, /\(high\)/);
      const done = await s.client.complete({
        ref: { type: 'ref/prompt', name: 'explore_service' },
        argument: { name: 'service', value: 'com.example.Tr' },
        context: { arguments: { bus: 'session' } },
      });
      assert.deepEqual(done.completion.values, ['com.example.Tree']);
    });

    test('a large walk reports progress', async () => {
      const progress: number[] = [];
      const result = await s.client.callTool(
        { name: 'list_objects', arguments: { service: 'com.example.Tree', path: '/', max_objects: 10_000 } },
        { onprogress: (p) => progress.push(p.progress), timeout: 120_000 },
      );
      // The tree's objects plus /com/example/Tree (its Stats interface); bare intermediate nodes are not listed.
      assert.equal((result.structuredContent as { count: number }).count, TREE_OBJECTS + 1);
      assert.ok(progress.length >= 3, `progress notifications: ${progress.length}`);
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
        'progress only grows',
      );
    });

    test('cancelling a walk stops its D-Bus calls', async () => {
      const controller = new AbortController();
      let firstProgress: () => void = () => undefined;
      const progressed = new Promise<void>((resolve) => (firstProgress = resolve));
      const call = s.client.callTool(
        { name: 'list_objects', arguments: { service: 'com.example.SlowTree', max_objects: 10_000 } },
        { onprogress: () => firstProgress(), signal: controller.signal, timeout: 120_000 },
      );
      await progressed;
      controller.abort();
      await assert.rejects(call);
      await new Promise((r) => setTimeout(r, 500));
      const settled = await introspectCount('com.example.SlowTree');
      await new Promise((r) => setTimeout(r, 1000));
      const later = await introspectCount('com.example.SlowTree');
      assert.equal(later, settled, 'no Introspect calls after the cancellation settled');
      assert.ok(settled < 2000, `the walk stopped early (${settled} of 2000+ objects)`);
    });
  });
}

describe('logging and list_changed', () => {
  /** A mutating call at high: refused, and the refusal audited (at info). */
  const refusedCall = async (s: InMemorySession) => {
    const r = await s.client.callTool({
      name: 'call_method',
      arguments: {
        service: 'com.example.Surface',
        path: '/com/example/Surface',
        interface: 'com.example.Surface',
        method: 'Go',
        signature: '',
      },
    });
    assert.equal(r.isError, true);
    // Notifications are sent before the result; one more round trip lets any straggler arrive.
    await s.client.listTools();
  };
  const collect = (s: InMemorySession) => {
    const messages: { level: string; logger?: string; data: unknown }[] = [];
    s.client.setNotificationHandler('notifications/message', (n) => {
      messages.push(n.params as { level: string; logger?: string; data: unknown });
    });
    return messages;
  };
  const belowWarning = (m: { level: string }) => ['debug', 'info', 'notice'].includes(m.level);

  for (const era of ['2025', '2026'] as const) {
    test(`before a client asks for a log level it gets warnings and errors only (${era})`, async () => {
      const s = await connect(era);
      try {
        const messages = collect(s);
        await refusedCall(s);
        assert.ok(
          s.logLines.some((l) => l.audit === 'policy'),
          'the refusal is audited on stderr (LOG_LEVEL debug here)',
        );
        assert.deepEqual(messages.filter(belowWarning), [], 'but not sent to a client that did not ask');
      } finally {
        await s.close();
      }
    });
  }

  test('log notifications follow logging/setLevel, whatever LOG_LEVEL lets through to stderr', async () => {
    // stderr at warn, as `stdio` logs by default: the client's level alone decides what it gets.
    const s = await connect('2025', { logLevel: 'warn' });
    try {
      const messages = collect(s);
      await s.client.setLoggingLevel('info');
      await refusedCall(s);
      const policy = messages.filter((m) => m.logger === 'dbus-mcp.policy');
      assert.equal(policy.length, 1, JSON.stringify(messages));
      assert.equal(policy[0]?.level, 'info');
      assert.match(JSON.stringify(policy[0]?.data), /com\.example\.Surface/);
      assert.equal(s.logLines.filter((l) => l.audit === 'policy').length, 0, 'the audit line is off stderr');

      await s.client.setLoggingLevel('error');
      const before = messages.length;
      await refusedCall(s);
      assert.deepEqual(
        messages.slice(before).filter((m) => m.level !== 'error'),
        [],
      );
    } finally {
      await s.close();
    }
  });

  for (const era of ['2025', '2026'] as const) {
    test(`a reload that changes the level announces list_changed with new descriptions (${era})`, async () => {
      let changed: () => void = () => undefined;
      const announced = new Promise<void>((resolve) => (changed = resolve));
      const s = await connect(era, {
        clientOptions: { listChanged: { tools: { onChanged: () => changed(), debounceMs: 0 } } },
      });
      try {
        const before = (await s.client.listTools()).tools.find((t) => t.name === 'call_method');
        assert.match(before?.description ?? '', /Current safety level: high/);
        const next = loadConfig({
          env: { DBUS_MCP_SAFETY_LEVEL: 'medium', DBUS_MCP_SESSION_BUS_ADDRESS: session.address },
          configFile: '/dev/null',
        }).config;
        s.runtime.updateConfig(next);
        await Promise.race([
          announced,
          new Promise((_, reject) => setTimeout(() => reject(new Error('no list_changed')), 5000)),
        ]);
        const after = (await s.client.listTools()).tools.find((t) => t.name === 'call_method');
        assert.match(after?.description ?? '', /Current safety level: medium/);
      } finally {
        await s.close();
      }
    });
  }
});

describe('signal subscriptions as resources', () => {
  for (const era of ['2025', '2026'] as const) {
    test(`a subscribed signal resource is updated when signals arrive (${era})`, async () => {
      const s = await connect(era);
      try {
        const sub = await s.client.callTool({
          name: 'subscribe_signals',
          arguments: { sender: 'com.example.Surface', interface: 'com.example.Surface', member: 'Changed' },
        });
        const id = (sub.structuredContent as { subscription_id: string }).subscription_id;
        const uri = `dbus-signals://${id}`;
        const { resources } = await s.client.listResources();
        assert.ok(
          resources.some((r) => r.uri === uri),
          JSON.stringify(resources),
        );

        let updated: () => void = () => undefined;
        const gotUpdate = new Promise<void>((resolve) => (updated = resolve));
        s.client.setNotificationHandler('notifications/resources/updated', (n) => {
          if (n.params.uri === uri) updated();
        });
        const listening =
          era === '2026' ? await s.client.listen({ resourceSubscriptions: [uri] }) : undefined;
        if (era === '2025') await s.client.subscribeResource({ uri });

        await emitMockSignal(session, mock, {
          interface: 'com.example.Surface',
          name: 'Changed',
          signature: 's',
          args: ['hello'],
        });
        await Promise.race([
          gotUpdate,
          new Promise((_, reject) => setTimeout(() => reject(new Error('no resources/updated')), 5000)),
        ]);
        const read = await s.client.readResource({ uri });
        const doc = JSON.parse((read.contents[0] as { text: string }).text) as {
          signals: { args: unknown[] }[];
        };
        assert.deepEqual(
          doc.signals.map((x) => x.args),
          [['hello']],
        );
        await listening?.close();
      } finally {
        await s.close();
      }
    });
  }
});
