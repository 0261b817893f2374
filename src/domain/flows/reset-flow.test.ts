import { describe, expect, it } from 'vitest';
import {
  FLOW_TTL_MS,
  advance,
  assertFlowUsable,
  isExpired,
  remainingMethods,
} from './reset-flow.js';
import { isSsprError } from '../errors/sspr-error.js';
import type { Flow } from '../model/flow.js';

const t0 = new Date('2026-01-15T09:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function flow(overrides: Partial<Flow> = {}): Flow {
  return {
    id: 'flow-1',
    kind: 'reset',
    state: 'choose_method',
    userId: 'u1',
    gatesRequired: 2,
    gatesPassed: [],
    context: {
      offered: [
        { method: 'totp', methodId: null, hint: 'app' },
        { method: 'email', methodId: 'm1', hint: 'a***@b.c' },
      ],
      challenges: { email: { method: 'email', codeId: 'c1', issuedAt: t0.toISOString() } },
      typedUserId: 'a@b.c',
      isAdmin: false,
      source: 'cloud',
    },
    submitCount: 0,
    correlationId: 'corr',
    issuedAt: t0.toISOString(),
    expiresAt: at(FLOW_TTL_MS).toISOString(),
    completedAt: null,
    version: 1,
    ...overrides,
  };
}

function errorName(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isSsprError(error) ? error.errorName : 'other';
  }
  return undefined;
}

describe('reset flow transitions', () => {
  it('passes gates one by one and moves to new_password once enough are passed', () => {
    const one = advance(flow(), { type: 'gate_passed', method: 'email' }, at(1000));
    expect(one.state).toBe('choose_method');
    expect(one.gatesPassed).toEqual(['email']);
    expect(one.version).toBe(2);
    expect(one.context.challenges.email).toBeUndefined(); // the used challenge is gone
    expect(remainingMethods(one)).toEqual(['totp']);
    const two = advance(one, { type: 'gate_passed', method: 'totp' }, at(2000));
    expect(two.state).toBe('new_password');
    expect(two.gatesPassed).toEqual(['email', 'totp']);
    expect(remainingMethods(two)).toEqual([]);
  });

  it('needs one gate when one is required', () => {
    const next = advance(
      flow({ gatesRequired: 1 }),
      { type: 'gate_passed', method: 'totp' },
      at(1),
    );
    expect(next.state).toBe('new_password');
  });

  it('refuses the same method twice (a second gate must be different)', () => {
    const one = advance(flow(), { type: 'gate_passed', method: 'email' }, at(1));
    expect(errorName(() => advance(one, { type: 'gate_passed', method: 'email' }, at(2)))).toBe(
      'METHOD_ALREADY_USED',
    );
  });

  it('refuses a reset before the gates and anything after completion', () => {
    expect(errorName(() => advance(flow(), { type: 'password_reset' }, at(1)))).toBe(
      'FLOW_INVALID_STATE',
    );
    const ready = flow({ state: 'new_password', gatesPassed: ['email', 'totp'] });
    const done = advance(ready, { type: 'password_reset' }, at(5));
    expect(done.state).toBe('completed');
    expect(done.completedAt).toBe(at(5).toISOString());
    expect(errorName(() => advance(done, { type: 'account_unlocked' }, at(6)))).toBe(
      'FLOW_INVALID_STATE',
    );
    expect(
      errorName(() => {
        assertFlowUsable(done, at(6));
      }),
    ).toBe('FLOW_INVALID_STATE');
  });

  it('unlock completes a flow whose gates are passed', () => {
    const ready = flow({ state: 'new_password', gatesPassed: ['email', 'totp'] });
    expect(advance(ready, { type: 'account_unlocked' }, at(1)).state).toBe('completed');
  });

  it('expires exactly at 15 minutes with FLOW_EXPIRED (410)', () => {
    const f = flow();
    expect(isExpired(f, at(FLOW_TTL_MS - 1))).toBe(false);
    expect(isExpired(f, at(FLOW_TTL_MS))).toBe(true);
    expect(
      errorName(() => advance(f, { type: 'gate_passed', method: 'totp' }, at(FLOW_TTL_MS))),
    ).toBe('FLOW_EXPIRED');
  });

  it('a failed flow accepts nothing more', () => {
    const failed = advance(flow(), { type: 'failed' }, at(1));
    expect(failed.state).toBe('failed');
    expect(errorName(() => advance(failed, { type: 'gate_passed', method: 'totp' }, at(2)))).toBe(
      'FLOW_INVALID_STATE',
    );
  });
});
