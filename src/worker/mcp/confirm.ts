import type { InputRequiredResult, ServerContext } from '@modelcontextprotocol/server';
import { CLIENT_CAPABILITIES_META_KEY, acceptedContent, inputRequired } from '@modelcontextprotocol/server';
import type { ConfirmFn } from '../policy/index.js';

const CONFIRM_SCHEMA = {
  type: 'object' as const,
  properties: { allow: { type: 'boolean' as const, title: 'Allow this operation?' } },
  required: ['allow'],
};

/**
 * A 2026-era client has to ask its human before the operation may run: the tool answers with an
 * input_required result, the client elicits and retries the same call with the answer.
 */
export class ConfirmationNeeded extends Error {
  constructor(
    readonly key: string,
    readonly question: string,
  ) {
    super('confirmation needed from the human');
    this.name = 'ConfirmationNeeded';
  }
}

/**
 * The policy's way to ask the human for this request. 2025 era: an elicitation request (the SDK
 * throws when the client did not declare elicitation, which the policy counts as "cannot ask").
 * 2026-07-28 era: the answer arrives in the retried request's inputResponses under the key the
 * policy derived from the full operation (never from the text shown); without one, `onNeeded`
 * learns what to ask and the call is refused for now.
 * The answer is the client's word in both eras, exactly as much as an elicitation result is.
 */
export function confirmerFor(ctx: ServerContext, onNeeded: (needed: ConfirmationNeeded) => void): ConfirmFn {
  const modern = ctx.mcpReq.envelope !== undefined;
  return async ({ question, key: operationKey }, options) => {
    if (modern) {
      // The SDK types the envelope as {}; its client-capabilities key is documented wire format.
      const envelope = ctx.mcpReq.envelope as Record<string, { elicitation?: unknown } | undefined>;
      const capabilities = envelope[CLIENT_CAPABILITIES_META_KEY];
      if (!capabilities?.elicitation) throw new Error('the client did not declare elicitation');
      const key = `confirm_${operationKey.slice(0, 32)}`;
      const responses = ctx.mcpReq.inputResponses;
      if (responses && key in responses) return acceptedContent(responses, key)?.allow === true;
      const needed = new ConfirmationNeeded(key, question);
      onNeeded(needed);
      throw needed;
    }
    const answer = await ctx.mcpReq.elicitInput(
      { mode: 'form', message: question, requestedSchema: CONFIRM_SCHEMA },
      { signal: options?.signal },
    );
    return answer.action === 'accept' && answer.content?.allow === true;
  };
}

/** The input_required result that makes a 2026-era client ask and retry. */
export function confirmationRequest(needed: ConfirmationNeeded): InputRequiredResult {
  return inputRequired({
    inputRequests: {
      [needed.key]: inputRequired.elicit({
        mode: 'form',
        message: needed.question,
        requestedSchema: CONFIRM_SCHEMA,
      }),
    },
  });
}
