/** The introspection model (D-Bus specification, "Introspection Data Format") and its parser. */
import { AppError } from '../../shared/errors.js';
import type { XmlElement } from './xml.js';
import { parseXml } from './xml.js';

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
