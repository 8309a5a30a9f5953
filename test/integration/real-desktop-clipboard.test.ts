import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { onPath, waitUntil } from '../helpers/desktop/procs.js';
import type { Product } from '../helpers/desktop/product.js';
import { errorName, startProduct, textOf } from '../helpers/desktop/product.js';
import type { Desktop } from '../helpers/desktop/session.js';
import { createDesktop, hasName, holdNames } from '../helpers/desktop/session.js';
import {
  GPASTE,
  KLIPPER,
  gpasteClient,
  startGPaste,
  startKlipper,
  startXvfb,
  xclip,
} from '../helpers/desktop/x11.js';

/**
 * clipboard_read / clipboard_write against the real clipboard managers on an X display (Xvfb):
 * GPaste 43 (`gpaste-daemon`, GDK on x11) and KDE Klipper 5.27 (Qt on xcb), each running or only
 * D-Bus activatable. The product is the built program at medium (the level the clipboard needs),
 * driven by an SDK client. Checked against the X clipboard itself (xclip) and gpaste-client.
 */

const missingGPaste = ['Xvfb', 'xclip', 'gpaste-client', 'gdbus'].filter((c) => !onPath(c));
const missingKlipper = ['Xvfb', 'xclip', 'klipper', 'gdbus'].filter((c) => !onPath(c));
const skipFor = (m: string[]) =>
  m.length > 0 ? `not installed: ${m.join(', ')} (scripts/test.sh installs them as root)` : false;

/** The text of the X CLIPBOARD selection as xclip reads it ('' when nobody owns it). */
async function xclipText(desk: Desktop, display: string): Promise<string> {
  const r = await xclip(desk, display).read();
  return r.code === 0 ? r.stdout : '';
}

/** Waits until the X clipboard holds `text`. */
async function clipboardShows(desk: Desktop, display: string, text: string): Promise<void> {
  await waitUntil(
    `the X clipboard to hold ${JSON.stringify(text)}`,
    async () => (await xclipText(desk, display)) === text,
    {
      ms: 10_000,
    },
  );
}

// U+1D11E (a surrogate pair in UTF-16), an accented letter and a space: 9 characters, 10 UTF-16 units.
const MUSIC = '𝄞 clé sol';

describe('clipboard tools against GPaste on Xvfb', { skip: skipFor(missingGPaste) }, () => {
  let desk: Desktop;
  let display: string;
  let product: Product;

  before(async () => {
    desk = await createDesktop('gpaste');
    ({ display } = await startXvfb(desk));
    await startGPaste(desk, display);
    product = await startProduct(desk, { level: 'medium' });
  });

  test('issue 15 point 5: an empty GPaste history reads as ""', async () => {
    const history = await gpasteClient(desk, display, ['history', '--raw']);
    assert.equal(history.stdout, '', 'the history is empty to begin with');
    const r = await product.call('clipboard_read');
    assert.equal(r.isError, undefined, textOf(r));
    assert.deepEqual(
      [r.structuredContent?.text, r.structuredContent?.length, r.structuredContent?.provider],
      ['', 0, 'gpaste'],
    );
  });

  test('clipboard_write puts the text on the X clipboard: xclip and gpaste-client see it', async () => {
    const text = 'Hello from dbus-mcp\nsecond line\ttabbed';
    const r = await product.call('clipboard_write', { text });
    assert.equal(r.isError, undefined, textOf(r));
    assert.equal(r.structuredContent?.provider, 'gpaste');
    await clipboardShows(desk, display, text);
    const got = await gpasteClient(desk, display, ['get', '--use-index', '0']);
    assert.equal(got.stdout, text);
  });

  test('clipboard_read returns what another program copied (xclip)', async () => {
    const text = 'copied with xclip at the X level';
    await xclip(desk, display).write(text);
    // GPaste takes it from the X clipboard into its history.
    await waitUntil(
      'GPaste to record the copy',
      async () => (await gpasteClient(desk, display, ['get', '--use-index', '0'])).stdout === text,
    );
    const r = await product.call('clipboard_read');
    assert.equal(r.isError, undefined, textOf(r));
    assert.equal(r.structuredContent?.text, text);
    assert.equal(r.structuredContent?.provider, 'gpaste');
  });

  test('issue 15 point 5: length counts characters, not UTF-16 code units', async () => {
    const w = await product.call('clipboard_write', { text: MUSIC });
    assert.equal(w.isError, undefined, textOf(w));
    assert.equal(w.structuredContent?.length, 9);
    await clipboardShows(desk, display, MUSIC);
    const r = await product.call('clipboard_read');
    assert.equal(r.structuredContent?.text, MUSIC);
    assert.equal(r.structuredContent?.length, 9);
  });

  test('issue 15 point 5: clipboard_write "" is refused clearly and the clipboard keeps its text', async () => {
    const before = 'kept through an empty write';
    await product.call('clipboard_write', { text: before });
    await clipboardShows(desk, display, before);
    const r = await product.call('clipboard_write', { text: '' });
    assert.equal(r.isError, true);
    assert.match(errorName(r) ?? '', /^dbus-mcp\.(USAGE|INVALID_ARGUMENT)$/, textOf(r));
    assert.match(textOf(r), /empty/i);
    assert.doesNotMatch(textOf(r), /org\.gnome\.GPaste\.Error/);
    assert.equal(await xclipText(desk, display), before);
  });

  test('at high the policy refuses both tools and the clipboard is untouched', async () => {
    const high = await startProduct(desk, { level: 'high', label: 'high' });
    const before = await xclipText(desk, display);
    const w = await high.call('clipboard_write', { text: 'must not arrive' });
    const r = await high.call('clipboard_read');
    for (const res of [w, r]) {
      assert.equal(res.isError, true);
      assert.equal(errorName(res), 'dbus-mcp.POLICY_DENIED', textOf(res));
      assert.match(textOf(res), /medium/);
    }
    assert.equal(await xclipText(desk, display), before);
    await high.close();
  });

  test('issue 15 point 7: no listener-leak warning on a desktop with many bus names', async () => {
    await holdNames(
      desk.session,
      Array.from({ length: 12 }, (_, i) => `org.example.DesktopApp${i + 1}`),
    );
    const r = await product.call('clipboard_read');
    assert.equal(r.isError, undefined, textOf(r));
    assert.deepEqual(nodeWarnings(product), []);
  });
});

function nodeWarnings(product: Product): string[] {
  return product
    .stderr()
    .split('\n')
    .filter((l) => /Warning/.test(l) && !l.startsWith('{'));
}

describe(
  'clipboard tools when GPaste is installed but not running (activatable)',
  { skip: skipFor(missingGPaste) },
  () => {
    let desk: Desktop;
    let display: string;

    before(async () => {
      desk = await createDesktop('gpaste-activatable');
      ({ display } = await startXvfb(desk));
      await startGPaste(desk, display, 'activatable');
    });

    test('a generic read does not start it: get_all_properties leaves GPaste stopped', async () => {
      const high = await startProduct(desk, { level: 'high', label: 'reads' });
      const r = await high.call('get_all_properties', {
        service: GPASTE,
        path: '/org/gnome/GPaste',
        interface: 'org.gnome.GPaste2',
      });
      assert.equal(r.isError, true);
      assert.equal(await hasName(desk.session, GPASTE), false, `started by a read: ${textOf(r)}`);
      await high.close();
    });

    test('issue 15 point 1: at high the policy refuses clipboard_read and GPaste is not started', async () => {
      const high = await startProduct(desk, { level: 'high', label: 'high' });
      const r = await high.call('clipboard_read');
      assert.equal(errorName(r), 'dbus-mcp.POLICY_DENIED', textOf(r));
      assert.equal(await hasName(desk.session, GPASTE), false, 'a refused task tool started GPaste');
      await high.close();
    });

    test('issue 15 point 1: at medium clipboard_write starts GPaste, writes, and says it started it', async () => {
      const product = await startProduct(desk, { level: 'medium', label: 'medium' });
      const text = 'written through an activated GPaste';
      const r = await product.call('clipboard_write', { text });
      assert.equal(r.isError, undefined, textOf(r));
      assert.equal(r.structuredContent?.provider, 'gpaste');
      assert.match(textOf(r), /started/i);
      assert.match(textOf(r), /org\.gnome\.GPaste/);
      assert.equal(await hasName(desk.session, GPASTE), true);
      await clipboardShows(desk, display, text);
      const read = await product.call('clipboard_read');
      assert.equal(read.structuredContent?.text, text);
      await product.close();
    });
  },
);

describe('clipboard tools against KDE Klipper on Xvfb', { skip: skipFor(missingKlipper) }, () => {
  let desk: Desktop;
  let display: string;
  let product: Product;

  before(async () => {
    desk = await createDesktop('klipper');
    ({ display } = await startXvfb(desk));
    await startKlipper(desk, display);
    product = await startProduct(desk, { level: 'medium' });
  });

  test('an empty Klipper history reads as ""', async () => {
    const r = await product.call('clipboard_read');
    assert.equal(r.isError, undefined, textOf(r));
    assert.deepEqual(
      [r.structuredContent?.text, r.structuredContent?.length, r.structuredContent?.provider],
      ['', 0, 'klipper'],
    );
  });

  test('clipboard_write puts the text on the X clipboard (xclip sees it)', async () => {
    const text = 'Hello Klipper\nline two';
    const r = await product.call('clipboard_write', { text });
    assert.equal(r.isError, undefined, textOf(r));
    assert.equal(r.structuredContent?.provider, 'klipper');
    await clipboardShows(desk, display, text);
  });

  test('clipboard_read returns what another program copied (xclip)', async () => {
    const text = 'xclip put this here';
    await xclip(desk, display).write(text);
    await waitUntil('Klipper to see the copy', async () => {
      const r = await product.call('clipboard_read');
      return r.structuredContent?.text === text;
    });
  });

  test('issue 15 point 5: length counts characters, not UTF-16 code units', async () => {
    const w = await product.call('clipboard_write', { text: MUSIC });
    assert.equal(w.structuredContent?.length, 9, textOf(w));
    await clipboardShows(desk, display, MUSIC);
    const r = await product.call('clipboard_read');
    assert.equal(r.structuredContent?.text, MUSIC);
    assert.equal(r.structuredContent?.length, 9);
  });

  test('issue 15 point 5: clipboard_write "" is refused as on GPaste (Klipper would silently ignore it)', async () => {
    const before = 'kept by Klipper';
    await product.call('clipboard_write', { text: before });
    await clipboardShows(desk, display, before);
    const r = await product.call('clipboard_write', { text: '' });
    assert.equal(r.isError, true, `reported as written: ${textOf(r)}`);
    assert.match(errorName(r) ?? '', /^dbus-mcp\.(USAGE|INVALID_ARGUMENT)$/, textOf(r));
    assert.match(textOf(r), /empty/i);
    assert.equal(await xclipText(desk, display), before);
  });
});

describe(
  'clipboard tools when Klipper is installed but not running (activatable)',
  { skip: skipFor(missingKlipper) },
  () => {
    test('issue 15 point 1: at medium clipboard_read starts Klipper and says it started it', async () => {
      const desk = await createDesktop('klipper-activatable');
      const { display } = await startXvfb(desk);
      await startKlipper(desk, display, 'activatable');
      await xclip(desk, display).write('there before Klipper');
      const product = await startProduct(desk, { level: 'medium' });
      const r = await product.call('clipboard_read');
      assert.equal(r.isError, undefined, textOf(r));
      assert.equal(r.structuredContent?.provider, 'klipper');
      assert.match(textOf(r), /started/i);
      assert.equal(await hasName(desk.session, KLIPPER), true);
    });
  },
);
