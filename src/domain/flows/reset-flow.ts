import { fail } from '../errors/sspr-error.js';
import type { Flow, ResetFlowState } from '../model/flow.js';
import type { MethodName } from '../model/sspr-policy.js';

/** A reset session lasts 15 minutes from its start (Entra). */
export const FLOW_TTL_MS = 15 * 60_000;

export type ResetFlowEvent =
  | { readonly type: 'gate_passed'; readonly method: MethodName }
  | { readonly type: 'password_reset' }
  | { readonly type: 'account_unlocked' }
  | { readonly type: 'failed' };

/** The transition table: which events each state accepts. */
const transitions: Readonly<Record<ResetFlowState, readonly ResetFlowEvent['type'][]>> = {
  choose_method: ['gate_passed', 'failed'],
  new_password: ['password_reset', 'account_unlocked', 'failed'],
  completed: [],
  failed: [],
};

export function isExpired(flow: Flow, now: Date): boolean {
  return now.toISOString() >= flow.expiresAt;
}

/** Every load of a flow goes through this: 410 once expired, 409 once finished. */
export function assertFlowUsable(flow: Flow, now: Date): void {
  if (flow.state === 'completed' || flow.state === 'failed') fail('FLOW_INVALID_STATE');
  if (isExpired(flow, now)) fail('FLOW_EXPIRED');
}

/** Pure: the next flow for an event, or an SsprError for an invalid transition or an expired flow. */
export function advance(flow: Flow, event: ResetFlowEvent, now: Date): Flow {
  assertFlowUsable(flow, now);
  if (!transitions[flow.state].includes(event.type)) {
    fail('FLOW_INVALID_STATE', { details: { state: flow.state, event: event.type } });
  }
  const next = { ...flow, version: flow.version + 1, submitCount: flow.submitCount + 1 };
  switch (event.type) {
    case 'gate_passed': {
      if (flow.gatesPassed.includes(event.method)) fail('METHOD_ALREADY_USED');
      const gatesPassed = [...flow.gatesPassed, event.method];
      const { [event.method]: _done, ...challenges } = flow.context.challenges;
      return {
        ...next,
        gatesPassed,
        context: { ...flow.context, challenges },
        state: gatesPassed.length >= flow.gatesRequired ? 'new_password' : 'choose_method',
      };
    }
    case 'password_reset':
    case 'account_unlocked':
      return { ...next, state: 'completed', completedAt: now.toISOString() };
    case 'failed':
      return { ...next, state: 'failed', completedAt: now.toISOString() };
  }
}

/** Methods still offered for the next gate: a second gate must use a different method. */
export function remainingMethods(flow: Flow): MethodName[] {
  return flow.context.offered.map((o) => o.method).filter((m) => !flow.gatesPassed.includes(m));
}
