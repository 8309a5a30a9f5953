import type { McpServer } from '@modelcontextprotocol/server';
import { Variant } from 'dbus-next';
import { z } from 'zod';
import type { ToolDeps } from './deps.js';
import { isServiceMissing, taskRequest, unavailable } from './desktop-common.js';
import { guarded, operationContext, queuedCall } from './operations.js';
import { dataResult, errorResult } from './result.js';

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
});

const input = z.object({
  title: z.string().min(1).max(1000).describe('The summary line.'),
  message: z.string().max(10_000).describe('The body text (servers may render simple markup).'),
  urgency: z.enum(['low', 'normal', 'critical']).default('normal'),
  timeout_ms: z.number().int().min(-1).max(3_600_000).default(-1).describe('-1: server default; 0: never.'),
  app_name: z.string().max(200).default('dbus-mcp').describe('Application name shown with it.'),
  actions: z.array(action).max(10).default([]).describe('Buttons: labels or {key, label}.'),
});

export function registerNotify(server: McpServer, deps: ToolDeps) {
  server.registerTool(
    'notify',
    {
      title: 'Show a desktop notification',
      description:
        'Show a desktop notification (org.freedesktop.Notifications.Notify) and return its id. Use it to tell ' +
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
        const hints = { urgency: new Variant('y', URGENCY[urgency]) };
        const body = [app_name, 0, '', title, message, flat, hints, timeout_ms];
        const req = taskRequest('session', TARGET, 'notify', [
          app_name,
          0,
          '',
          title,
          message,
          flat,
          {},
          timeout_ms,
        ]);
        const id = await guarded(deps, req, octx, async (_auth, conn) => {
          try {
            const reply = await queuedCall(deps, conn, { ...TARGET, signature: 'susssasa{sv}i', body }, octx);
            return Number(reply.body[0]);
          } catch (e) {
            if (!isServiceMissing(e)) throw e;
            throw unavailable(
              'No notification server on the session bus (org.freedesktop.Notifications)',
              'A desktop environment or a notification daemon (dunst, mako, notification-daemon) provides it.',
              e,
            );
          }
        });
        return dataResult({ id, urgency, actions: list }, `Notification ${id} shown.`);
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
