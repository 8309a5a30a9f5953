import type { GetPromptResult, McpServer } from '@modelcontextprotocol/server';
import { completable } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { WorkerDeps } from '../deps.js';
import { FORBIDDEN_SUMMARY, LEVEL_SUMMARIES } from '../policy/index.js';
import { completers } from '../resources/completers.js';

const userText = (text: string): GetPromptResult => ({
  messages: [{ role: 'user', content: { type: 'text', text } }],
});

/** Prompts that help an agent start well; their arguments complete from the live buses. */
export function registerPrompts(server: McpServer, deps: WorkerDeps): void {
  const complete = completers(deps);

  server.registerPrompt(
    'explore_service',
    {
      title: 'Explore a D-Bus service',
      description:
        'Walk one service and summarise what it offers: objects, interfaces, useful methods and properties.',
      argsSchema: z.object({
        bus: completable(z.string().describe('session or system'), (v) => complete.bus(v)).optional(),
        service: completable(z.string().describe('Bus name, e.g. org.freedesktop.Notifications'), (v, ctx) =>
          complete.service(v, ctx),
        ),
      }),
    },
    ({ bus, service }) => {
      const b = bus === 'system' ? 'system' : 'session';
      return userText(
        [
          `Explore the D-Bus service ${service} on the ${b} bus with the dbus-mcp tools and summarise what it offers.`,
          `1. list_objects (bus "${b}", service "${service}") to see its objects and interfaces.`,
          '2. introspect the most relevant objects (skip org.freedesktop.DBus.* standard interfaces) to learn methods, ' +
            'their argument types, properties and signals.',
          '3. Read a few informative properties with get_all_properties.',
          '4. Summarise: what the service is for, its main objects, the methods and properties a user would care about ' +
            '(with D-Bus signatures), and which of them the current safety level allows (use explain_policy for any ' +
            'method you would suggest calling). Do not call methods that change state while exploring.',
        ].join('\n'),
      );
    },
  );

  server.registerPrompt(
    'diagnose_desktop',
    {
      title: 'Diagnose the desktop session',
      description: 'What is running on the buses, what is missing, and what the current safety level allows.',
      argsSchema: z.object({
        focus: completable(
          z.string().describe('Optional area: notifications, media, network, power, screenshots…'),
          (v) =>
            [
              'notifications',
              'media',
              'network',
              'power',
              'screenshots',
              'clipboard',
              'bluetooth',
              'systemd',
            ].filter((a) => a.startsWith(v)),
        ).optional(),
      }),
    },
    ({ focus }) => {
      const level = deps.config().SAFETY_LEVEL;
      return userText(
        [
          'Diagnose this Linux desktop session through D-Bus with the dbus-mcp tools.',
          focus ? `Focus on: ${focus}.` : '',
          '1. list_services on the session and on the system bus (use discover if the tool exists: it groups services by capability).',
          '2. Report what is running (notification server, media players, network manager, power, portals, secrets, ' +
            'desktop shell, systemd) and what is missing, with the owning process where the bus tells.',
          '3. Use status, get_property and introspect to check the state of anything that looks wrong.',
          `4. Say what the current safety level (${level}) allows: ${LEVEL_SUMMARIES[level]} ${FORBIDDEN_SUMMARY}`,
          'Only read; do not change anything unless the user asks.',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    },
  );
}
