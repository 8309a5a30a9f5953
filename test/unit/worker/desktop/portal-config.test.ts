import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  IMPL_ACCESS,
  IMPL_SCREENSHOT,
  backendFor,
  backendPackage,
  currentDesktops,
  expectedScreenshotPackage,
  readPortalBackends,
} from '../../../../src/worker/desktop/portal-config.js';
import { trackDir } from '../../../helpers/cleanup.js';

/** The .portal files Debian 12 ships (xdg-desktop-portal-gnome, -gtk, -wlr, gnome-shell) and KDE's. */
const PORTALS: Record<string, string> = {
  'gnome.portal':
    '[portal]\nDBusName=org.freedesktop.impl.portal.desktop.gnome\nInterfaces=org.freedesktop.impl.portal.Screenshot;org.freedesktop.impl.portal.ScreenCast;\nUseIn=gnome\n',
  'gnome-shell.portal':
    '[portal]\nDBusName=org.gnome.Shell.Portal\nInterfaces=org.freedesktop.impl.portal.Access\nUseIn=gnome\n',
  'gtk.portal':
    '[portal]\nDBusName=org.freedesktop.impl.portal.desktop.gtk\nInterfaces=org.freedesktop.impl.portal.FileChooser;org.freedesktop.impl.portal.Access;\nUseIn=gnome\n',
  'kde.portal':
    '[portal]\nDBusName=org.freedesktop.impl.portal.desktop.kde\nInterfaces=org.freedesktop.impl.portal.Screenshot;org.freedesktop.impl.portal.Access;\nUseIn=KDE\n',
  'wlr.portal':
    '[portal]\nDBusName=org.freedesktop.impl.portal.desktop.wlr\nInterfaces=org.freedesktop.impl.portal.Screenshot;org.freedesktop.impl.portal.ScreenCast;\nUseIn=wlroots;sway;Wayfire;river;phosh;Hyprland;\n',
  'broken.portal': '[portal]\nInterfaces=org.freedesktop.impl.portal.Screenshot;\n',
};

function portalDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbus-mcp-portals-'));
  trackDir(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'README'), 'not a .portal file');
  return dir;
}

test('the .portal files are read from XDG_DESKTOP_PORTAL_DIR, sorted, a file without DBusName skipped', async () => {
  const backends = await readPortalBackends({ XDG_DESKTOP_PORTAL_DIR: portalDir(PORTALS) });
  assert.deepEqual(
    backends.map((b) => b.id),
    ['gnome-shell', 'gnome', 'gtk', 'kde', 'wlr'],
  );
  assert.deepEqual(backends.find((b) => b.id === 'kde')?.useIn, ['kde']);
  assert.deepEqual(await readPortalBackends({ XDG_DESKTOP_PORTAL_DIR: '/nonexistent' }), []);
});

test('each desktop gets the backend the portal frontend would pick, by UseIn, then gtk', async () => {
  const backends = await readPortalBackends({ XDG_DESKTOP_PORTAL_DIR: portalDir(PORTALS) });
  const pick = (desktop: string, iface: string) =>
    backendFor(backends, currentDesktops({ XDG_CURRENT_DESKTOP: desktop }), iface)?.id;
  assert.equal(pick('sway', IMPL_SCREENSHOT), 'wlr');
  assert.equal(pick('Hyprland', IMPL_SCREENSHOT), 'wlr');
  assert.equal(pick('GNOME', IMPL_SCREENSHOT), 'gnome');
  assert.equal(pick('ubuntu:GNOME', IMPL_SCREENSHOT), 'gnome');
  assert.equal(pick('KDE', IMPL_SCREENSHOT), 'kde');
  assert.equal(pick('GNOME', IMPL_ACCESS), 'gnome-shell');
  // No Access backend for sway: the frontend falls back to gtk.
  assert.equal(pick('sway', IMPL_ACCESS), 'gtk');
  assert.equal(pick('', IMPL_ACCESS), 'gtk');
});

test('the package that ships a backend, and the one a desktop needs when none is installed', () => {
  assert.equal(backendPackage('wlr'), 'xdg-desktop-portal-wlr');
  assert.equal(backendPackage('gnome'), 'xdg-desktop-portal-gnome');
  assert.equal(backendPackage('kde'), 'xdg-desktop-portal-kde');
  assert.equal(backendPackage('gnome-shell'), 'gnome-shell');
  assert.equal(
    expectedScreenshotPackage(currentDesktops({ XDG_CURRENT_DESKTOP: 'sway' })),
    'xdg-desktop-portal-wlr',
  );
  assert.equal(
    expectedScreenshotPackage(currentDesktops({ XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' })),
    'xdg-desktop-portal-gnome',
  );
  assert.equal(
    expectedScreenshotPackage(currentDesktops({ XDG_CURRENT_DESKTOP: 'KDE' })),
    'xdg-desktop-portal-kde',
  );
  assert.equal(expectedScreenshotPackage([]), undefined);
});
