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

/** Every word the mock's Act received. */
async function actWords(): Promise<string[]> {
  const [calls] = (await mockCall(bus, mock, 'GetCalls', '', [])) as [[unknown, string, unknown[]][]];
  return calls.filter((c) => c[1] === 'Act').map((c) => String((c[2][0] as { value?: unknown }).value));
}

describe('a confirmation fits one operation only (issue 12 §5)', () => {
  const base = 'x'.repeat(600);

  test('2025 era: an operation that differs after the cut is asked about again, and a no stops it', async () => {
    const s = await connectInMemory({
      era: '2025',
      settings: {
        SAFETY_LEVEL: 'low',
        ASK_KINDS: 'call',
        SESSION_BUS_ADDRESS: bus.address,
        SYSTEM_BUS_ADDRESS: bus.address,
      },
      capabilities: { elicitation: { form: {} } },
    });
    try {
      const questions: string[] = [];
      s.client.setRequestHandler('elicitation/create', async (request) => {
        const message = String((request.params as { message?: string }).message);
        questions.push(message);
        // The human agrees to the first operation only.
        return questions.length === 1
          ? { action: 'accept', content: { allow: true } }
          : { action: 'decline' };
      });
      assert.equal((await act(s, `${base} one`)).isError, undefined);
      const second = await act(s, `${base} two`);
      assert.equal(second.isError, true, resultText(second));
      assert.equal(questions.length, 2, 'the second operation was asked about on its own');
      assert.match(
        questions[0] as string,
        /arguments shown cut to \d+ of \d+ characters; digest of the full arguments sha256:/,
      );
      assert.equal(
        questions[0]?.split(' (arguments')[0],
        questions[1]?.split(' (arguments')[0],
        'the texts agree up to the cut',
      );
      assert.notEqual(questions[0], questions[1], 'the digests tell them apart');
      const words = await actWords();
      assert.ok(words.includes(`${base} one`));
      assert.ok(!words.includes(`${base} two`), 'the declined operation never reached the service');
    } finally {
      await s.close();
    }
  });

  test('2026 era: an answer given for one operation never runs another that differs after the cut', async () => {
    const s = await connectInMemory({
      era: '2026',
      settings: {
        SAFETY_LEVEL: 'low',
        ASK_KINDS: 'call',
        SESSION_BUS_ADDRESS: bus.address,
        SYSTEM_BUS_ADDRESS: bus.address,
      },
      capabilities: { elicitation: { form: {} } },
      clientOptions: { inputRequired: { autoFulfill: false } },
    });
    try {
      const args = (word: string) => ({
        service: 'com.example.Ask',
        path: PATH,
        interface: IFACE,
        method: 'Act',
        args: [word],
      });
      type Asked = { resultType?: string; inputRequests?: Record<string, { params?: { message?: string } }> };
      // Manual mode: the client sees the input_required result and answers (or attacks) itself.
      const call = (params: Record<string, unknown>) =>
        s.client.request(
          { method: 'tools/call', params } as never,
          { allowInputRequired: true } as never,
        ) as Promise<unknown>;
      const first = (await call({ name: 'call_method', arguments: args(`${base} shown`) })) as Asked;
      assert.equal(first.resultType, 'input_required', JSON.stringify(first));
      const [key] = Object.keys(first.inputRequests ?? {});
      assert.ok(key, 'a key to answer under');
      assert.match(
        String(first.inputRequests?.[key]?.params?.message),
        /digest of the full arguments sha256:/,
      );
      const yes = { [key]: { action: 'accept', content: { allow: true } } };
      // The attack: the answer for the operation shown, attached to one that differs after the cut.
      const other = (await call({
        name: 'call_method',
        arguments: args(`${base} hidden`),
        inputResponses: yes,
      }).catch((e: unknown) => e)) as Asked | Error;
      // It needs an answer of its own: it comes back input_required (which the SDK raises as an error
      // for a request that already carried answers).
      const again =
        other instanceof Error ? /input_required/.test(other.message) : other.resultType === 'input_required';
      assert.ok(again, `the other operation was not asked about again: ${String(other)}`);
      if (!(other instanceof Error)) assert.ok(!Object.keys(other.inputRequests ?? {}).includes(key));
      assert.ok(
        !(await actWords()).includes(`${base} hidden`),
        'the other operation never reached the service',
      );
      // The answer still fits the operation it was given for.
      const same = (await call({
        name: 'call_method',
        arguments: args(`${base} shown`),
        inputResponses: yes,
      })) as {
        isError?: boolean;
        structuredContent?: { values?: unknown[] };
      };
      assert.equal(same.isError, undefined, JSON.stringify(same));
      assert.deepEqual(same.structuredContent?.values, [`done ${base} shown`]);
    } finally {
      await s.close();
    }
  });
});
