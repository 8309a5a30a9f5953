import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { BUS_KINDS } from '../dbus/types.js';
import { DRIVER } from '../dbus/well-known.js';
import { taskRequest } from '../desktop/common.js';
import { screenshotServices } from '../desktop/screenshot-route.js';
import type { StatusSection } from '../desktop/status-sections.js';
import { STATUS_SERVICES } from '../desktop/status-sections.js';
import type { WorkerDeps } from '../deps.js';
import { operationContext } from '../mcp/context.js';
import { dataResult, describeError, errorResult } from '../mcp/result.js';

interface Capability {
  capability: string;
  tools: string[];
  /**
   * The names that offer it: a pattern, a test of the name, its bus and whether it runs, or (screenshots)
   * the screenshot tools' own provider choice.
   */
  match: RegExp | ((s: Found) => boolean) | 'screenshot-route';
  /** Whether a service that is only activatable counts (the tool starts it); default yes. */
  runningOnly?: boolean;
  note?: string;
}

/**
 * Well-known names → what they are for and which tool reaches them. Each group follows the
 * provider choice of its tools: media_control acts on running players only; notify and the
 * clipboard tools start an installed (activatable) service; the screenshot tools go through the
 * portal (running or activatable), GNOME Shell only where it accepts us (screenshot-route.ts);
 * status reads one service per section and starts only some (status-sections.ts). Services no
 * task tool reads are grouped under the generic tools that do.
 */
const CAPABILITIES: Capability[] = [
  {
    capability: 'media players',
    tools: ['media_control'],
    match: /^org\.mpris\.MediaPlayer2\./,
    runningOnly: true,
  },
  { capability: 'notifications', tools: ['notify'], match: /^org\.freedesktop\.Notifications$/ },
  {
    capability: 'clipboard',
    tools: ['clipboard_read', 'clipboard_write'],
    match: /^(org\.kde\.klipper|org\.gnome\.GPaste)$/,
  },
  {
    capability: 'screenshots',
    tools: ['capture_screen', 'capture_active_window'],
    match: 'screenshot-route',
  },
  {
    capability: 'portals',
    // capture_screen is under screenshots: it needs org.freedesktop.portal.Desktop, not any portal name.
    tools: ['introspect', 'call_method'],
    match: /^org\.freedesktop\.portal\./,
    note: 'xdg-desktop-portal and its helpers (documents, permissions); the screenshots group says whether capture_screen can use it',
  },
  // What status reads, by its own rule for starting each (status-sections.ts).
  statusGroup('power', ['power']),
  statusGroup('network', ['network']),
  statusGroup('host and time', ['host', 'time']),
  statusGroup('sessions', ['sessions'], {
    note: 'power actions (suspend, power off) are forbidden at every level; reads are fine',
  }),
  {
    capability: 'system settings',
    tools: ['get_all_properties', 'introspect'],
    match:
      /^(org\.freedesktop\.network1|org\.freedesktop\.resolve1|net\.connman(\..*)?|net\.hadess\.PowerProfiles|org\.freedesktop\.UPower\.PowerProfiles|org\.freedesktop\.locale1)$/,
    note: 'systemd-networkd, systemd-resolved, ConnMan, power-profiles-daemon, localed: status does not read these; the generic tools do',
  },
  { capability: 'bluetooth', tools: ['list_objects', 'get_all_properties'], match: /^org\.bluez(\..*)?$/ },
  {
    capability: 'secrets',
    tools: ['introspect'],
    match: /^(org\.freedesktop\.secrets|org\.kde\.kwalletd[56]?|org\.gnome\.keyring(\..*)?)$/,
    note: 'secret retrieval is forbidden at every level; only metadata can be read',
  },
  {
    capability: 'desktop shell',
    tools: ['introspect', 'call_method'],
    match:
      /^(org\.gnome\.Shell|org\.kde\.plasmashell|org\.kde\.KWin|org\.freedesktop\.ScreenSaver|org\.gnome\.SessionManager|org\.kde\.ksmserver)$/,
  },
  {
    capability: 'systemd',
    tools: ['list_units', 'unit_status', 'manage_unit'],
    match: /^org\.freedesktop\.systemd1$/,
  },
  {
    capability: 'host and time',
    tools: ['status'],
    match: /^org\.freedesktop\.(hostname1|timedate1|locale1)$/,
  },
];

/** A group of the status tool: exactly the services those sections read, listed by their start rule. */
function statusGroup(
  capability: string,
  sections: StatusSection[],
  extra: { note?: string } = {},
): Capability {
  const wanted = sections.map((k) => STATUS_SERVICES[k]);
  const names = new Set<string>(wanted.map((w) => w.service));
  return {
    capability,
    tools: ['status'],
    match: (s) =>
      s.bus === 'system' &&
      names.has(s.name) &&
      (s.running || wanted.some((w) => w.service === s.name && w.startsOnDemand)),
    ...extra,
  };
}

const service = z.object({ name: z.string(), bus: z.enum(['session', 'system']), running: z.boolean() });
type Found = z.infer<typeof service>;
const output = z.object({
  buses: z.record(
    z.string(),
    z.object({ available: z.boolean(), services: z.number(), reason: z.string().optional() }),
  ),
  capabilities: z.array(
    z.object({
      capability: z.string(),
      tools: z.array(z.string()),
      services: z.array(service),
      note: z.string().optional(),
    }),
  ),
  missing: z.array(z.string()).describe('Capabilities nothing on the buses offers.'),
});

const input = z.object({});

export function registerDiscover(server: McpServer, deps: WorkerDeps): RegisteredTool {
  return server.registerTool(
    'discover',
    {
      title: 'Discover what this machine offers',
      description:
        'Survey both buses and group the services by capability — media players, notifications, clipboard, ' +
        'screenshots, portals, power, network, host and time, sessions, system settings, bluetooth, secrets, ' +
        'desktop shell, systemd — ' +
        'each with the tool to use. Good first call to see what is possible here. running=false marks ' +
        'services that start on demand (the task tools start them when their level allows). Each group lists ' +
        'what its tools would really use (screenshots: the XDG portal; GNOME Shell only where it accepts callers). ' +
        'Read-only: it starts nothing.',
      inputSchema: input,
      outputSchema: output,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (_args, ctx) => {
      const octx = operationContext(ctx);
      try {
        const found: Found[] = [];
        const buses: z.infer<typeof output>['buses'] = {};
        const wellKnown = (names: string[]) => names.filter((n) => !n.startsWith(':'));
        for (const bus of BUS_KINDS) {
          try {
            const req = taskRequest(bus, { ...DRIVER, member: 'ListNames' }, 'read');
            const names = await deps.gate.run(req, octx, async (op) =>
              wellKnown(((await op.call()).body[0] ?? []) as string[]),
            );
            const activatable = wellKnown(await deps.gate.driver.listActivatableNames(bus, octx));
            const running = new Set(names);
            const all = [...new Set([...names, ...activatable])].sort();
            for (const name of all) found.push({ name, bus, running: running.has(name) });
            buses[bus] = { available: true, services: all.length };
          } catch (e) {
            const info = describeError(e);
            buses[bus] = { available: false, services: 0, reason: `${info.name}: ${info.message}` };
          }
        }
        const shots = buses.session?.available
          ? await screenshotServices(deps.gate, octx)
          : { services: [], note: '' };
        const capabilities = CAPABILITIES.map(({ capability, tools, match, runningOnly, note }) => {
          const services =
            match === 'screenshot-route'
              ? shots.services
              : found.filter(
                  (s) =>
                    (typeof match === 'function' ? match(s) : match.test(s.name)) &&
                    (!runningOnly || s.running),
                );
          const text = match === 'screenshot-route' ? shots.note : note;
          return { capability, tools, services, ...(text ? { note: text } : {}) };
        });
        const missing = capabilities.filter((c) => c.services.length === 0).map((c) => c.capability);
        return dataResult({
          buses,
          capabilities: capabilities.filter((c) => c.services.length > 0),
          missing,
        });
      } catch (e) {
        return errorResult(e);
      }
    },
  );
}
