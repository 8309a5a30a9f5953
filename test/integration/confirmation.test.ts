import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MockService, TestBus } from '../helpers/buses.js';
import { addMockMethod, mockCall, startMock, startSessionBus } from '../helpers/buses.js';
import '../helpers/cleanup.js';
import type { Era } from '../helpers/mcp.js';
import { callTool, connectInMemory, resultText } from '../helpers/mcp.js';

const IFACE = 'com.example.Ask';
const PATH = '/com/example/Ask';
let bus: TestBus;
let mock: MockService;

before(async () => {
  bus = await startSessionBus();
  mock = await startMock(bus, ['com.example.Ask', PATH, IFACE]);
  await addMockMethod(bus, mock, {
    interface: IFACE,
    name: 'Act',
    inSig: 's',
    outSig: 's',
    code: 'ret = "done " + args[0]',
  });
});
after(async () => {
  await mock?.stop();
  await bus?.stop();
});

async function actCalls(): Promise<number> {
  const [calls] = (await mockCall(bus, mock, 'GetCalls', '', [])) as [unknown[][]];
  return calls.filter((c) => c[1] === 'Act').length;
}

async function session(era: Era, answer: 'accept' | 'decline' | 'none') {
  const s = await connectInMemory({
    era,
    settings: {
      SAFETY_LEVEL: 'low',
      ASK_KINDS: 'call',
      SESSION_BUS_ADDRESS: bus.address,
      SYSTEM_BUS_ADDRESS: bus.address,
    },
    capabilities: answer === 'none' ? {} : { elicitation: { form: {} } },
  });
  const questions: string[] = [];
  if (answer !== 'none') {
    s.client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(String((request.params as { message?: string }).message));
      return answer === 'accept' ? { action: 'accept', content: { allow: true } } : { action: 'decline' };
    });
  }
  return { s, questions };
}

const act = (s: Awaited<ReturnType<typeof connectInMemory>>, word: string) =>
  callTool(s.client, 'call_method', {
    service: 'com.example.Ask',
    path: PATH,
    interface: IFACE,
    method: 'Act',
    args: [word],
  });

for (const era of ['2025', '2026'] as const) {
  describe(`confirmation of "ask" operations (${era} era)`, () => {
    test('the human accepts: the call runs', async () => {
      const { s, questions } = await session(era, 'accept');
      try {
        const before = await actCalls();
        const r = await act(s, 'yes');
        assert.equal(r.isError, undefined, resultText(r));
        assert.deepEqual(r.structuredContent?.values, ['done yes']);
        assert.equal(questions.length, 1);
        assert.match(questions[0] as string, /Act/);
        assert.equal(await actCalls(), before + 1);
      } finally {
        await s.close();
      }
    });

    test('the human declines: refused, nothing sent', async () => {
      const { s, questions } = await session(era, 'decline');
      try {
        const before = await actCalls();
        const r = await act(s, 'no');
        assert.equal(r.isError, true);
        assert.match(resultText(r), /declined/);
        assert.equal(questions.length, 1);
        assert.equal(await actCalls(), before);
      } finally {
        await s.close();
      }
    });

    test('a client that cannot ask: refused, nothing sent', async () => {
      const { s } = await session(era, 'none');
      try {
        const before = await actCalls();
        const r = await act(s, 'maybe');
        assert.equal(r.isError, true, resultText(r));
        assert.equal(await actCalls(), before);
      } finally {
        await s.close();
      }
    });
  });
}
