import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { rawCall } from '../helpers/buses.js';
import { decodePng } from '../helpers/desktop/png.js';
import { onPath } from '../helpers/desktop/procs.js';
import type { Product } from '../helpers/desktop/product.js';
import { startProduct, textOf } from '../helpers/desktop/product.js';
import type { Desktop } from '../helpers/desktop/session.js';
import { createDesktop, hasName } from '../helpers/desktop/session.js';
import type { GnomeShell, PortalStack } from '../helpers/desktop/wayland.js';
import { PORTAL, installPortal, startGnomeShell, storePermission } from '../helpers/desktop/wayland.js';

/**
 * The screenshot tools on GNOME: GNOME Shell 43 headless (mutter, a 1024×768 virtual monitor) as
 * the desktop user, with xdg-desktop-portal and xdg-desktop-portal-gnome. GNOME Shell refuses its
 * own org.gnome.Shell.Screenshot API to callers it has not allowlisted, and the portal asks the
 * human once ("Allow Applications to Take Screenshots?") before the first screenshot. The product
 * is the built program at medium, driven by an SDK client.
 */

const missing = [
  ...['gnome-shell'].filter((c) => !onPath(c)),
  ...['xdg-desktop-portal', 'xdg-desktop-portal-gnome', 'xdg-permission-store'].filter(
    (p) => !existsSync(`/usr/libexec/${p}`),
  ),
];
const skip =
  missing.length > 0 ? `not installed: ${missing.join(', ')} (scripts/test.sh installs them as root)` : false;

const SHELL_SCREENSHOT = 'org.gnome.Shell.Screenshot';
/** What an MCP client usually waits for a tool call (the SDK's default request timeout). */
const CLIENT_TIMEOUT_MS = 60_000;

/** Screenshot files xdg-desktop-portal-gnome wrote into the user's home (it has no Pictures dir). */
function portalCopies(desk: Desktop): string[] {
  return readdirSync(desk.home).filter((n) => /^Screenshot.*\.png$/.test(n));
}

describe('the screenshot tools on GNOME Shell 43 with xdg-desktop-portal-gnome', { skip }, () => {
  let desk: Desktop;
  let shell: GnomeShell;
  let portal: PortalStack;
  let product: Product;

  before(async () => {
    desk = await createDesktop('gnome');
    shell = await startGnomeShell(desk, { width: 1024, height: 768 });
    portal = await installPortal(desk, {
      desktop: 'GNOME',
      waylandDisplay: shell.display,
      backends: ['gnome', 'gnome-shell', 'gtk'],
      backendEnv: { GSETTINGS_BACKEND: 'memory' },
      mode: 'running',
    });
    product = await startProduct(desk, {
      level: 'medium',
      env: { WAYLAND_DISPLAY: shell.display, XDG_CURRENT_DESKTOP: 'GNOME' },
    });
  });

  test('GNOME Shell refuses org.gnome.Shell.Screenshot to a caller it has not allowlisted', async () => {
    const call = (member: string, signature: string, body: unknown[]) =>
      rawCall(
        desk.session,
        SHELL_SCREENSHOT,
        '/org/gnome/Shell/Screenshot',
        SHELL_SCREENSHOT,
        member,
        signature,
        body,
      );
    await assert.rejects(
      call('Screenshot', 'bbs', [false, false, `${desk.home}/x.png`]),
      /Screenshot is not allowed/,
    );
    await assert.rejects(
      call('ScreenshotWindow', 'bbbs', [true, false, false, `${desk.home}/x.png`]),
      /ScreenshotWindow is not allowed/,
    );
  });

  test("issue 15 point 3: before the human has answered the consent dialog, the answer comes within the client's timeout, with progress, and says a dialog is waiting", async () => {
    const progress: string[] = [];
    let r;
    try {
      r = await product.call(
        'capture_screen',
        {},
        {
          timeout: CLIENT_TIMEOUT_MS,
          onprogress: (p) => progress.push(p.message ?? String(p.progress)),
        },
      );
    } catch (e) {
      assert.fail(`no answer within the client's ${CLIENT_TIMEOUT_MS} ms: ${String(e)}`);
    }
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /dialog/i);
    assert.match(textOf(r), /human|user/i);
    assert.ok(progress.length > 0, 'progress was reported while waiting');
  });

  test('after consent (stored as a click on Allow would), capture_screen returns the screen through the portal', async () => {
    await storePermission(desk, 'screenshot', 'screenshot', '', ['yes']);
    const r = await product.call('capture_screen');
    assert.equal(r.isError, undefined, textOf(r));
    assert.equal(r.structuredContent?.provider, 'portal');
    const img = r.content.find((c) => c.type === 'image');
    assert.ok(img && img.type === 'image');
    const shot = decodePng(Buffer.from(img.data, 'base64'));
    assert.deepEqual([shot.width, shot.height], [1024, 768]);
    // What the product saved is what the portal handed over.
    assert.deepEqual(readFileSync(String(r.structuredContent?.path)), Buffer.from(img.data, 'base64'));
    const source = r.structuredContent?.source_uri;
    if (typeof source === 'string' && existsSync(fileURLToPath(source)))
      assert.deepEqual(readFileSync(fileURLToPath(source)), Buffer.from(img.data, 'base64'));
  });

  test("issue 15 point 8: the portal's own copy in the user's home is not left behind", async () => {
    const before = portalCopies(desk);
    const r = await product.call('capture_screen');
    assert.equal(r.isError, undefined, textOf(r));
    assert.deepEqual(portalCopies(desk), before);
  });

  test('issue 15 point 2: capture_active_window explains that GNOME Shell refuses it and names the portal', async () => {
    const r = await product.call('capture_active_window');
    assert.equal(r.isError, true);
    const text = textOf(r);
    assert.match(text, /GNOME Shell/);
    assert.match(text, /allowlist|not allowed/i);
    assert.match(text, /portal/);
    assert.match(text, /capture_screen/);
  });

  test('issue 15 points 2 and 4: discover offers screenshots through the portal, not through GNOME Shell', async () => {
    const r = await product.call('discover');
    const caps = (
      r.structuredContent as { capabilities: { capability: string; services: { name: string }[] }[] }
    ).capabilities;
    const names = caps.find((c) => c.capability === 'screenshots')?.services.map((s) => s.name) ?? [];
    assert.ok(names.includes(PORTAL), JSON.stringify(names));
    assert.ok(!names.includes(SHELL_SCREENSHOT), JSON.stringify(names));
  });

  test('issue 15 points 1 and 2: with the portal only activatable, capture_screen starts it rather than use GNOME Shell', async () => {
    await portal.frontend?.stop();
    assert.equal(await hasName(desk.session, PORTAL), false);
    const r = await product.call('capture_screen');
    assert.equal(r.isError, undefined, textOf(r));
    assert.equal(r.structuredContent?.provider, 'portal');
    assert.equal(await hasName(desk.session, PORTAL), true);
  });
});
