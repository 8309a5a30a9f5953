import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MockService } from '../buses.js';
import { rawCall, startMock } from '../buses.js';
import type { Proc } from './procs.js';
import { startProcess, waitUntil } from './procs.js';
import type { Desktop } from './session.js';
import { waitForName } from './session.js';

/**
 * Wayland desktops for the screenshot tests: headless sway (wlroots, pixman renderer) with
 * pipewire and the portal stack (xdg-desktop-portal + -wlr + -gtk), and GNOME Shell headless
 * with xdg-desktop-portal-gnome. The portal frontend can be started, or only installed as
 * D-Bus activatable as on a fresh login.
 */

export const PORTAL = 'org.freedesktop.portal.Desktop';
export const PORTAL_PATH = '/org/freedesktop/portal/desktop';
const PORTALS_SHIPPED = '/usr/share/xdg-desktop-portal/portals';
const LIBEXEC = '/usr/libexec';

export interface Sway {
  proc: Proc;
  /** WAYLAND_DISPLAY (a socket name in the session's runtime dir). */
  display: string;
  width: number;
  height: number;
  /** The image shown as the output's background (centred, same size: shown pixel for pixel). */
  background: string;
}

/** Headless sway as the desktop user; its one output shows `background` (a PNG of width×height). */
export async function startSway(
  desk: Desktop,
  opts: { width: number; height: number; background: string },
): Promise<Sway> {
  const config = join(desk.dir, 'sway.conf');
  // No bar, no cursor image over the background, the background shown unscaled.
  writeFileSync(
    config,
    [
      `output HEADLESS-1 mode ${opts.width}x${opts.height} position 0 0 scale 1 bg ${opts.background} center #000000`,
      'seat * hide_cursor 1',
      'default_border none',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const before = new Set(readdirSync(desk.runtimeDir));
  const proc = startProcess('sway', 'sway', ['-c', config], {
    env: desk.env({ WLR_BACKENDS: 'headless', WLR_LIBINPUT_NO_DEVICES: '1', WLR_RENDERER: 'pixman' }),
    user: desk.user,
  });
  const display = await waitUntil(
    'sway to open its Wayland socket',
    () => readdirSync(desk.runtimeDir).find((n) => /^wayland-\d+$/.test(n) && !before.has(n)),
    { proc },
  );
  return { proc, display, width: opts.width, height: opts.height, background: opts.background };
}

/** pipewire as the desktop user (xdg-desktop-portal-wlr exits without it). */
export async function startPipewire(desk: Desktop): Promise<Proc> {
  const proc = startProcess('pipewire', 'pipewire', [], { env: desk.env(), user: desk.user });
  await waitUntil('pipewire to open its socket', () => existsSync(join(desk.runtimeDir, 'pipewire-0')), {
    proc,
  });
  return proc;
}

export type PortalBackend = 'wlr' | 'gtk' | 'gnome' | 'gnome-shell';

const BACKEND_NAMES: Record<PortalBackend, { name: string; exec: string } | undefined> = {
  wlr: { name: 'org.freedesktop.impl.portal.desktop.wlr', exec: `${LIBEXEC}/xdg-desktop-portal-wlr` },
  gtk: { name: 'org.freedesktop.impl.portal.desktop.gtk', exec: `${LIBEXEC}/xdg-desktop-portal-gtk` },
  gnome: { name: 'org.freedesktop.impl.portal.desktop.gnome', exec: `${LIBEXEC}/xdg-desktop-portal-gnome` },
  // gnome-shell.portal is GNOME Shell itself (org.gnome.Shell.Portal): nothing to activate.
  'gnome-shell': undefined,
};

export interface PortalStack {
  /** The directory XDG_DESKTOP_PORTAL_DIR points at (copies of the chosen `.portal` files). */
  portalDir: string;
  /** The frontend, when started (mode 'running'); activatable otherwise. */
  frontend?: Proc;
  /** The frontend's bus name (in 'activatable' mode nothing owns it until someone asks for it). */
  frontendName: string;
}

export interface PortalOptions {
  desktop: 'sway' | 'GNOME';
  waylandDisplay: string;
  backends: PortalBackend[];
  /** 'running': the frontend is started now; 'activatable': only installed. */
  mode: 'running' | 'activatable';
  /** Extra environment of the backends (e.g. PATH without grim). */
  backendEnv?: Record<string, string>;
  /** Backends whose `.portal` file is there but whose program is not (not activatable). */
  uninstalled?: PortalBackend[];
}

/**
 * The portal stack of one desktop. The backends (`backends`, less `uninstalled`) are started
 * and waited for until they answer; the permission store is activatable; the frontend is started
 * ('running') or only installed as activatable ('activatable', as on a fresh login), with
 * XDG_DESKTOP_PORTAL_DIR pointing at copies of the chosen `.portal` files. WAYLAND_DISPLAY and
 * XDG_CURRENT_DESKTOP go to the bus's activation environment, as a session start script does.
 *
 * The backends are started rather than activated by the frontend because xdg-desktop-portal 1.16
 * hangs 25 s (a D-Bus timeout) in about one start in three when it activates
 * xdg-desktop-portal-wlr itself: its first call reaches the backend before the backend answers.
 */
export async function installPortal(desk: Desktop, opts: PortalOptions): Promise<PortalStack> {
  const portalDir = join(desk.dir, `portals-${opts.backends.join('-')}`);
  mkdirSync(portalDir, { recursive: true });
  for (const b of opts.backends)
    copyFileSync(join(PORTALS_SHIPPED, `${b}.portal`), join(portalDir, `${b}.portal`));
  const vars = { WAYLAND_DISPLAY: opts.waylandDisplay, XDG_CURRENT_DESKTOP: opts.desktop };
  await desk.updateActivationEnvironment(vars);
  await desk.installService('org.freedesktop.impl.portal.PermissionStore', [
    `${LIBEXEC}/xdg-permission-store`,
  ]);
  for (const b of opts.backends) {
    const spec = BACKEND_NAMES[b];
    if (!spec || opts.uninstalled?.includes(b)) continue;
    const proc = startProcess(spec.name, spec.exec, [], {
      env: desk.env({ ...vars, ...opts.backendEnv }),
      user: desk.user,
    });
    await waitForName(desk.session, spec.name, proc);
    // Answering a call is what "ready" means to the frontend.
    await rawCall(desk.session, spec.name, PORTAL_PATH, 'org.freedesktop.DBus.Peer', 'Ping');
  }
  const frontendEnv = { ...vars, XDG_DESKTOP_PORTAL_DIR: portalDir };
  await desk.installService(PORTAL, [`${LIBEXEC}/xdg-desktop-portal`], frontendEnv);
  if (opts.mode === 'activatable') return { portalDir, frontendName: PORTAL };
  const frontend = startProcess('xdg-desktop-portal', `${LIBEXEC}/xdg-desktop-portal`, ['--verbose'], {
    env: desk.env(frontendEnv),
    user: desk.user,
  });
  await waitForName(desk.session, PORTAL, frontend).catch((e: Error) => {
    // Activated services write to the bus daemon's output.
    throw new Error(`${e.message}\nsession bus (activated services):\n${desk.session.proc.output()}`);
  });
  return { portalDir, frontend, frontendName: PORTAL };
}

/** PermissionStore.SetPermission(table, create, id, app, perms): what clicking "Allow" stores. */
export async function storePermission(
  desk: Desktop,
  table: string,
  id: string,
  app: string,
  perms: string[],
): Promise<void> {
  await rawCall(
    desk.session,
    'org.freedesktop.impl.portal.PermissionStore',
    '/org/freedesktop/impl/portal/PermissionStore',
    'org.freedesktop.impl.portal.PermissionStore',
    'SetPermission',
    'sbssas',
    [table, true, id, app, perms],
  );
}

export interface GnomeShell {
  proc: Proc;
  display: string;
  logind: MockService;
}

/**
 * GNOME Shell 43 headless on a virtual monitor, as the desktop user, with GSETTINGS_BACKEND=memory
 * (no dconf) and its caches in the session's home. It needs a system bus with logind (a
 * python3-dbusmock logind here); it owns org.gnome.Shell.Screenshot once it is up.
 */
export async function startGnomeShell(
  desk: Desktop,
  opts: { width: number; height: number },
): Promise<GnomeShell> {
  const system = await desk.startSystemBus();
  const logind = await startMock(system, ['--template', 'logind', '--system']);
  const before = new Set(readdirSync(desk.runtimeDir));
  const proc = startProcess(
    'gnome-shell',
    'gnome-shell',
    ['--headless', '--wayland', '--no-x11', '--virtual-monitor', `${opts.width}x${opts.height}`],
    { env: desk.env({ GSETTINGS_BACKEND: 'memory', XDG_SESSION_TYPE: 'wayland' }), user: desk.user },
  );
  await waitForName(desk.session, 'org.gnome.Shell.Screenshot', proc, 60_000);
  const display = readdirSync(desk.runtimeDir).find((n) => /^wayland-\d+$/.test(n) && !before.has(n));
  if (!display) throw new Error(`gnome-shell opened no Wayland socket:\n${proc.output()}`);
  return { proc, display, logind };
}
