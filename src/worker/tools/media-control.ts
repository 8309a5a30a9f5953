import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { MPRIS } from '../dbus/well-known.js';
import { isServiceMissing, taskRequest, unavailable } from '../desktop/common.js';
import type { PlayerState } from '../desktop/media-players.js';
import { playerName, playerNames, playerState } from '../desktop/media-players.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';
import type { OperationRequest } from '../policy/index.js';

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

export function registerMediaControl(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
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
        const names = await playerNames(deps.gate, octx);
        if (action === 'list') {
          const players = await Promise.all(
            names.map((n) => playerState(deps.gate, n, octx).catch(() => ({ player: n }))),
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
            names.map((n) => playerState(deps.gate, n, octx).catch(() => undefined)),
          );
          target = states.find((s) => s?.status === 'Playing')?.player ?? (names[0] as string);
        }
        if (action !== 'now_playing') {
          const base = { destination: target, path: MPRIS.path, interface: MPRIS.player };
          const needValue = (what: string) => {
            if (value === undefined) {
              throw new AppError('INVALID_ARGUMENT', `action ${action} needs value (${what})`);
            }
            return value;
          };
          let req: OperationRequest;
          if (action === 'seek') {
            // Microseconds as a decimal string: the whole int64 range, exactly.
            const us = String(Math.round(needValue('seconds, relative') * 1e6));
            req = taskRequest('session', { ...base, member: 'Seek' }, 'media', {
              signature: 'x',
              args: [us],
            });
          } else if (action === 'volume') {
            const v = needValue('0.0 to 1.0');
            if (v < 0 || v > 1) {
              throw new AppError('INVALID_ARGUMENT', `volume must be between 0.0 and 1.0, got ${v}`);
            }
            // A property write of Volume (d), sent as Properties.Set.
            req = taskRequest('session', { ...base, member: 'Volume' }, 'media', {
              access: 'set',
              signature: 'd',
              args: [v],
            });
          } else {
            req = taskRequest('session', { ...base, member: METHODS[action] as string }, 'media');
          }
          await deps.gate.run(req, octx, async (op) => {
            try {
              return await op.call();
            } catch (e) {
              if (isServiceMissing(e))
                throw unavailable(`The media player ${target} went away`, 'Call media_control list.', e);
              throw e;
            }
          });
        }
        const now_playing: PlayerState = await playerState(deps.gate, target, octx);
        return dataResult({ action, player: target, now_playing });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
