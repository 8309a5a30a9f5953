import type { JsonValue } from '../dbus/values/index.js';
import { MPRIS } from '../dbus/well-known.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';
import { readProperties } from '../queries/properties.js';
import { num, str, unavailable } from './common.js';

export interface PlayerState {
  player: string;
  /** Every bus name of this player (one process may own several, e.g. VLC's `vlc` and `vlc.instancePID`). */
  names?: string[];
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

/** One MPRIS player: the process behind one or more `org.mpris.MediaPlayer2.*` names. */
export interface Player {
  /** The name it is reached by: the shortest of its names. */
  name: string;
  names: string[];
  /** The unique connection names owning them (VLC 3 holds its two names on two connections). */
  owners: string[];
}

/** A value of an MPRIS Metadata entry (variants come back as {signature, value}). */
function meta(m: JsonValue | undefined, key: string): JsonValue | undefined {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return undefined;
  const entry = m[key];
  return entry && typeof entry === 'object' && !Array.isArray(entry) && 'value' in entry
    ? entry.value
    : entry;
}

/**
 * The MPRIS players on the session bus, each once with all its names, sorted by name;
 * SERVICE_UNAVAILABLE when there are none. Names are grouped by the process that owns them (its
 * connection when the bus cannot say): VLC 3 owns `org.mpris.MediaPlayer2.vlc` and
 * `…vlc.instancePID` from one process but two connections.
 */
export async function listPlayers(gate: Gate, octx: OperationContext): Promise<Player[]> {
  const names = (await gate.driver.listNames('session', octx)).filter((n) => n.startsWith(MPRIS.prefix));
  const owned = await Promise.all(
    names.map(async (name) => {
      const owner = await gate.driver.getNameOwner('session', name, octx).catch(() => undefined);
      if (!owner) return undefined;
      const pid = await gate.driver.getConnectionUnixProcessID('session', owner, octx).catch(() => undefined);
      return { name, owner, key: pid !== undefined ? `pid ${pid}` : owner };
    }),
  );
  const groups = new Map<string, { names: string[]; owners: Set<string> }>();
  for (const o of owned) {
    if (!o) continue;
    const g = groups.get(o.key) ?? { names: [], owners: new Set<string>() };
    g.names.push(o.name);
    g.owners.add(o.owner);
    groups.set(o.key, g);
  }
  const players = [...groups.values()].map((g) => {
    const sorted = g.names.sort();
    const name = [...sorted].sort((a, b) => a.length - b.length || a.localeCompare(b))[0] as string;
    return { name, names: sorted, owners: [...g.owners].sort() };
  });
  if (players.length === 0) {
    throw unavailable(
      'No media player on the session bus (no org.mpris.MediaPlayer2.* name)',
      'Start a player that speaks MPRIS (most do: VLC, Spotify, Firefox/Chromium media, mpv with mpv-mpris).',
    );
  }
  return players.sort((a, b) => a.name.localeCompare(b.name));
}

/** The player `given` names (any of its bus names, the part after the prefix, or its unique name). */
export function findPlayer(players: readonly Player[], given: string): Player | undefined {
  const full = playerName(given);
  return players.find((p) => p.names.includes(full) || p.owners.includes(given));
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

/** A player's state with all its names. */
export async function describePlayer(gate: Gate, p: Player, octx: OperationContext): Promise<PlayerState> {
  const state = await playerState(gate, p.name, octx).catch((): PlayerState => ({ player: p.name }));
  return { ...state, names: p.names };
}

/** `vlc` → `org.mpris.MediaPlayer2.vlc`; full names pass unchanged. */
export function playerName(given: string): string {
  return given.startsWith(MPRIS.prefix) || given.startsWith(':') ? given : `${MPRIS.prefix}${given}`;
}
