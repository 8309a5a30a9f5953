import { AppError } from '../../shared/errors.js';

export interface XmlElement {
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
export function parseXml(xml: string): XmlElement {
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
