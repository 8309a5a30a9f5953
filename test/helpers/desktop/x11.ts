import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Proc, RunResult } from './procs.js';
import { mustRun, runTool, startProcess, userDir, waitUntil } from './procs.js';
import type { Desktop } from './session.js';
import { waitForName } from './session.js';

/**
 * X11 services for the notification and clipboard tests: Xvfb, dunst (with a rule whose script
 * records every notification it shows), GPaste and KDE Klipper (running or D-Bus activatable),
 * and xclip as the X clipboard's own client.
 */

export interface Xvfb {
  proc: Proc;
  display: string;
}

/**
 * Xvfb as the desktop user on a display it picks itself (-displayfd: the first free number,
 * written once it listens, so parallel runs never race for one).
 */
export async function startXvfb(desk: Desktop): Promise<Xvfb> {
  const proc = startProcess(
    'Xvfb',
    'Xvfb',
    ['-displayfd', '1', '-nolisten', 'tcp', '-screen', '0', '640x480x24'],
    { env: desk.env(), user: desk.user },
  );
  const display = await waitUntil(
    'Xvfb to pick a display',
    () => {
      const n = /^(\d+)\n/.exec(proc.stdout())?.[1];
      return n !== undefined && existsSync(`/tmp/.X11-unix/X${n}`) ? `:${n}` : undefined;
    },
    { proc },
  );
  return { proc, display };
}

export const NOTIFICATIONS = 'org.freedesktop.Notifications';

export interface Shown {
  app: string;
  summary: string;
  body: string;
  urgency: string;
}

export interface Dunst {
  proc?: Proc;
  /** What dunst's rule script recorded for notification `id` (undefined until it ran). */
  shown(id: number): Shown | undefined;
  /** Ids of every notification the script recorded. */
  shownIds(): number[];
  /** Runs `dunstctl ARGS` as the desktop user. */
  ctl(args: string[]): Promise<string>;
}

/**
 * dunst on `display` with a rule for every notification whose script writes the app name,
 * summary, body and urgency dunst received into `shown/<id>/`; the context menu (dmenu) is a
 * script that picks the entry naming `pickLabel`. `mode: 'activatable'` installs dunst as the
 * bus's org.freedesktop.Notifications service instead of starting it.
 */
export async function startDunst(
  desk: Desktop,
  display: string,
  opts: { mode?: 'running' | 'activatable'; pickLabel?: string } = {},
): Promise<Dunst> {
  const base = join(desk.dir, 'dunst');
  userDir(desk.user, base, 0o755);
  const shownDir = userDir(desk.user, join(base, 'shown'), 0o755);
  const record = join(base, 'record.sh');
  writeFileSync(
    record,
    [
      '#!/bin/sh',
      `d=${shownDir}/$DUNST_ID.tmp`,
      'mkdir -p "$d"',
      'printf %s "$DUNST_APP_NAME" > "$d/app"',
      'printf %s "$DUNST_SUMMARY" > "$d/summary"',
      'printf %s "$DUNST_BODY" > "$d/body"',
      'printf %s "$DUNST_URGENCY" > "$d/urgency"',
      `mv "$d" ${shownDir}/$DUNST_ID`,
      '',
    ].join('\n'),
  );
  const pick = join(base, 'pick.sh');
  writeFileSync(pick, `#!/bin/sh\ngrep -m1 -F -- '${opts.pickLabel ?? 'Later'}'\n`);
  for (const f of [record, pick]) chmodSync(f, 0o755);
  const conf = join(base, 'dunstrc');
  writeFileSync(
    conf,
    ['[global]', `    dmenu = ${pick}`, '[record]', '    summary = "*"', `    script = ${record}`, ''].join(
      '\n',
    ),
  );
  chmodSync(conf, 0o644);
  let proc: Proc | undefined;
  if (opts.mode === 'activatable') {
    await desk.installService(NOTIFICATIONS, ['/usr/bin/dunst', '-conf', conf], { DISPLAY: display });
  } else {
    proc = startProcess('dunst', 'dunst', ['-conf', conf], {
      env: desk.env({ DISPLAY: display }),
      user: desk.user,
    });
    await waitForName(desk.session, NOTIFICATIONS, proc);
  }
  const read = (id: number, f: string) => readFileSync(join(shownDir, String(id), f), 'utf8');
  return {
    proc,
    shown(id) {
      if (!existsSync(join(shownDir, String(id)))) return undefined;
      return {
        app: read(id, 'app'),
        summary: read(id, 'summary'),
        body: read(id, 'body'),
        urgency: read(id, 'urgency'),
      };
    },
    shownIds: () =>
      readdirSync(shownDir)
        .filter((n) => /^\d+$/.test(n))
        .map(Number),
    ctl: (args) => mustRun('dunstctl', args, { env: desk.env({ DISPLAY: display }), user: desk.user }),
  };
}

export const GPASTE = 'org.gnome.GPaste';
export const KLIPPER = 'org.kde.klipper';

/** GPaste's daemon on `display` (GDK_BACKEND=x11), started or installed as activatable. */
export async function startGPaste(
  desk: Desktop,
  display: string,
  mode: 'running' | 'activatable' = 'running',
): Promise<Proc | undefined> {
  const exec = '/usr/libexec/gpaste/gpaste-daemon';
  const vars = { DISPLAY: display, GDK_BACKEND: 'x11', GSETTINGS_BACKEND: 'memory' };
  if (mode === 'activatable') {
    await desk.installService(GPASTE, [exec], vars);
    return undefined;
  }
  const proc = startProcess('gpaste-daemon', exec, [], { env: desk.env(vars), user: desk.user });
  await waitForName(desk.session, GPASTE, proc);
  return proc;
}

/** KDE Klipper on `display` (Qt on xcb), started or installed as activatable. */
export async function startKlipper(
  desk: Desktop,
  display: string,
  mode: 'running' | 'activatable' = 'running',
): Promise<Proc | undefined> {
  const vars = { DISPLAY: display, QT_QPA_PLATFORM: 'xcb' };
  if (mode === 'activatable') {
    await desk.installService(KLIPPER, ['/usr/bin/klipper'], vars);
    return undefined;
  }
  const proc = startProcess('klipper', 'klipper', [], { env: desk.env(vars), user: desk.user });
  await waitForName(desk.session, KLIPPER, proc);
  return proc;
}

/** The X clipboard through xclip (its own client): read the CLIPBOARD selection, or own it with `text`. */
export function xclip(desk: Desktop, display: string) {
  const env = desk.env({ DISPLAY: display });
  return {
    read: (): Promise<RunResult> =>
      runTool('xclip', ['-selection', 'clipboard', '-o'], { env, user: desk.user, timeoutMs: 5000 }),
    /** xclip forks a child that serves the selection until another client takes it. */
    write: (text: string): Promise<string> =>
      mustRun('xclip', ['-selection', 'clipboard', '-i'], { env, user: desk.user, input: text }),
  };
}

/** gpaste-client ARGS as the desktop user. */
export function gpasteClient(desk: Desktop, display: string, args: string[]): Promise<RunResult> {
  return runTool('gpaste-client', args, { env: desk.env({ DISPLAY: display }), user: desk.user });
}
