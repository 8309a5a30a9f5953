import type { JsonValue } from '../dbus/values/index.js';
import { MPRIS } from '../dbus/well-known.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import { readProperties } from '../queries/properties.js';
import { num, str, unavailable } from './common.js';

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
export async function playerNames(gate: Gate, octx: OperationContext): Promise<string[]> {
  const names = await gate.driver.listNames('session', octx);
  const players = names.filter((n) => n.startsWith(MPRIS.prefix)).sort();
  if (players.length === 0) {
    throw unavailable(
      'No media player on the session bus (no org.mpris.MediaPlayer2.* name)',
      'Start a player that speaks MPRIS (most do: VLC, Spotify, Firefox/Chromium media, mpv with mpv-mpris).',
    );
  }
  return players;
}

/** One player's playback state: its Player and root properties, each read through the gate. */
export async function playerState(gate: Gate, player: string, octx: OperationContext): Promise<PlayerState> {
  const object = { bus: 'session' as const, destination: player, path: MPRIS.path };
  const [p, root] = await Promise.all([
    readProperties(gate, { ...object, interface: MPRIS.player }, octx),
    readProperties(gate, { ...object, interface: MPRIS.root }, octx).catch(
      () => ({}) as Record<string, JsonValue>,
    ),
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
  set('artist', Array.isArray(artist) ? artist.filter((a) => typeof a === 'string').join(', ') : str(artist));
  set('album', str(meta(p.Metadata, 'xesam:album')));
  set('url', str(meta(p.Metadata, 'xesam:url')));
  set('length_s', length !== undefined ? length / 1e6 : undefined);
  set('position_s', position !== undefined ? position / 1e6 : undefined);
  set('volume', typeof p.Volume === 'number' ? p.Volume : undefined);
  return state;
}

/** `vlc` → `org.mpris.MediaPlayer2.vlc`; full names pass unchanged. */
export function playerName(given: string): string {
  return given.startsWith(MPRIS.prefix) || given.startsWith(':') ? given : `${MPRIS.prefix}${given}`;
}
