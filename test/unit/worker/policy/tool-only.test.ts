import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../../../src/worker/policy/decide.js';
import type { OperationRequest } from '../../../../src/worker/policy/resolve.js';
import { parseRules } from '../../../../src/worker/policy/rules.js';

/** Issue 12 §7: the screenshot methods that write where the caller says are the task tools' only. */
describe('methods only a task tool may send', () => {
  const req = (over: Partial<OperationRequest>): OperationRequest => ({
    bus: 'session',
    destination: 'org.gnome.Shell.Screenshot',
    path: '/org/gnome/Shell/Screenshot',
    interface: 'org.gnome.Shell.Screenshot',
    member: 'ScreenshotWindow',
    access: 'call',
    args: [true, false, false, '/home/u/.bashrc'],
    ...over,
  });
  const open = {
    level: 'low' as const,
    rules: parseRules('allow * * * * *', 'all.rules'),
    askKinds: new Set<never>(),
  };

  const writers: Partial<OperationRequest>[] = [
    { member: 'Screenshot', args: [false, false, '/tmp/x'] },
    { member: 'ScreenshotWindow' },
    { member: 'ScreenshotArea', args: [0, 0, 1, 1, false, '/tmp/x'] },
    // GNOME Shell's interface reached through the shell's main name (the same connection).
    { destination: 'org.gnome.Shell' },
    // Cinnamon copies GNOME's methods on its own interface.
    { destination: 'org.Cinnamon', path: '/org/Cinnamon', interface: 'org.Cinnamon', member: 'Screenshot' },
    {
      destination: 'org.Cinnamon',
      path: '/org/Cinnamon',
      interface: 'org.Cinnamon',
      member: 'ScreenshotArea',
    },
    // GNOME Shell's screen recording to a file template.
    {
      destination: 'org.gnome.Shell.Screencast',
      path: '/org/gnome/Shell/Screencast',
      interface: 'org.gnome.Shell.Screencast',
      member: 'Screencast',
      args: ['/home/u/.bashrc', {}],
    },
    {
      destination: 'org.gnome.Shell.Screencast',
      path: '/org/gnome/Shell/Screencast',
      interface: 'org.gnome.Shell.Screencast',
      member: 'ScreencastArea',
      args: [0, 0, 1, 1, '/home/u/.bashrc', {}],
    },
  ];
  for (const w of writers) {
    it(`a generic ${w.interface ?? 'org.gnome.Shell.Screenshot'} ${w.member ?? 'ScreenshotWindow'} on ${w.destination ?? 'org.gnome.Shell.Screenshot'} is forbidden under allow * * * * * at low`, async () => {
      const d = await decide(req(w), undefined, open);
      assert.equal(d.verdict, 'deny');
      assert.equal(d.kind, 'forbidden');
      assert.equal(d.classifiedBy, 'floor');
      assert.match(d.reason, /writes to whatever file the caller names/);
    });
  }

  it('without an interface it is refused too (judged on the interface introspection finds, or not sent)', async () => {
    const d = await decide(req({ interface: undefined, member: 'Screenshot' }), undefined, open);
    assert.equal(d.verdict, 'deny');
  });

  it('the screenshot tools (their request declares its kind) still send it, judged as a screenshot', async () => {
    const d = await decide(req({ kind: 'screenshot' }), undefined, { ...open, rules: [] });
    assert.equal(d.verdict, 'allow');
    assert.equal(d.kind, 'screenshot');
  });

  it('what does not write to a given file stays as it was: FlashArea, SelectArea, another service Screenshot', async () => {
    for (const over of [
      { member: 'FlashArea', args: [0, 0, 1, 1] },
      { member: 'SelectArea', args: [] },
    ]) {
      const d = await decide(req(over), undefined, { ...open, rules: [], level: 'medium' });
      assert.equal(d.kind, 'screenshot', over.member);
      assert.equal(d.verdict, 'allow', over.member);
    }
    const other = await decide(
      req({
        destination: 'com.example.Shots',
        path: '/',
        interface: 'com.example.Shots',
        member: 'Screenshot',
      }),
      undefined,
      open,
    );
    assert.notEqual(other.kind, 'forbidden');
  });
});
