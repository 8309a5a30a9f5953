import { AppError, errorMessage } from '../../shared/errors.js';
import type { CallOptions, CallReply, CallRequest } from './connection.js';

export interface ArgInfo {
  name?: string;
  type: string;
  direction?: 'in' | 'out';
}
export interface MethodInfo {
  name: string;
  args: ArgInfo[];
  annotations: Record<string, string>;
}
export interface PropertyInfo {
  name: string;
  type: string;
  access: 'read' | 'write' | 'readwrite';
  annotations: Record<string, string>;
}
export interface SignalInfo {
  name: string;
  args: ArgInfo[];
  annotations: Record<string, string>;
}
export interface InterfaceInfo {
  name: string;
  methods: MethodInfo[];
  properties: PropertyInfo[];
  signals: SignalInfo[];
  annotations: Record<string, string>;
}
export interface IntrospectedNode {
  interfaces: InterfaceInfo[];
  children: string[];
  xml: string;
}

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string, fail: (why: string) => never): string {
  return s.replace(/&([^;&\s]*);/g, (_m, ent: string) => {
    const named = ENTITIES[ent];
    if (named !== undefined) return named;
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ent);
    if (num?.[1] !== undefined) {
      const code = num[1].startsWith('x') ? parseInt(num[1].slice(1), 16) : parseInt(num[1], 10);
      if (code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    }
    return fail(`unknown entity &${ent};`);
  });
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTR = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;

/**
 * A small, strict XML reader for the introspection format: elements, attributes (either quote,
 * entities and character references decoded), self-closing tags, comments, processing
 * instructions, DOCTYPE (with an internal subset) and CDATA. Text content is ignored: the
 * introspection DTD carries everything in attributes. Malformed input throws.
 */
function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new AppError('INTROSPECTION_FAILED', `introspection XML is malformed at offset ${i}: ${why}`);
  };
  const skipPast = (end: string, what: string) => {
    const at = xml.indexOf(end, i);
    if (at < 0) fail(`unterminated ${what}`);
    i = at + end.length;
  };
  const root: XmlElement = { name: '#document', attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) skipPast('-->', 'comment');
    else if (xml.startsWith('<![CDATA[', i)) skipPast(']]>', 'CDATA section');
    else if (xml.startsWith('<?', i)) skipPast('?>', 'processing instruction');
    else if (xml.startsWith('<!', i)) {
      // DOCTYPE: skip to the matching '>', stepping over quoted strings and an internal subset.
      let depth = 0;
      for (i += 2; i < xml.length; i++) {
        const c = xml[i];
        if (c === '"' || c === "'") {
          const close = xml.indexOf(c, i + 1);
          if (close < 0) fail('unterminated quoted string in DOCTYPE');
          i = close;
        } else if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      if (i >= xml.length) fail('unterminated DOCTYPE');
      i++;
    } else if (xml.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(xml);
      if (!m) fail('bad closing tag');
      const top = stack.pop();
      if (!top || top === root || top.name !== m?.[0]) fail(`unexpected </${m?.[0]}>`);
      i = NAME.lastIndex;
      const gt = /\s*>/y;
      gt.lastIndex = i;
      if (!gt.exec(xml)) fail('bad closing tag');
      i = gt.lastIndex;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(xml);
      if (!m) fail('bad tag');
      const el: XmlElement = { name: m?.[0] ?? '', attrs: {}, children: [] };
      i = NAME.lastIndex;
      for (;;) {
        ATTR.lastIndex = i;
        const a = ATTR.exec(xml);
        if (!a) break;
        const key = a[1] ?? '';
        if (Object.hasOwn(el.attrs, key)) fail(`duplicate attribute ${key}`);
        el.attrs[key] = decodeEntities(a[2] ?? a[3] ?? '', fail);
        i = ATTR.lastIndex;
      }
      const end = /\s*(\/?)>/y;
      end.lastIndex = i;
      const e = end.exec(xml);
      if (!e) fail(`bad attribute syntax in <${el.name}>`);
      i = end.lastIndex;
      const parent = stack[stack.length - 1] ?? root;
      if (parent === root && root.children.length > 0) fail('more than one root element');
      parent.children.push(el);
      if (e?.[1] !== '/') stack.push(el);
    }
  }
  if (stack.length > 1) fail(`unclosed <${stack[stack.length - 1]?.name}>`);
  const top = root.children[0];
  if (!top) fail('no root element');
  return top as XmlElement;
}

function annotationsOf(el: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of el.children) {
    if (c.name === 'annotation' && c.attrs.name !== undefined) out[c.attrs.name] = c.attrs.value ?? '';
  }
  return out;
}

function argsOf(el: XmlElement, defaultDirection: 'in' | undefined): ArgInfo[] {
  return el.children
    .filter((c) => c.name === 'arg')
    .map((c) => {
      const arg: ArgInfo = { type: c.attrs.type ?? '' };
      if (c.attrs.name !== undefined) arg.name = c.attrs.name;
      const dir =
        c.attrs.direction === 'out' || c.attrs.direction === 'in' ? c.attrs.direction : defaultDirection;
      if (dir !== undefined) arg.direction = dir;
      return arg;
    });
}

function accessOf(v: string | undefined): PropertyInfo['access'] {
  return v === 'write' || v === 'readwrite' ? v : 'read';
}

/**
 * Parses `org.freedesktop.DBus.Introspectable.Introspect` output. Method args default to
 * direction `in` (as the specification says); signal args carry a direction only when the XML
 * gives one; property access defaults to `read`. Unknown elements are ignored. Throws
 * AppError INTROSPECTION_FAILED when the XML is malformed or its root is not `<node>`.
 */
export function parseIntrospectionXml(xml: string): IntrospectedNode {
  const root = parseXml(xml);
  if (root.name !== 'node') {
    throw new AppError('INTROSPECTION_FAILED', `introspection XML has root <${root.name}>, expected <node>`);
  }
  const interfaces: InterfaceInfo[] = [];
  const children: string[] = [];
  for (const el of root.children) {
    if (el.name === 'node' && el.attrs.name !== undefined) children.push(el.attrs.name);
    if (el.name !== 'interface' || el.attrs.name === undefined) continue;
    const info: InterfaceInfo = {
      name: el.attrs.name,
      methods: [],
      properties: [],
      signals: [],
      annotations: annotationsOf(el),
    };
    for (const m of el.children) {
      const name = m.attrs.name;
      if (name === undefined) continue;
      if (m.name === 'method') {
        info.methods.push({ name, args: argsOf(m, 'in'), annotations: annotationsOf(m) });
      } else if (m.name === 'signal') {
        info.signals.push({ name, args: argsOf(m, undefined), annotations: annotationsOf(m) });
      } else if (m.name === 'property') {
        info.properties.push({
          name,
          type: m.attrs.type ?? '',
          access: accessOf(m.attrs.access),
          annotations: annotationsOf(m),
        });
      }
    }
    interfaces.push(info);
  }
  return { interfaces, children, xml };
}

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
        interface: 'org.freedesktop.DBus.Introspectable',
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
