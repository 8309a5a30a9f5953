import type { McpServer } from '@modelcontextprotocol/server';
import { Variant } from 'dbus-next';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { ToolDeps } from './deps.js';
import { PROPERTIES, isServiceMissing, taskRequest, unavailable } from './desktop-common.js';
import type { PlayerState } from './media-players.js';
import { MPRIS_PATH, PLAYER_IFACE, playerName, playerNames, playerState } from './media-players.js';
import { guarded, operationContext, queuedCall } from './operations.js';
import { dataResult, errorResult } from './result.js';

const ACTIONS = [
  'list',
  'now_playing',
  'play',
  'pause',
  'play_pause',
  'next',
  'previous',
  'stop',
  'seek',
  'volume',
] as const;
const METHODS: Record<string, string> = {
  play: 'Play',
  pause: 'Pause',
  play_pause: 'PlayPause',
  next: 'Next',
  previous: 'Previous',
  stop: 'Stop',
};

const playerSchema = z.object({
  player: z.string(),
  identity: z.string().optional(),
  status: z.string().optional().describe('Playing, Paused or Stopped.'),
  title: z.string().optional(),
  artist: z.string().optional(),
  album: z.string().optional(),
  url: z.string().optional(),
  length_s: z.number().optional(),
  position_s: z.number().optional(),
  volume: z.number().optional(),
});
const output = z.object({
  action: z.enum(ACTIONS),
  player: z.string().optional().describe('The player acted on.'),
  players: z.array(playerSchema).optional().describe('All players (action list).'),
  now_playing: playerSchema.optional().describe('The player state after the action.'),
});

const input = z.object({
  action: z.enum(ACTIONS),
  player: z.string().min(1).optional().describe('e.g. org.mpris.MediaPlayer2.vlc or vlc.'),
  value: z.number().finite().optional().describe('seek: seconds (relative); volume: 0.0–1.0.'),
});

export function registerMediaControl(server: McpServer, deps: ToolDeps) {
  server.registerTool(
    'media_control',
    {
      title: 'Control media players',
      description:
        'Control MPRIS media players (music, video, browser media). action: list (all players with what they ' +
        'play), now_playing, play, pause, play_pause, next, previous, stop, seek (value = seconds relative to ' +
        'now, negative goes back), volume (value 0.0–1.0). player: its bus name or the part after ' +
        'org.mpris.MediaPlayer2. (e.g. "vlc"); default: the first one playing, else the first found. ' +
        'Allowed at every safety level.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    async ({ action, player, value }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const conn = deps.buses.get('session');
        const names = await playerNames(deps, conn, octx);
        if (action === 'list') {
          const players = await Promise.all(
            names.map((n) => playerState(deps, n, octx).catch(() => ({ player: n }))),
          );
          return dataResult({ action, players });
        }
        let target: string;
        if (player !== undefined) {
          target = playerName(player);
          if (!target.startsWith(':') && !names.includes(target)) {
            throw unavailable(
              `No media player ${target} on the session bus`,
              `Players present: ${names.join(', ')}.`,
            );
          }
        } else {
          const states = await Promise.all(
            names.map((n) => playerState(deps, n, octx).catch(() => undefined)),
          );
          target = states.find((s) => s?.status === 'Playing')?.player ?? (names[0] as string);
        }
        if (action !== 'now_playing') {
          const base = { destination: target, path: MPRIS_PATH, interface: PLAYER_IFACE };
          const needValue = (what: string) => {
            if (value === undefined) throw new AppError('USAGE', `action ${action} needs value (${what})`);
            return value;
          };
          let call;
          let req;
          if (action === 'seek') {
            const us = BigInt(Math.round(needValue('seconds, relative') * 1e6));
            req = taskRequest('session', { ...base, member: 'Seek' }, 'media', [String(us)]);
            call = { ...base, member: 'Seek', signature: 'x', body: [us] };
          } else if (action === 'volume') {
            const v = needValue('0.0 to 1.0');
            if (v < 0 || v > 1) throw new AppError('USAGE', `volume must be between 0.0 and 1.0, got ${v}`);
            req = taskRequest('session', { ...base, member: 'Volume' }, 'media', [v], 'set');
            call = {
              ...base,
              interface: PROPERTIES,
              member: 'Set',
              signature: 'ssv',
              body: [PLAYER_IFACE, 'Volume', new Variant('d', v)],
            };
          } else {
            const member = METHODS[action] as string;
            req = taskRequest('session', { ...base, member }, 'media');
            call = { ...base, member };
          }
          await guarded(deps, req, octx, async (_a, c) => {
            try {
              return await queuedCall(deps, c, { ...call, noAutoStart: true }, octx);
            } catch (e) {
              if (isServiceMissing(e))
                throw unavailable(`The media player ${target} went away`, 'Call media_control list.', e);
              throw e;
            }
          });
        }
        const now_playing: PlayerState = await playerState(deps, target, octx);
        return dataResult({ action, player: target, now_playing });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
