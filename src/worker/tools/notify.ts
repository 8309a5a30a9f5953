import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ensureRunning, startedNote } from '../desktop/activation.js';
import { isServiceMissing, taskRequest, unavailable } from '../desktop/common.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, errorResult } from '../mcp/result.js';

const TARGET = {
  destination: 'org.freedesktop.Notifications',
  path: '/org/freedesktop/Notifications',
  interface: 'org.freedesktop.Notifications',
  member: 'Notify',
};
const URGENCY = { low: 0, normal: 1, critical: 2 } as const;

const action = z.union([
  z.string().min(1).max(64),
  z.object({ key: z.string().min(1).max(64), label: z.string().min(1).max(64) }),
]);

const output = z.object({
  id: z
    .number()
    .describe('Notification id: the server reports it in ActionInvoked/NotificationClosed signals.'),
  urgency: z.enum(['low', 'normal', 'critical']),
  actions: z.array(z.object({ key: z.string(), label: z.string() })),
  started: z.array(z.string()).optional().describe('Services this call started (D-Bus activation).'),
});

const input = z.object({
  title: z.string().min(1).max(1000).describe('The summary line.'),
  message: z.string().max(10_000).describe('The body text (servers may render simple markup).'),
  urgency: z.enum(['low', 'normal', 'critical']).default('normal'),
  timeout_ms: z.number().int().min(-1).max(3_600_000).default(-1).describe('-1: server default; 0: never.'),
  app_name: z.string().max(200).default('dbus-mcp').describe('Application name shown with it.'),
  actions: z.array(action).max(10).default([]).describe('Buttons: labels or {key, label}.'),
});

export function registerNotify(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'notify',
    {
      title: 'Show a desktop notification',
      description:
        'Show a desktop notification (org.freedesktop.Notifications.Notify: GNOME Shell, KDE Plasma, dunst, mako, ' +
        'notification-daemon; started when it is installed but not running) and return its id. Use it to tell ' +
        'the human something that needs their attention. `urgency`: low, normal (default) or critical; ' +
        '`timeout_ms`: -1 = the server default, 0 = stays until dismissed. `actions`: buttons, each a label or ' +
        '{key, label}; to learn which one was clicked, first subscribe_signals with ' +
        'sender=org.freedesktop.Notifications member=ActionInvoked, then read_signals (args: [id, key]). ' +
        'Allowed at every safety level, rate-limited (RATE_LIMIT_NOTIFY per minute).',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    async ({ title, message, urgency, timeout_ms, app_name, actions }, ctx) => {
      const octx = operationContext(ctx);
      try {
        const list = actions.map((a) => (typeof a === 'string' ? { key: a, label: a } : a));
        const flat = list.flatMap((a) => [a.key, a.label]);
        // Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout).
        const hints = { urgency: { signature: 'y', value: URGENCY[urgency] } };
        const args = [app_name, 0, '', title, message, flat, hints, timeout_ms];
        // A task tool starts the service its task needs (judged as a notification, like the task):
        // the notification daemon is often only activatable (dunst, mako, notification-daemon).
        const state = await ensureRunning(deps.gate, octx, TARGET.destination, 'notify');
        const started = state === 'started' ? [TARGET.destination] : [];
        const req = taskRequest('session', TARGET, 'notify', {
          signature: 'susssasa{sv}i',
          args,
          autoStart: true,
        });
        const id = await deps.gate.run(req, octx, async (op) => {
          try {
            return Number((await op.call()).body[0]);
          } catch (e) {
            if (!isServiceMissing(e)) throw e;
            throw unavailable(
              'No notification server on the session bus (org.freedesktop.Notifications)',
              'A desktop environment or a notification daemon (dunst, mako, notification-daemon) provides it.',
              e,
            );
          }
        });
        const note = startedNote(started);
        return dataResult(
          { id, urgency, actions: list, ...(started.length > 0 ? { started } : {}) },
          note ? `Notification ${id} shown. ${note}` : `Notification ${id} shown.`,
        );
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
