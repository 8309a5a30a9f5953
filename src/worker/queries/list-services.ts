import { readFile } from 'node:fs/promises';
import type { BusKind } from '../dbus/types.js';
import { DRIVER } from '../dbus/well-known.js';
import type { Gate } from '../gate/gate.js';
import type { OperationContext } from '../mcp/context.js';

/** One name on a bus, as list_services and the dbus://{bus}/services resource show it. */
export interface ServiceEntry {
  name: string;
  owner?: string;
  pid?: number;
  process?: string;
  running: boolean;
  activatable: boolean;
}

async function processName(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/**
 * The services on a bus (shared by the list_services tool, the dbus://{bus}/services resource and
 * name completion): judged as the driver's ListNames, then the driver reads for activatable names
 * and, unless `owners: false`, each running name's owner, pid and process.
 */
export async function listServices(
  gate: Gate,
  bus: BusKind,
  options: { includeUnique: boolean; owners?: boolean },
  octx: OperationContext,
): Promise<ServiceEntry[]> {
  const { includeUnique, owners = true } = options;
  const req = { bus, ...DRIVER, member: 'ListNames', access: 'call' as const };
  return gate.run(req, octx, async (op) => {
    const names = ((await op.call()).body[0] ?? []) as string[];
    const activatable = await gate.driver.listActivatableNames(bus, octx);
    const activatableSet = new Set(activatable);
    const all = new Set([...names.filter((n) => includeUnique || !n.startsWith(':')), ...activatable]);
    const running = new Set(names);
    return Promise.all(
      [...all].sort().map(async (name) => {
        const entry: ServiceEntry = {
          name,
          running: running.has(name),
          activatable: activatableSet.has(name),
        };
        if (!entry.running || !owners) return entry;
        try {
          entry.owner = name.startsWith(':') ? name : await gate.driver.getNameOwner(bus, name, octx);
          entry.pid = await gate.driver.getConnectionUnixProcessID(bus, name, octx);
          const proc = await processName(entry.pid);
          if (proc) entry.process = proc;
        } catch {
          // The owner left between ListNames and the look-up, or the bus will not tell: keep the name.
        }
        return entry;
      }),
    );
  });
}
