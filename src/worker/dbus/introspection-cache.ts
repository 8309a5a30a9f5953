import { AppError, errorMessage } from '../../shared/errors.js';
import type { IntrospectedNode, MethodInfo, PropertyInfo } from './introspection.js';
import { parseIntrospectionXml } from './introspection.js';
import type { CallOptions, CallReply, CallRequest } from './types.js';
import { INTROSPECTABLE } from './well-known.js';

export interface IntrospectOptions extends CallOptions {
  /** Do not let the bus start an activatable service to answer (a read should not start one). */
  noAutoStart?: boolean;
}

type Caller = (req: CallRequest, opts?: CallOptions) => Promise<CallReply>;

const MAX_ENTRIES = 512;

/**
 * Introspection results of one bus connection, keyed by destination and path. Concurrent
 * requests for the same object share one call; failures are not cached. The owning connection
 * calls `invalidate(name)` when a name changes owner and `invalidate()` when it reconnects.
 */
export class IntrospectionCache {
  readonly #call: Caller;
  readonly #entries = new Map<string, { destination: string; node: Promise<IntrospectedNode> }>();

  constructor(call: Caller) {
    this.#call = call;
  }

  get(destination: string, path: string, opts: IntrospectOptions = {}): Promise<IntrospectedNode> {
    const key = `${destination}\0${path}`;
    const hit = this.#entries.get(key);
    if (hit) return hit.node;
    const node = this.#fetch(destination, path, opts);
    const entry = { destination, node };
    this.#entries.set(key, entry);
    if (this.#entries.size > MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    node.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return node;
  }

  async #fetch(destination: string, path: string, opts: IntrospectOptions): Promise<IntrospectedNode> {
    const reply = await this.#call(
      {
        destination,
        path,
        interface: INTROSPECTABLE,
        member: 'Introspect',
        noAutoStart: opts.noAutoStart ?? false,
      },
      { timeoutMs: opts.timeoutMs, signal: opts.signal },
    );
    const xml = reply.body[0];
    if (reply.signature !== 's' || typeof xml !== 'string') {
      throw new AppError(
        'INTROSPECTION_FAILED',
        `${destination} ${path}: Introspect answered with signature '${reply.signature}', expected 's'`,
      );
    }
    try {
      return parseIntrospectionXml(xml);
    } catch (e) {
      throw new AppError('INTROSPECTION_FAILED', `${destination} ${path}: ${errorMessage(e)}`, { cause: e });
    }
  }

  async method(
    destination: string,
    path: string,
    iface: string,
    member: string,
    opts?: IntrospectOptions,
  ): Promise<MethodInfo | undefined> {
    const node = await this.get(destination, path, opts);
    return node.interfaces.find((i) => i.name === iface)?.methods.find((m) => m.name === member);
  }

  async property(
    destination: string,
    path: string,
    iface: string,
    name: string,
    opts?: IntrospectOptions,
  ): Promise<PropertyInfo | undefined> {
    const node = await this.get(destination, path, opts);
    return node.interfaces.find((i) => i.name === iface)?.properties.find((p) => p.name === name);
  }

  /** Interfaces of the object that declare a *method* named `member`, in introspection order. */
  async findInterfacesWithMember(
    destination: string,
    path: string,
    member: string,
    opts?: IntrospectOptions,
  ): Promise<string[]> {
    const node = await this.get(destination, path, opts);
    return node.interfaces.filter((i) => i.methods.some((m) => m.name === member)).map((i) => i.name);
  }

  /** Drops what is cached for `name` (every path), or everything when no name is given. */
  invalidate(name?: string): void {
    if (name === undefined) {
      this.#entries.clear();
      return;
    }
    for (const [key, entry] of this.#entries) {
      if (entry.destination === name) this.#entries.delete(key);
    }
  }
}
