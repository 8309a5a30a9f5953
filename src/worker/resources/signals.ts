import type { McpServer } from '@modelcontextprotocol/server';
import { ResourceTemplate } from '@modelcontextprotocol/server';
import { AppError } from '../../shared/errors.js';
import type { WorkerDeps } from '../deps.js';

const SCHEME = 'dbus-signals://';
/** Signals shown by a resource read (read_signals drains; a resource read only looks). */
const PEEK = 100;
/** Several signals in a burst become one resources/updated per subscription. */
const UPDATE_COALESCE_MS = 100;

export const signalResourceUri = (subscriptionId: string) => `${SCHEME}${subscriptionId}`;

/**
 * Each signal subscription (subscribe_signals) as a resource `dbus-signals://{subscription_id}`:
 * reading it shows the buffered signals without taking them; a client subscribed to it
 * (2025: resources/subscribe; 2026-07-28: subscriptions/listen, served by the SDK) gets
 * notifications/resources/updated when signals arrive, and resources/list_changed when
 * subscriptions come and go.
 */
export function registerSignalResources(server: McpServer, deps: WorkerDeps): void {
  const subscribed = new Set<string>();
  const pending = new Map<string, NodeJS.Timeout>();
  const isModern = () => (server.server.getNegotiatedProtocolVersion() ?? '') >= '2026-07-28';

  server.registerResource(
    'signals',
    new ResourceTemplate(`${SCHEME}{subscription_id}`, {
      list: async () => ({
        resources: deps.signals.list().map((sub) => ({
          uri: signalResourceUri(sub.id),
          name: `signals ${sub.id}`,
          description: `${sub.bus} bus: ${sub.match_rule}`,
          mimeType: 'application/json',
        })),
      }),
      complete: {
        subscription_id: (v) =>
          deps.signals
            .list()
            .map((s) => s.id)
            .filter((id) => id.startsWith(v)),
      },
    }),
    {
      title: 'A signal subscription',
      description:
        'Buffered signals of one subscribe_signals subscription (read_signals takes them; this only looks).',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const id = String(variables.subscription_id);
      const info = deps.signals.get(id);
      if (!info) throw new AppError('SUBSCRIPTION_UNKNOWN', `no signal subscription ${id}`);
      const doc = { subscription: info, signals: deps.signals.peek(id, PEEK) };
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(doc, null, 2) }],
      };
    },
  );

  // 2025-era resource subscriptions; the 2026 era's subscriptions/listen is served by serveStdio.
  server.server.setRequestHandler('resources/subscribe', async (request) => {
    subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', async (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });

  deps.signals.onSignal((_event, sub) => {
    const uri = signalResourceUri(sub.id);
    if (!server.isConnected() || pending.has(uri) || !(isModern() || subscribed.has(uri))) return;
    const timer = setTimeout(() => {
      pending.delete(uri);
      server.server.sendResourceUpdated({ uri }).catch(() => undefined);
    }, UPDATE_COALESCE_MS);
    timer.unref();
    pending.set(uri, timer);
  });
  deps.signals.onSubscriptionsChanged(() => {
    if (server.isConnected()) server.sendResourceListChanged();
  });
}
