import type { JsonValue } from '../dbus/values/index.js';
import type { BusConnection } from '../dbus/connection.js';
import type { ToolDeps } from './deps.js';
import { busNames, getAll, num, readRequest, str, unavailable } from './desktop-common.js';
import type { OperationContext } from './operations.js';
import { guarded } from './operations.js';

export const MPRIS_PREFIX = 'org.mpris.MediaPlayer2.';
export const MPRIS_PATH = '/org/mpris/MediaPlayer2';
export const PLAYER_IFACE = 'org.mpris.MediaPlayer2.Player';

export interface PlayerState {
  player: string;
  identity?: string;
  status?: string;
  title?: string;
  artist?: string;
  album?: string;
  url?: string;
  length_s?: number;
  position_s?: number;
  volume?: number;
}

/** A value of an MPRIS Metadata entry (variants come back as {signature, value}). */
function meta(m: JsonValue | undefined, key: string): JsonValue | undefined {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return undefined;
  const entry = m[key];
  return entry && typeof entry === 'object' && !Array.isArray(entry) && 'value' in entry
    ? entry.value
    : entry;
}

/** The names of the MPRIS players on the session bus, or SERVICE_UNAVAILABLE when there are none. */
export async function playerNames(
  deps: ToolDeps,
  conn: BusConnection,
  octx: OperationContext,
): Promise<string[]> {
  const { names } = await busNames(deps, conn, octx);
  const players = names.filter((n) => n.startsWith(MPRIS_PREFIX));
  if (players.length === 0) {
    throw unavailable(
      'No media player on the session bus (no org.mpris.MediaPlayer2.* name)',
      'Start a player that speaks MPRIS (most do: VLC, Spotify, Firefox/Chromium media, mpv with mpv-mpris).',
    );
  }
  return players;
}

/** One player's playback state, read through the policy. */
export async function playerState(
  deps: ToolDeps,
  player: string,
  octx: OperationContext,
): Promise<PlayerState> {
  return guarded(deps, readRequest('session', player, MPRIS_PATH, PLAYER_IFACE), octx, async (_a, conn) => {
    const [p, root] = await Promise.all([
      getAll(deps, conn, { destination: player, path: MPRIS_PATH, interface: PLAYER_IFACE }, octx),
      getAll(
        deps,
        conn,
        { destination: player, path: MPRIS_PATH, interface: 'org.mpris.MediaPlayer2' },
        octx,
      ).catch(() => ({}) as Record<string, JsonValue>),
    ]);
    const artist = meta(p.Metadata, 'xesam:artist');
    const length = num(meta(p.Metadata, 'mpris:length'));
    const position = num(p.Position);
    const state: PlayerState = { player };
    const set = <K extends keyof PlayerState>(k: K, v: PlayerState[K] | undefined) => {
      if (v !== undefined) state[k] = v;
    };
    set('identity', str(root.Identity));
    set('status', str(p.PlaybackStatus));
    set('title', str(meta(p.Metadata, 'xesam:title')));
    set(
      'artist',
      Array.isArray(artist) ? artist.filter((a) => typeof a === 'string').join(', ') : str(artist),
    );
    set('album', str(meta(p.Metadata, 'xesam:album')));
    set('url', str(meta(p.Metadata, 'xesam:url')));
    set('length_s', length !== undefined ? length / 1e6 : undefined);
    set('position_s', position !== undefined ? position / 1e6 : undefined);
    set('volume', typeof p.Volume === 'number' ? p.Volume : undefined);
    return state;
  });
}

/** `vlc` → `org.mpris.MediaPlayer2.vlc`; full names pass unchanged. */
export function playerName(given: string): string {
  return given.startsWith(MPRIS_PREFIX) || given.startsWith(':') ? given : `${MPRIS_PREFIX}${given}`;
}
