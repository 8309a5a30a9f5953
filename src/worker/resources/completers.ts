import { BUS_KINDS } from '../dbus/types.js';
import { isValidObjectPath } from '../dbus/names.js';
import type { WorkerDeps } from '../deps.js';
import { introspectObject } from '../queries/introspect.js';
import { listServices } from '../queries/list-services.js';

/** Completions are cut at the protocol's 100 values. */
const MAX_COMPLETIONS = 100;

/** Completion of `bus`, `service` (names on that bus) and `path` (children known from introspection). */
export function completers(deps: WorkerDeps) {
  const bus = (value: string) => BUS_KINDS.filter((b) => b.startsWith(value));
  const service = async (value: string, context?: { arguments?: Record<string, string> }) => {
    const kind = context?.arguments?.bus === 'system' ? 'system' : 'session';
    try {
      const services = await listServices(
        deps.gate,
        kind,
        { includeUnique: value.startsWith(':'), owners: false },
        {},
      );
      return services
        .map((s) => s.name)
        .filter((n) => n.startsWith(value))
        .slice(0, MAX_COMPLETIONS);
    } catch {
      return [];
    }
  };
  /** Paths are completed one level at a time: the known children of the deepest complete prefix. */
  const path = async (value: string, context?: { arguments?: Record<string, string> }) => {
    const kind = context?.arguments?.bus === 'system' ? 'system' : 'session';
    const name = context?.arguments?.service;
    if (!name) return [];
    const absolute = value.startsWith('/') ? value : `/${value}`;
    const cut = absolute.lastIndexOf('/');
    const parent = cut <= 0 ? '/' : absolute.slice(0, cut);
    const partial = absolute.slice(cut + 1);
    if (!isValidObjectPath(parent)) return [];
    try {
      const node = await introspectObject(deps.gate, kind, name, parent, {});
      const prefix = parent === '/' ? '/' : `${parent}/`;
      const withSlash = value.startsWith('/');
      return node.children
        .filter((c) => c.startsWith(partial))
        .map((c) => (withSlash ? `${prefix}${c}` : `${prefix}${c}`.slice(1)))
        .slice(0, MAX_COMPLETIONS);
    } catch {
      return [];
    }
  };
  return { bus, service, path };
}
