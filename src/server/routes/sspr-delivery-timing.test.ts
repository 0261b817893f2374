/**
 * A slow mail provider must not tell known users from unknown ones: the gate's code is delivered
 * until the timing floor at most, the answer leaves on time, and delivery (or its failure, audited,
 * with the code voided) finishes afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auditOf, createUser, patchPolicy, startFlow } from '../../../test/support/actions.js';
import { createTestApp, type TestApp } from '../../../test/support/test-app.js';
import type { MailMessage } from '../../domain/ports/mailer.js';

const FLOOR_MS = 150;
const SLOW_MS = 1_500;

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A mailer that takes SLOW_MS per message, then delivers (or fails). */
function slowMailer(fails: boolean) {
  const delivered: MailMessage[] = [];
  return {
    delivered,
    mailer: {
      send: async (message: MailMessage) => {
        await wait(SLOW_MS);
        if (fails) throw new Error('smtp timeout');
        delivered.push(message);
      },
    },
  };
}

async function timedChallenge(flowId: string): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const res = await t.request('POST', `/api/v1/sspr/flows/${flowId}/challenge`, {
    body: { method: 'email' },
  });
  return { ms: performance.now() - started, status: res.statusCode };
}

async function emailFlow(upn: string): Promise<string> {
  const start = await startFlow(t, upn);
  expect(start.statusCode, start.body).toBe(201);
  return start.json<{ flowId: string }>().flowId;
}

describe('email gate with a slow mail provider', () => {
  it('answers a known user on the floor, like an unknown one, and delivers afterwards', async () => {
    const slow = slowMailer(false);
    t = await createTestApp({ mailer: slow.mailer, timingFloorMs: FLOOR_MS });
    await patchPolicy(t, { enabledFor: 'all' });
    await createUser(t, 'ann@contoso.com', { email: 'ann@example.org' });

    // Without the fix the answer would wait the provider's 1.5 s; an unknown user's waits the
    // floor alone (the emulation sends nothing).
    const known = await timedChallenge(await emailFlow('ann@contoso.com'));
    expect(known.status).toBe(200);
    expect(known.ms).toBeGreaterThanOrEqual(FLOOR_MS - 5);
    expect(known.ms).toBeLessThan(FLOOR_MS + 400);

    expect(slow.delivered).toEqual([]);
    await wait(SLOW_MS + 200);
    expect(slow.delivered.map((m) => m.to)).toEqual(['ann@example.org']);
  });

  it('audits a delivery that fails after the answer', async () => {
    const slow = slowMailer(true);
    t = await createTestApp({ mailer: slow.mailer, timingFloorMs: FLOOR_MS });
    await patchPolicy(t, { enabledFor: 'all' });
    await createUser(t, 'ann@contoso.com', { email: 'ann@example.org' });

    const flowId = await emailFlow('ann@contoso.com');
    const answer = await timedChallenge(flowId);
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(SLOW_MS / 2);
    await wait(SLOW_MS + 200);
    const failures = (
      await auditOf(t, 'Self-service password reset flow activity progress')
    ).filter((e) => e.result === 'failure');
    expect(failures.map((e) => e.resultReason)).toContain(
      'Could not deliver the email verification code',
    );
  });
});
