import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AppError } from '../../../../src/shared/errors.js';
import { parseIntrospectionXml } from '../../../../src/worker/dbus/introspection.js';

const DIR = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'introspection');
const fixture = (name: string) => readFileSync(join(DIR, name), 'utf8');

/** Counts elements with Python's ElementTree, an independent parser, for a cross-check. */
function pythonCounts(xml: string): Record<string, number> {
  const script = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read().encode())
out = {"interface": 0, "method": 0, "signal": 0, "property": 0, "arg": 0, "annotation": 0,
       "children": len([n for n in root.findall("node") if n.get("name") is not None])}
for i in root.findall("interface"):
    out["interface"] += 1
    out["annotation"] += len(i.findall("annotation"))
    for m in i:
        if m.tag in ("method", "signal", "property"):
            out[m.tag] += 1
            out["arg"] += len(m.findall("arg"))
            out["annotation"] += len(m.findall("annotation"))
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: xml, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe('parseIntrospectionXml on real XML (dbusmock templates, dbus-daemon)', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.xml'))) {
    test(`${file}: same elements as Python's ElementTree sees`, () => {
      const xml = fixture(file);
      const node = parseIntrospectionXml(xml);
      let methods = 0;
      let signals = 0;
      let properties = 0;
      let args = 0;
      let annotations = 0;
      for (const i of node.interfaces) {
        annotations += Object.keys(i.annotations).length;
        methods += i.methods.length;
        signals += i.signals.length;
        properties += i.properties.length;
        for (const m of [...i.methods, ...i.signals]) {
          args += m.args.length;
          annotations += Object.keys(m.annotations).length;
        }
        for (const p of i.properties) annotations += Object.keys(p.annotations).length;
      }
      assert.deepEqual(
        {
          interface: node.interfaces.length,
          method: methods,
          signal: signals,
          property: properties,
          arg: args,
          annotation: annotations,
          children: node.children.length,
        },
        pythonCounts(xml),
      );
      assert.equal(node.xml, xml);
    });
  }

  test('logind: PowerOff takes one boolean in, CanPowerOff returns a string', () => {
    const node = parseIntrospectionXml(fixture('logind.xml'));
    const manager = node.interfaces.find((i) => i.name === 'org.freedesktop.login1.Manager');
    assert.ok(manager);
    assert.deepEqual(manager.methods.find((m) => m.name === 'PowerOff')?.args, [
      { name: 'arg1', type: 'b', direction: 'in' },
    ]);
    assert.deepEqual(
      manager.methods.find((m) => m.name === 'CanPowerOff')?.args.map((a) => [a.type, a.direction]),
      [['s', 'out']],
    );
  });

  test('upower: properties with type and access', () => {
    const node = parseIntrospectionXml(fixture('upower.xml'));
    const up = node.interfaces.find((i) => i.name === 'org.freedesktop.UPower');
    assert.deepEqual(
      up?.properties.find((p) => p.name === 'OnBattery'),
      { name: 'OnBattery', type: 'b', access: 'readwrite', annotations: {} },
    );
  });

  test('bus driver: DOCTYPE, annotations on properties, child-less node', () => {
    const node = parseIntrospectionXml(fixture('bus-driver.xml'));
    const bus = node.interfaces.find((i) => i.name === 'org.freedesktop.DBus');
    const features = bus?.properties.find((p) => p.name === 'Features');
    assert.equal(features?.type, 'as');
    assert.equal(features?.access, 'read');
    assert.equal(features?.annotations['org.freedesktop.DBus.Property.EmitsChangedSignal'], 'const');
    assert.ok(bus?.signals.some((s) => s.name === 'NameOwnerChanged' && s.args.length === 3));
  });

  test('root object of a template: children only', () => {
    assert.deepEqual(parseIntrospectionXml(fixture('logind-root.xml')), {
      interfaces: [],
      children: ['org'],
      xml: fixture('logind-root.xml'),
    });
  });
});

describe('parseIntrospectionXml edge cases', () => {
  test('entities and character references in attributes, both quote styles', () => {
    const xml = `<node><interface name='a.B'><method name="M"><annotation name="x.Doc" value="a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#65;&#x42;"/></method></interface></node>`;
    const m = parseIntrospectionXml(xml).interfaces[0]?.methods[0];
    assert.equal(m?.annotations['x.Doc'], `a <b> & "c" 'd' AB`);
  });

  test('comments (with markup inside), processing instructions, DOCTYPE with internal subset, CDATA, text', () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE node [ <!ENTITY foo "bar"> <!-- ] > --> ]>
<!-- <node><interface name="fake.Iface"/></node> -->
<node name="/x">
  some text <![CDATA[ <interface name="not.Real"/> ]]>
  <interface name="a.B"><!-- <method name="Hidden"/> -->
    <method name="M" ><arg type="s" name="in0"/><arg type="i" direction="out"/></method>
    <signal name="S"><arg type="as"/></signal>
    <property name="P" type="a{sv}" access="write"/>
  </interface>
  <node name="child1"/><node name="child2"></node>
</node>`;
    const node = parseIntrospectionXml(xml);
    assert.deepEqual(node.interfaces, [
      {
        name: 'a.B',
        annotations: {},
        methods: [
          {
            name: 'M',
            annotations: {},
            args: [
              { name: 'in0', type: 's', direction: 'in' },
              { type: 'i', direction: 'out' },
            ],
          },
        ],
        signals: [{ name: 'S', annotations: {}, args: [{ type: 'as' }] }],
        properties: [{ name: 'P', type: 'a{sv}', access: 'write', annotations: {} }],
      },
    ]);
    assert.deepEqual(node.children, ['child1', 'child2']);
  });

  test('unknown elements and attributes are ignored; bad access falls back to read', () => {
    const node = parseIntrospectionXml(
      `<node xmlns:doc="http://x"><doc:doc/><interface name="a.B" extra="1"><doc:x><method name="N"/></doc:x><property name="P" type="s" access="bogus"/></interface></node>`,
    );
    assert.deepEqual(node.interfaces[0]?.methods, []);
    assert.equal(node.interfaces[0]?.properties[0]?.access, 'read');
  });

  test('an empty <node/> is valid', () => {
    assert.deepEqual(parseIntrospectionXml('<node/>'), { interfaces: [], children: [], xml: '<node/>' });
  });

  for (const [what, xml] of [
    ['empty input', ''],
    ['no root element', '<!-- only a comment -->'],
    ['wrong root', '<interface name="a.B"/>'],
    ['unclosed element', '<node><interface name="a.B">'],
    ['mismatched closing tag', '<node><interface name="a.B"></node></interface>'],
    ['stray closing tag', '</node>'],
    ['two roots', '<node/><node/>'],
    ['unquoted attribute', '<node><interface name=a.B/></node>'],
    ['unknown entity', '<node><interface name="&nbsp;"/></node>'],
    ['duplicate attribute', '<node><interface name="a.B" name="c.D"/></node>'],
    ['unterminated comment', '<node><!-- </node>'],
    ['< inside an attribute', '<node><interface name="a<b"/></node>'],
  ] as const) {
    test(`malformed XML is refused: ${what}`, () => {
      assert.throws(
        () => parseIntrospectionXml(xml),
        (e: unknown) => e instanceof AppError && e.code === 'INTROSPECTION_FAILED',
      );
    });
  }
});
