import { AppError } from '../../shared/errors.js';
import { MPRIS, PROPERTIES } from '../dbus/well-known.js';
import type { Gate } from '../gate/gate.js';
import type { AuthorizedOperation } from '../gate/operation.js';
import type { OperationContext } from '../mcp/context.js';
import type { OperationRequest } from '../policy/index.js';
import { isServiceMissing, taskRequest, unavailable } from './common.js';
import type { PlayerState } from './media-players.js';
import { playerState } from './media-players.js';

/**
 * One media_control action and the state after it. MPRIS players apply actions asynchronously:
 * `Next` returns before the track changed, and VLC first signals the old track again. So the
 * state is read before, a listener for the player's answer (PropertiesChanged, or Seeked) is
 * armed before the call, and after it the state is re-read on each such signal until it shows
 * the change the action asks for — at most MEDIA_CHANGE_WAIT_MS. A player that does not report
 * the change within that is said so, with the state as it then reads.
 */

/**
 * How long an action waits for the player to report its change. VLC 3 reports a track change
 * within ~200 ms when presses are half a second or more apart (a human's or a model's pace); for
 * presses that follow each other closely it takes twice as long each time (50 ms … 0.8, 1.7,
 * 3.7 s: docs/DESKTOP-SERVICES.md). One second covers the first with a margin for a loaded
 * machine and does not make every call of a burst wait seconds; past it the answer says so.
 */
export const MEDIA_CHANGE_WAIT_MS = 1000;

export type MediaAction = 'play' | 'pause' | 'play_pause' | 'next' | 'previous' | 'stop' | 'seek' | 'volume';

const METHODS: Record<string, string> = {
  play: 'Play',
  pause: 'Pause',
  play_pause: 'PlayPause',
  next: 'Next',
  previous: 'Previous',
  stop: 'Stop',
};

/** What the action changes, judged on the state before and after (a Seeked signal for seek). */
interface Expectation {
  /** Set when nothing is to change (the text says why, and nothing is waited for). */
  already?: string;
  signal: { interface: string; member: string; arg0?: string };
  met(before: PlayerState, after: PlayerState): boolean;
  what: string;
}

const trackOf = (s: PlayerState) => JSON.stringify([s.url, s.title, s.length_s]);
const statusIs = (want: string) => (_b: PlayerState, a: PlayerState) => a.status === want;
const changes = { interface: PROPERTIES, member: 'PropertiesChanged', arg0: MPRIS.player };

function expectation(action: MediaAction, before: PlayerState, value: number | undefined): Expectation {
  const status = (want: string, already: boolean): Expectation => ({
    signal: changes,
    met: statusIs(want),
    what: `the status ${want}`,
    ...(already ? { already: `the player was already ${before.status}` } : {}),
  });
  switch (action) {
    case 'play':
      return status('Playing', before.status === 'Playing');
    case 'pause':
      return status('Paused', before.status === 'Paused' || before.status === 'Stopped');
    case 'stop':
      return status('Stopped', before.status === 'Stopped');
    case 'play_pause':
      return status(before.status === 'Playing' ? 'Paused' : 'Playing', false);
    case 'next':
    case 'previous':
      return { signal: changes, met: (b, a) => trackOf(a) !== trackOf(b), what: 'a new track' };
    case 'volume': {
      const near = (v: number | undefined) => v !== undefined && Math.abs(v - (value ?? 0)) < 0.005;
      return {
        signal: changes,
        met: (_b, a) => near(a.volume),
        what: `the volume ${value}`,
        ...(near(before.volume) ? { already: `the volume was already ${before.volume}` } : {}),
      };
    }
    case 'seek':
      // Position is not signalled: Seeked is the answer (met on arrival).
      return {
        signal: { interface: MPRIS.player, member: 'Seeked' },
        met: () => true,
        what: 'the new position (Seeked)',
        ...(value === 0 ? { already: 'a seek by 0 s moves nothing' } : {}),
      };
  }
}

/** The request for `action` on `player` (kind media: allowed at every level). */
function actionRequest(action: MediaAction, player: string, value: number | undefined): OperationRequest {
  const base = { destination: player, path: MPRIS.path, interface: MPRIS.player };
  const needValue = (what: string) => {
    if (value === undefined) throw new AppError('INVALID_ARGUMENT', `action ${action} needs value (${what})`);
    return value;
  };
  if (action === 'seek') {
    // Microseconds as a decimal string: the whole int64 range, exactly.
    const us = String(Math.round(needValue('seconds, relative') * 1e6));
    return taskRequest('session', { ...base, member: 'Seek' }, 'media', { signature: 'x', args: [us] });
  }
  if (action === 'volume') {
    const v = needValue('0.0 to 1.0');
    if (v < 0 || v > 1)
      throw new AppError('INVALID_ARGUMENT', `volume must be between 0.0 and 1.0, got ${v}`);
    // A property write of Volume (d), sent as Properties.Set.
    return taskRequest('session', { ...base, member: 'Volume' }, 'media', {
      access: 'set',
      signature: 'd',
      args: [v],
    });
  }
  return taskRequest('session', { ...base, member: METHODS[action] as string }, 'media');
}

export interface ActionResult {
  state: PlayerState;
  /** Whether the player reported the change the action asks for. */
  changed: boolean;
  /** Said with the answer when the state is not known to be the one after the action. */
  note?: string;
}

/** Performs `action` on `player` and returns the state after it (see the module comment). */
export async function performAction(
  gate: Gate,
  octx: OperationContext,
  player: string,
  action: MediaAction,
  value: number | undefined,
): Promise<ActionResult> {
  const req = actionRequest(action, player, value);
  const before = await playerState(gate, player, octx);
  const expect = expectation(action, before, value);
  return gate.run(req, octx, (op) => actAndWait(gate, octx, op, player, before, expect));
}

async function actAndWait(
  gate: Gate,
  octx: OperationContext,
  op: AuthorizedOperation,
  player: string,
  before: PlayerState,
  expect: Expectation,
): Promise<ActionResult> {
  // Armed before the call: a fast player answers before the method reply arrives.
  const armed = expect.already ? undefined : await op.watch({ path: MPRIS.path, ...expect.signal });
  try {
    try {
      await op.call();
    } catch (e) {
      if (isServiceMissing(e))
        throw unavailable(`The media player ${player} went away`, 'Call media_control list.', e);
      throw e;
    }
    if (!armed) {
      const state = await playerState(gate, player, octx);
      return { state, changed: false, note: `No change: ${expect.already as string}.` };
    }
    const deadline = Date.now() + MEDIA_CHANGE_WAIT_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        await armed.next(left, octx.signal);
      } catch (e) {
        if (e instanceof AppError && e.code === 'DBUS_TIMEOUT') break;
        throw e;
      }
      // Seeked is the change itself; a PropertiesChanged may still carry the old track (VLC).
      const state = await playerState(gate, player, octx);
      if (expect.signal.member === 'Seeked' || expect.met(before, state)) return { state, changed: true };
    }
    const state = await playerState(gate, player, octx);
    if (expect.signal.member !== 'Seeked' && expect.met(before, state)) return { state, changed: true };
    return {
      state,
      changed: false,
      note:
        `The player did not report ${expect.what} within ${MEDIA_CHANGE_WAIT_MS} ms: now_playing is its state as it ` +
        'reads now and may still be the one from before the action (players slow down on quick repeated presses; ' +
        'call media_control now_playing in a moment to see where it went).',
    };
  } finally {
    await armed?.release();
  }
}
