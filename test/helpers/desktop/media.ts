import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Proc, RunResult } from './procs.js';
import { mustRun, runTool, startProcess, userDir, waitUntil } from './procs.js';
import type { Desktop } from './session.js';
import { waitForName } from './session.js';

/**
 * A real MPRIS player for the media tests: VLC 3 (`cvlc --control dbus`) playing a playlist of
 * tagged FLAC tones made with sox, to ALSA's null device, as the desktop user (VLC refuses
 * root); playerctl as the cross-check.
 */

export interface Track {
  path: string;
  url: string;
  title: string;
  artist: string;
  album: string;
  seconds: number;
}

/**
 * `count` tagged tracks of `seconds` each (different tones), made with sox. FLAC, not Ogg Vorbis:
 * VLC 3 seeks sox's Ogg files erratically (positions jump to arbitrary values).
 */
export async function makeTracks(desk: Desktop, count: number, seconds = 180): Promise<Track[]> {
  const dir = userDir(desk.user, join(desk.dir, 'media'), 0o755);
  const tracks: Track[] = [];
  for (let i = 1; i <= count; i++) {
    const t = {
      path: join(dir, `track-${i}.flac`),
      url: `file://${join(dir, `track-${i}.flac`)}`,
      title: `Tone ${i}`,
      artist: 'The Sines',
      album: 'Test Tones',
      seconds,
    };
    const comments = join(dir, `track-${i}.txt`);
    writeFileSync(comments, `TITLE=${t.title}\nARTIST=${t.artist}\nALBUM=${t.album}\n`);
    await mustRun(
      'sox',
      [
        '-n',
        '-r',
        '8000',
        '-c',
        '1',
        '--comment-file',
        comments,
        t.path,
        'synth',
        String(seconds),
        'sine',
        String(200 + 100 * i),
      ],
      { env: process.env, timeoutMs: 60_000 },
    );
    chmodSync(t.path, 0o644);
    tracks.push(t);
  }
  return tracks;
}

export const VLC = 'org.mpris.MediaPlayer2.vlc';

export interface Vlc {
  proc: Proc;
  /** VLC's second name, org.mpris.MediaPlayer2.vlc.instance<pid> (the same process). */
  instanceName: string;
}

/** cvlc playing `tracks` in a loop to ALSA's null device, with its MPRIS interface on the session bus. */
export async function startVlc(desk: Desktop, tracks: Track[]): Promise<Vlc> {
  const proc = startProcess(
    'vlc',
    'cvlc',
    [
      '--aout',
      'alsa',
      '--alsa-audio-device',
      'null',
      '--no-video',
      '--control',
      'dbus',
      '--loop',
      '--no-random',
      ...tracks.map((t) => t.path),
    ],
    { env: desk.env(), user: desk.user },
  );
  await waitForName(desk.session, VLC, proc);
  const instanceName = `${VLC}.instance${proc.pid}`;
  await waitForName(desk.session, instanceName, proc);
  return { proc, instanceName };
}

export interface Playerctl {
  run(args: string[]): Promise<RunResult>;
  /** `playerctl -p vlc ARGS` output, trimmed; throws on a non-zero exit. */
  get(args: string[]): Promise<string>;
  /** `playerctl --list-all`: every player name it sees (without the MPRIS prefix). */
  list(): Promise<string[]>;
  status(): Promise<string>;
  url(): Promise<string>;
  title(): Promise<string>;
  position(): Promise<number>;
  volume(): Promise<number>;
  /** Polls until `probe` of playerctl's view holds (the player applies some commands a little later). */
  until(what: string, probe: () => Promise<boolean>): Promise<void>;
}

/** playerctl for the player `name` (its MPRIS suffix, e.g. `vlc`), as the desktop user. */
export function playerctl(desk: Desktop, name = 'vlc'): Playerctl {
  const run = (args: string[]) =>
    runTool('playerctl', ['-p', name, ...args], { env: desk.env(), user: desk.user });
  const get = async (args: string[]) => {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`playerctl ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  };
  return {
    run,
    get,
    list: async () => {
      const r = await runTool('playerctl', ['--list-all'], { env: desk.env(), user: desk.user });
      return r.stdout.split('\n').filter(Boolean);
    },
    status: () => get(['status']),
    url: () => get(['metadata', 'xesam:url']),
    title: () => get(['metadata', 'title']),
    position: async () => Number(await get(['position'])),
    volume: async () => Number(await get(['volume'])),
    until: async (what, probe) => {
      await waitUntil(`playerctl to show ${what}`, async () => (await probe()) || undefined, { ms: 10_000 });
    },
  };
}
