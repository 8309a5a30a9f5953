import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../../../src/shared/errors.js';
import { IntrospectionCache } from '../../../../src/worker/dbus/introspection-cache.js';
import type { CallReply, CallRequest } from '../../../../src/worker/dbus/types.js';

describe('IntrospectionCache', () => {
  const xml = (iface: string) =>
    `<node><interface name="${iface}"><method name="Go"><arg type="s" direction="out"/></method><property name="P" type="u" access="read"/></interface><interface name="b.Other"><method name="Go"/></interface></node>`;

  function fakeCaller() {
    const calls: CallRequest[] = [];
    let iface = 'a.One';
    const call = async (req: CallRequest): Promise<CallReply> => {
      calls.push(req);
      if (req.destination === 'org.example.Broken') return { signature: 's', body: ['<node>'] };
      return { signature: 's', body: [xml(iface)] };
    };
    return { calls, call, setIface: (i: string) => (iface = i) };
  }

  test('caches per destination and path, shares concurrent requests, invalidates by name', async () => {
    const f = fakeCaller();
    const cache = new IntrospectionCache(f.call);
    const [a, b] = await Promise.all([cache.get('org.example.A', '/'), cache.get('org.example.A', '/')]);
    assert.equal(a, b);
    assert.equal(f.calls.length, 1);
    assert.equal(f.calls[0]?.member, 'Introspect');
    assert.equal(f.calls[0]?.interface, 'org.freedesktop.DBus.Introspectable');
    await cache.get('org.example.A', '/sub');
    await cache.get('org.example.B', '/');
    assert.equal(f.calls.length, 3);

    f.setIface('a.Two');
    assert.equal((await cache.get('org.example.A', '/')).interfaces[0]?.name, 'a.One');
    cache.invalidate('org.example.A');
    assert.equal((await cache.get('org.example.A', '/')).interfaces[0]?.name, 'a.Two');
    assert.equal((await cache.get('org.example.B', '/')).interfaces[0]?.name, 'a.One');
    cache.invalidate();
    assert.equal((await cache.get('org.example.B', '/')).interfaces[0]?.name, 'a.Two');
  });

  test('method, property and findInterfacesWithMember', async () => {
    const cache = new IntrospectionCache(fakeCaller().call);
    assert.deepEqual((await cache.method('org.example.A', '/', 'a.One', 'Go'))?.args, [
      { type: 's', direction: 'out' },
    ]);
    assert.equal(await cache.method('org.example.A', '/', 'a.One', 'Nope'), undefined);
    assert.equal((await cache.property('org.example.A', '/', 'a.One', 'P'))?.type, 'u');
    assert.equal(await cache.property('org.example.A', '/', 'no.Such', 'P'), undefined);
    assert.deepEqual(await cache.findInterfacesWithMember('org.example.A', '/', 'Go'), ['a.One', 'b.Other']);
    assert.deepEqual(await cache.findInterfacesWithMember('org.example.A', '/', 'P'), []);
  });

  test('malformed XML from a service: INTROSPECTION_FAILED, and it is not cached', async () => {
    const f = fakeCaller();
    const cache = new IntrospectionCache(f.call);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(cache.get('org.example.Broken', '/'), (e: unknown) => {
        return (
          e instanceof AppError &&
          e.code === 'INTROSPECTION_FAILED' &&
          e.message.includes('org.example.Broken')
        );
      });
    }
    assert.equal(f.calls.length, 2);
  });
});
