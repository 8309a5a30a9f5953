import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { unavailable } from '../desktop/common.js';
import type { MediaAction } from '../desktop/media-actions.js';
import { MEDIA_CHANGE_WAIT_MS, performAction } from '../desktop/media-actions.js';
import type { Player } from '../desktop/media-players.js';
import {
  describePlayer,
  findPlayer,
  listPlayers,
  playerName,
  playerState,
} from '../desktop/media-players.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';

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

const playerSchema = z.object({
  player: z.string(),
  names: z
    .array(z.string())
    .optional()
    .describe('Every bus name of this player (one process may own several).'),
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
  players: z.array(playerSchema).optional().describe('All players, each once (action list).'),
  now_playing: playerSchema.optional().describe('The player state after the action.'),
  changed: z
    .boolean()
    .optional()
    .describe(
      'Whether the player reported the change the action asks for; false: nothing was to change, or it did not ' +
        'report it in time (the text says which, and now_playing may then be the state before the action).',
    ),
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
        'Control MPRIS media players (music, video, browser media). action: list (all players, each once with ' +
        'all its bus names, with what they play), now_playing, play, pause, play_pause, next, previous, stop, ' +
        'seek (value = seconds relative to now, negative goes back), volume (value 0.0–1.0). player: one of its ' +
        'bus names or the part after org.mpris.MediaPlayer2. (e.g. "vlc"); default: the first one playing, else ' +
        `the first found. After an action it waits up to ${MEDIA_CHANGE_WAIT_MS} ms for the player to report the ` +
        'change and says when it did not (now_playing may then still show the state before). Allowed at every ' +
        'safety level.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    async ({ action, player, value }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const players = await listPlayers(deps.gate, octx);
        if (action === 'list') {
          const states = await Promise.all(players.map((p) => describePlayer(deps.gate, p, octx)));
          return dataResult({ action, players: states });
        }
        let target: Player | undefined;
        if (player !== undefined) {
          target = findPlayer(players, player);
          if (!target && !player.startsWith(':')) {
            throw unavailable(
              `No media player ${playerName(player)} on the session bus`,
              `Players present: ${players.flatMap((p) => p.names).join(', ')}.`,
            );
          }
        } else {
          const states = await Promise.all(
            players.map((p) => playerState(deps.gate, p.name, octx).catch(() => undefined)),
          );
          target = players[states.findIndex((s) => s?.status === 'Playing')] ?? players[0];
        }
        // The name the caller gave (any of the player's, or a unique name), else the player's own.
        const name = player !== undefined ? playerName(player) : (target as Player).name;
        const names = target ? { names: target.names } : {};
        if (action === 'now_playing') {
          const now_playing = { ...(await playerState(deps.gate, name, octx)), ...names };
          return dataResult({ action, player: name, now_playing });
        }
        const done = await performAction(deps.gate, octx, name, action as MediaAction, value);
        const now_playing = { ...done.state, ...names };
        return dataResult({ action, player: name, now_playing, changed: done.changed }, done.note);
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
