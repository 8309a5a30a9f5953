import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { onPath, waitUntil } from '../helpers/desktop/procs.js';
import type { Product } from '../helpers/desktop/product.js';
import { startProduct, textOf } from '../helpers/desktop/product.js';
import type { Desktop } from '../helpers/desktop/session.js';
import { createDesktop, hasName, holdNames } from '../helpers/desktop/session.js';
import type { Dunst } from '../helpers/desktop/x11.js';
import { NOTIFICATIONS, startDunst, startXvfb } from '../helpers/desktop/x11.js';

/**
 * notify against a real notification server: dunst 1.9 on Xvfb, with a rule whose script records
 * what dunst showed (app, summary, body, urgency) and dunstctl as the human's hand (the default
 * action, the context menu through dunst's dmenu setting, closing). The product is the built
 * program at high (the level notify needs), driven by an SDK client; clicks come back through
 * subscribe_signals / read_signals as the tool's description tells a model to do.
 */

const missing = ['Xvfb', 'dunst', 'dunstctl', 'gdbus'].filter((c) => !onPath(c));
const skip =
  missing.length > 0 ? `not installed: ${missing.join(', ')} (scripts/test.sh installs them as root)` : false;

interface SignalEvent {
  member: string;
  args: unknown[];
}

async function subscribe(product: Product, member: string): Promise<string> {
  const r = await product.call('subscribe_signals', {
    sender: NOTIFICATIONS,
    interface: NOTIFICATIONS,
    member,
  });
  assert.equal(r.isError, undefined, textOf(r));
  return String(r.structuredContent?.subscription_id);
}

/** The next signal of the subscription (read_signals waits up to 10 s for one): its member and args. */
async function nextSignal(product: Product, id: string): Promise<SignalEvent | undefined> {
  const r = await product.call('read_signals', { subscription_id: id, max: 1, wait_ms: 10_000 });
  assert.equal(r.isError, undefined, textOf(r));
  const sig = (r.structuredContent?.signals as SignalEvent[])[0];
  return sig && { member: sig.member, args: sig.args };
}

async function shownBy(dunst: Dunst, id: number) {
  return waitUntil(`dunst to show notification ${id}`, () => dunst.shown(id), { ms: 10_000 });
}

describe('notify against dunst on Xvfb', { skip }, () => {
  let desk: Desktop;
  let dunst: Dunst;
  let product: Product;

  before(async () => {
    desk = await createDesktop('dunst');
    const { display } = await startXvfb(desk);
    dunst = await startDunst(desk, display, { pickLabel: 'Later' });
    product = await startProduct(desk, { level: 'high' });
  });

  test('dunst shows each notification with its title, body, app name and urgency', async () => {
    const cases = [
      { urgency: 'low', want: 'LOW' },
      { urgency: 'normal', want: 'NORMAL' },
      { urgency: 'critical', want: 'CRITICAL' },
    ];
    for (const { urgency, want } of cases) {
      const title = `Build ${urgency}`;
      const message = `Stage ${urgency} finished in 3 s`;
      const r = await product.call('notify', { title, message, urgency, app_name: 'ci-watch' });
      assert.equal(r.isError, undefined, textOf(r));
      const id = r.structuredContent?.id as number;
      assert.ok(Number.isInteger(id) && id > 0, `id ${id}`);
      assert.deepEqual(await shownBy(dunst, id), {
        app: 'ci-watch',
        summary: title,
        body: message,
        urgency: want,
      });
    }
    const plain = await product.call('notify', { title: 'Default app', message: 'body' });
    assert.equal((await shownBy(dunst, plain.structuredContent?.id as number)).app, 'dbus-mcp');
  });

  test('action clicks come back as ActionInvoked signals: the default action and a menu choice', async () => {
    // dunstctl acts on the notification on top: nothing else may be shown.
    await dunst.ctl(['close-all']);
    const sub = await subscribe(product, 'ActionInvoked');
    const r = await product.call('notify', {
      title: 'Deploy ready',
      message: 'Open the dashboard?',
      timeout_ms: 0,
      actions: [
        { key: 'default', label: 'Open' },
        { key: 'later', label: 'Later' },
      ],
    });
    assert.equal(r.isError, undefined, textOf(r));
    const id = r.structuredContent?.id as number;
    await shownBy(dunst, id);
    // The human clicks the notification: dunst invokes its default action.
    await dunst.ctl(['action', '0']);
    assert.deepEqual(await nextSignal(product, sub), { member: 'ActionInvoked', args: [id, 'default'] });

    // dunst keeps a clicked notification that never times out; the human closes it.
    await dunst.ctl(['close-all']);
    // A second notification; the human picks "Later" from dunst's context menu (dmenu).
    const r2 = await product.call('notify', {
      title: 'Backup ready',
      message: 'Restore now?',
      timeout_ms: 0,
      actions: [
        { key: 'now', label: 'Restore' },
        { key: 'later', label: 'Later' },
      ],
    });
    const id2 = r2.structuredContent?.id as number;
    await shownBy(dunst, id2);
    await dunst.ctl(['context']);
    assert.deepEqual(await nextSignal(product, sub), { member: 'ActionInvoked', args: [id2, 'later'] });
  });

  test('a notification the human closes ends with NotificationClosed reason 2 (dismissed)', async () => {
    const sub = await subscribe(product, 'NotificationClosed');
    const r = await product.call('notify', { title: 'Close me', message: 'please', timeout_ms: 0 });
    const id = r.structuredContent?.id as number;
    await shownBy(dunst, id);
    await dunst.ctl(['close-all']);
    for (;;) {
      const sig = await nextSignal(product, sub);
      assert.ok(sig, `no NotificationClosed for ${id}`);
      if (sig.args[0] === id) {
        assert.deepEqual(sig.args, [id, 2]);
        break;
      }
    }
  });

  test('issue 15 point 7: no listener-leak warning on a desktop with many bus names', async () => {
    await holdNames(
      desk.session,
      Array.from({ length: 12 }, (_, i) => `org.example.DesktopApp${i + 1}`),
    );
    const r = await product.call('notify', { title: 'Many names', message: 'on this bus' });
    assert.equal(r.isError, undefined, textOf(r));
    assert.deepEqual(
      product
        .stderr()
        .split('\n')
        .filter((l) => /Warning/.test(l) && !l.startsWith('{')),
      [],
    );
  });
});

describe('notify when dunst is installed but not running (activatable)', { skip }, () => {
  let desk: Desktop;
  let dunst: Dunst;

  before(async () => {
    desk = await createDesktop('dunst-activatable');
    const { display } = await startXvfb(desk);
    dunst = await startDunst(desk, display, { mode: 'activatable' });
  });

  test('notify starts dunst through D-Bus activation and dunst shows it', async () => {
    assert.equal(await hasName(desk.session, NOTIFICATIONS), false);
    const product = await startProduct(desk, { level: 'high' });
    const r = await product.call('notify', {
      title: 'First of the session',
      message: 'dunst was not running',
    });
    assert.equal(r.isError, undefined, textOf(r));
    const id = r.structuredContent?.id as number;
    assert.deepEqual(await shownBy(dunst, id), {
      app: 'dbus-mcp',
      summary: 'First of the session',
      body: 'dunst was not running',
      urgency: 'NORMAL',
    });
    assert.equal(await hasName(desk.session, NOTIFICATIONS), true);
    await product.close();
  });

  test('issue 15 point 1: notify says in its result that it started the notification server', async () => {
    const again = await createDesktop('dunst-activatable-2');
    const { display } = await startXvfb(again);
    await startDunst(again, display, { mode: 'activatable' });
    const product = await startProduct(again, { level: 'high' });
    const r = await product.call('notify', { title: 'Started?', message: 'say so' });
    assert.equal(r.isError, undefined, textOf(r));
    assert.match(textOf(r), /started/i);
    assert.match(textOf(r), /org\.freedesktop\.Notifications/);
    await product.close();
  });
});
