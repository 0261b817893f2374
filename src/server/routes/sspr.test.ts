import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import {
  ANSWERS,
  PASSWORD,
  createUser,
  lastCodeTo,
  nextTotp,
  patchPolicy,
  registerTotp,
  signIn,
  startFlow,
} from '../../../test/support/actions.js';
import { solveAltchaChallenge } from '../../../test/fixtures/altcha.js';

interface FlowBody {
  flowId: string;
  state: string;
  gatesRequired: number;
  methods: { method: string; hint: string }[];
  supportCode: string;
}

const NEW_PASSWORD = 'Velvet-Lamp-93!x';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
  await patchPolicy(t, { enabledFor: 'all' });
});
afterEach(async () => {
  await t.close();
});

async function userWithTotp(upn = 'ann@contoso.com') {
  const user = await createUser(t, upn, { givenName: 'Annabel', surname: 'Leeway' });
  const cookie = await signIn(t, upn);
  const secret = await registerTotp(t, cookie);
  return { user, cookie, secret };
}

describe('reset flow with an authenticator gate', () => {
  it('resets the password end to end and revokes other sessions', async () => {
    const { secret, cookie } = await userWithTotp();
    const start = await startFlow(t, 'Ann@Contoso.com');
    expect(start.statusCode).toBe(201);
    const flow = start.json<FlowBody>();
    expect(flow.state).toBe('choose_method');
    expect(flow.gatesRequired).toBe(1);
    expect(flow.methods.map((m) => m.method)).toEqual(['totp']);
    expect(flow.supportCode).toMatch(/^[0-9a-f-]{36}$/);

    const verify = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    expect(verify.statusCode, verify.body).toBe(200);
    expect(verify.json<FlowBody>().state).toBe('new_password');
    // The rules are shown before the user types the new password.
    const rules = verify
      .json<{ passwordPolicy: { id: string }[] }>()
      .passwordPolicy.map((r) => r.id);
    expect(rules).toEqual(expect.arrayContaining(['length.min', 'complexity.classes', 'banned']));
    expect(start.json<{ passwordPolicy?: unknown }>().passwordPolicy).toBeUndefined();

    const reset = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: NEW_PASSWORD },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json<FlowBody>().state).toBe('completed');

    // The old session is gone, the old password no longer works, the new one does.
    expect(errorCode(await t.request('GET', '/api/v1/me/methods', { cookie }))).toBe('SSPR_2001');
    const old = await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: 'ann@contoso.com', password: PASSWORD },
    });
    expect(errorCode(old)).toBe('SSPR_2003');
    await signIn(t, 'ann@contoso.com', NEW_PASSWORD, secret);

    // A finished flow cannot be used again.
    const again = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: 'Other-Pass-77!' },
    });
    expect(errorCode(again)).toBe('SSPR_3003');

    const audit = await t.request('GET', `/api/v1/admin/audit?correlationId=${flow.supportCode}`, {
      token: t.adminToken,
    });
    const activities = audit
      .json<{ items: { activity: string; result: string }[] }>()
      .items.map((e) => e.activity);
    expect(activities).toContain('Self-service password reset flow activity progress');
    const all = await t.request(
      'GET',
      '/api/v1/admin/audit?activity=Reset%20password%20(self-service)&result=success',
      { token: t.adminToken },
    );
    expect(all.json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('refuses a TOTP code that was already used (SSPR_3006)', async () => {
    const { secret } = await userWithTotp();
    const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
    const code = nextTotp(t, secret);
    const first = await startFlow(t, 'ann@contoso.com');
    const ok = await t.request(
      'POST',
      `/api/v1/sspr/flows/${first.json<FlowBody>().flowId}/verify`,
      { body: { method: 'totp', code } },
    );
    expect(ok.statusCode).toBe(200);
    const replay = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code },
    });
    expect(replay.statusCode).toBe(400);
    expect(errorCode(replay)).toBe('SSPR_3006');
  });

  it('answers a wrong code with SSPR_3004 and blocks after 5 failed proofs (SSPR_3008, Retry-After)', async () => {
    await userWithTotp();
    const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
    for (let i = 0; i < 5; i++) {
      const res = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
        body: { method: 'totp', code: '000000' },
      });
      expect(errorCode(res)).toBe('SSPR_3004');
    }
    const blocked = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: '000000' },
    });
    expect(blocked.statusCode).toBe(429);
    expect(errorCode(blocked)).toBe('SSPR_3008');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(23 * 3600);
    // A new flow for the same user is blocked too; 24 hours later it works again.
    expect(errorCode(await startFlow(t, 'ann@contoso.com'))).toBe('SSPR_3008');
    t.clock.advance(24 * 3600_000 + 1000);
    expect((await startFlow(t, 'ann@contoso.com')).statusCode).toBe(201);
    const blockedEvents = await t.request(
      'GET',
      '/api/v1/admin/audit?activity=Blocked%20from%20self-service%20password%20reset',
      { token: t.adminToken },
    );
    expect(blockedEvents.json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('allows 5 attempts per gate per hour, then throttles that gate (SSPR_3007)', async () => {
    const { secret } = await userWithTotp();
    for (let i = 0; i < 5; i++) {
      const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
      const res = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
        body: { method: 'totp', code: nextTotp(t, secret) },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
    const sixth = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    expect(sixth.statusCode).toBe(429);
    expect(errorCode(sixth)).toBe('SSPR_3007');
  });

  it('expires a flow after 15 minutes (410 SSPR_3002)', async () => {
    await userWithTotp();
    const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
    t.clock.advance(15 * 60_000 + 1);
    const res = await t.request('GET', `/api/v1/sspr/flows/${flow.flowId}`);
    expect(res.statusCode).toBe(410);
    expect(errorCode(res)).toBe('SSPR_3002');
  });

  it('answers 404 SSPR_3001 for an unknown flow id and 400 for a malformed one', async () => {
    expect(
      errorCode(await t.request('GET', '/api/v1/sspr/flows/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')),
    ).toBe('SSPR_3001');
    expect(errorCode(await t.request('GET', '/api/v1/sspr/flows/short'))).toBe('SSPR_1001');
  });

  it('refuses the new password before the gates are passed (SSPR_3014)', async () => {
    await userWithTotp();
    const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
    const res = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: NEW_PASSWORD },
    });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('SSPR_3014');
  });

  it('explains policy failures rule by rule, and refuses banned and too-long passwords', async () => {
    const { secret } = await userWithTotp();
    const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
    await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    const weak = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: 'short' },
    });
    expect(weak.statusCode).toBe(422);
    expect(errorCode(weak)).toBe('SSPR_4001');
    const failed = weak.json<{ error: { details: { failed: string[] } } }>().error.details.failed;
    expect(failed).toEqual(expect.arrayContaining(['length.min', 'complexity.classes']));
    const banned = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: 'Password123!' },
    });
    expect(errorCode(banned)).toBe('SSPR_4002');
    const named = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: 'Annabel#2024xyz' },
    });
    expect(errorCode(named)).toBe('SSPR_4002');
    const long = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: `Aa1!${'x'.repeat(300)}` },
    });
    expect(long.statusCode).toBe(400);
    expect(errorCode(long)).toBe('SSPR_4003');
    // Nothing was written: the old password still works.
    await signIn(t, 'ann@contoso.com', PASSWORD, secret);
  });
});

describe('unknown users are not revealed', () => {
  it('answers an unknown id like a known one and never lets it pass', async () => {
    await userWithTotp();
    const known = await startFlow(t, 'ann@contoso.com');
    const unknown = await startFlow(t, 'nobody@contoso.com');
    expect(unknown.statusCode).toBe(known.statusCode);
    const body = unknown.json<FlowBody>();
    expect(Object.keys(body).sort()).toEqual(Object.keys(known.json<FlowBody>()).sort());
    expect(body.methods.length).toBeGreaterThanOrEqual(1);
    // The same id gets the same methods every time.
    expect((await startFlow(t, 'nobody@contoso.com')).json<FlowBody>().methods).toEqual(
      body.methods,
    );
    const method = body.methods[0]?.method ?? 'totp';
    if (method === 'email') {
      const sent = await t.request('POST', `/api/v1/sspr/flows/${body.flowId}/challenge`, {
        body: { method },
      });
      expect(sent.statusCode).toBe(200);
    }
    const verify = await t.request('POST', `/api/v1/sspr/flows/${body.flowId}/verify`, {
      body: { method, code: '12345678' },
    });
    expect(errorCode(verify)).toBe('SSPR_3004');
  });

  it('pads anonymous steps to the timing floor for known and unknown ids alike', async () => {
    await t.close();
    t = await createTestApp({ timingFloorMs: 120 });
    await patchPolicy(t, { enabledFor: 'all' });
    await userWithTotp();
    for (const id of ['ann@contoso.com', 'nobody@contoso.com']) {
      const started = performance.now();
      const res = await startFlow(t, id);
      expect(res.statusCode).toBe(201);
      expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    }
  });

  it('treats a disabled account like an unknown one', async () => {
    await createUser(t, 'off@contoso.com', { accountEnabled: false, email: 'off@example.org' });
    const res = await startFlow(t, 'off@contoso.com');
    expect(res.statusCode).toBe(201);
    const flow = res.json<FlowBody>();
    const verify = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: flow.methods[0]?.method ?? 'totp', code: '123456' },
    });
    expect(verify.statusCode).toBeGreaterThanOrEqual(400);
    expect(t.outbox.list().filter((m) => m.to === 'off@example.org')).toHaveLength(0);
  });
});

describe('eligibility in Entra order', () => {
  it('SSPR_0009 when the tenant switch is off, even for admins', async () => {
    await userWithTotp();
    await patchPolicy(t, { enabled: false });
    expect(errorCode(await startFlow(t, 'ann@contoso.com'))).toBe('SSPR_0009');
    expect(errorCode(await startFlow(t, 'nobody@contoso.com'))).toBe('SSPR_0009');
  });

  it('SSPR_0011 when enabled for none', async () => {
    await userWithTotp();
    await patchPolicy(t, { enabledFor: 'none' });
    const res = await startFlow(t, 'ann@contoso.com');
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('SSPR_0011');
  });

  it('SSPR_0013 outside the selected group; nested membership counts', async () => {
    const { user } = await userWithTotp();
    const outer = (
      await t.request('POST', '/api/v1/admin/groups', {
        token: t.adminToken,
        body: { displayName: 'SSPR-Enabled-Users' },
      })
    ).json<{ id: string }>();
    const inner = (
      await t.request('POST', '/api/v1/admin/groups', {
        token: t.adminToken,
        body: { displayName: 'Finance' },
      })
    ).json<{ id: string }>();
    await patchPolicy(t, { enabledFor: 'selected', selectedGroupId: outer.id });
    expect(errorCode(await startFlow(t, 'ann@contoso.com'))).toBe('SSPR_0013');
    expect(errorCode(await startFlow(t, 'nobody@contoso.com'))).toBe('SSPR_0013');
    const nest = await t.request('POST', `/api/v1/admin/groups/${outer.id}/members`, {
      token: t.adminToken,
      body: { memberId: inner.id, memberType: 'group' },
    });
    expect(nest.statusCode).toBe(204);
    await t.request('POST', `/api/v1/admin/groups/${inner.id}/members`, {
      token: t.adminToken,
      body: { memberId: user.id },
    });
    expect((await startFlow(t, 'ann@contoso.com')).statusCode).toBe(201);
  });

  it('SSPR_0012 outside the eligibility list', async () => {
    await userWithTotp();
    await patchPolicy(t, { eligibility: { userPrincipalNames: ['someone@contoso.com'] } });
    expect(errorCode(await startFlow(t, 'ann@contoso.com'))).toBe('SSPR_0012');
    await patchPolicy(t, { eligibility: { userPrincipalNames: ['ANN@contoso.com'] } });
    expect((await startFlow(t, 'ann@contoso.com')).statusCode).toBe(201);
  });

  it('SSPR_0014 without enough registered methods', async () => {
    await createUser(t, 'bob@contoso.com');
    expect(errorCode(await startFlow(t, 'bob@contoso.com'))).toBe('SSPR_0014');
    await patchPolicy(t, { methodsRequired: 2 });
    await userWithTotp();
    expect(errorCode(await startFlow(t, 'ann@contoso.com'))).toBe('SSPR_0014');
  });

  it('admins: SSPR_009 when admin SSPR is off; otherwise two gates and never security questions', async () => {
    const admin = await createUser(t, 'root@contoso.com', {
      roles: ['globalAdministrator'],
      email: 'root@example.org',
    });
    expect(admin.id).toBeTruthy();
    const cookie = await signIn(t, 'root@contoso.com');
    // An admin outside the user policy's scope is still enabled (the administrator policy).
    await patchPolicy(t, { enabledFor: 'none', methods: { securityQuestions: true } });
    const secret = await registerTotp(t, cookie);
    const qs = await t.request('POST', '/api/v1/me/methods/securityQuestions', {
      cookie: await signIn(t, 'root@contoso.com', PASSWORD, secret),
      body: { answers: ANSWERS },
    });
    expect(errorCode(qs)).toBe('SSPR_3504');
    const start = await startFlow(t, 'root@contoso.com');
    expect(start.statusCode, start.body).toBe(201);
    const flow = start.json<FlowBody>();
    expect(flow.gatesRequired).toBe(2);
    expect(flow.methods.map((m) => m.method).sort()).toEqual(['email', 'totp']);
    await patchPolicy(t, { administrators: { allowedToUseSspr: false } });
    expect(errorCode(await startFlow(t, 'root@contoso.com'))).toBe('SSPR_009');
  });
});

describe('notifications when an administrator resets their own password', () => {
  it('mails every other administrator (roles and role groups), not the admin or plain users', async () => {
    await patchPolicy(t, {
      notifications: { notifyAdminsOnAdminReset: true, notifyUserOnReset: false },
    });
    await createUser(t, 'root@contoso.com', {
      roles: ['globalAdministrator'],
      email: 'root@example.org',
    });
    await createUser(t, 'other@contoso.com', {
      roles: ['passwordAdministrator'],
      email: 'other@example.org',
    });
    await createUser(t, 'plain@contoso.com', { email: 'plain@example.org' });
    const member = await createUser(t, 'member@contoso.com', { email: 'member@example.org' });
    const group = await t.request('POST', '/api/v1/admin/groups', {
      token: t.adminToken,
      body: { displayName: 'Helpdesk' },
    });
    const groupId = group.json<{ id: string }>().id;
    await t.request('POST', `/api/v1/admin/groups/${groupId}/members`, {
      token: t.adminToken,
      body: { memberId: member.id },
    });
    await patchPolicy(t, {
      administrators: { roleGroups: [{ role: 'helpdeskAdministrator', groupId }] },
    });

    // root resets through both gates (administrator policy: authenticator app + email).
    const secret = await registerTotp(t, await signIn(t, 'root@contoso.com'));
    const flow = (await startFlow(t, 'root@contoso.com')).json<FlowBody>();
    expect(flow.gatesRequired).toBe(2);
    await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/challenge`, {
      body: { method: 'email' },
    });
    const second = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'email', code: lastCodeTo(t, 'root@example.org') },
    });
    expect(second.json<FlowBody>().state).toBe('new_password');
    const before = t.outbox.list().length;
    const reset = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: 'Velvet-Lamp-93!x' },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    const notified = t.outbox
      .list()
      .slice(0, t.outbox.list().length - before)
      .filter((m) => /an administrator reset their password/.test(m.subject ?? ''))
      .map((m) => m.to)
      .sort();
    expect(notified).toEqual(['member@example.org', 'other@example.org']);
  });
});

describe('two gates with different methods', () => {
  it('needs two different methods; email code read from the outbox', async () => {
    const { secret } = await userWithTotp();
    await patchPolicy(t, { methodsRequired: 2 });
    await t.store.users.update(
      (await t.store.users.findByUpn('ann@contoso.com'))!.id,
      { email: 'ann@example.org' },
      t.clock.now().toISOString(),
    );
    const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
    expect(flow.gatesRequired).toBe(2);
    expect(flow.methods).toEqual([
      { method: 'totp', hint: 'Authenticator app code' },
      { method: 'email', hint: expect.stringMatching(/^an?\*+@example\.org$/) as unknown },
    ]);
    const first = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    expect(first.json<FlowBody>().state).toBe('choose_method');
    expect(first.json<FlowBody>().methods.map((m) => m.method)).toEqual(['email']);
    const again = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    expect(errorCode(again)).toBe('SSPR_3013');
    const noChallenge = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'email', code: '12345678' },
    });
    expect(errorCode(noChallenge)).toBe('SSPR_3017');
    const sent = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/challenge`, {
      body: { method: 'email' },
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const code = lastCodeTo(t, 'ann@example.org');
    const second = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'email', code },
    });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json<FlowBody>().state).toBe('new_password');
    const reset = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: NEW_PASSWORD },
    });
    expect(reset.statusCode).toBe(200);
    // The user is told about the reset (notifyUserOnReset defaults to on).
    expect(
      t.outbox
        .list()
        .some(
          (m) => m.to === 'ann@example.org' && (m.subject ?? '').includes('password was reset'),
        ),
    ).toBe(true);
  });

  it('expires an email code after 5 minutes and limits sends to 10 per 10 minutes', async () => {
    await createUser(t, 'eve@contoso.com', { email: 'eve@example.org' });
    const flow = (await startFlow(t, 'eve@contoso.com')).json<FlowBody>();
    await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/challenge`, {
      body: { method: 'email' },
    });
    const code = lastCodeTo(t, 'eve@example.org');
    t.clock.advance(5 * 60_000 + 1);
    const late = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'email', code },
    });
    expect(errorCode(late)).toBe('SSPR_3005');
    const flow2 = (await startFlow(t, 'eve@contoso.com')).json<FlowBody>();
    for (let i = 0; i < 9; i++) {
      const res = await t.request('POST', `/api/v1/sspr/flows/${flow2.flowId}/challenge`, {
        body: { method: 'email' },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const eleventh = await t.request('POST', `/api/v1/sspr/flows/${flow2.flowId}/challenge`, {
      body: { method: 'email' },
    });
    expect(eleventh.statusCode).toBe(429);
    expect(errorCode(eleventh)).toBe('SSPR_3009');
  });
});

describe('security questions gate', () => {
  it('asks the configured number of questions and starts over after a wrong answer', async () => {
    await patchPolicy(t, { methods: { securityQuestions: true } });
    await createUser(t, 'sam@contoso.com');
    const cookie = await signIn(t, 'sam@contoso.com');
    const reg = await t.request('POST', '/api/v1/me/methods/securityQuestions', {
      cookie,
      body: { answers: ANSWERS },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const flow = (await startFlow(t, 'sam@contoso.com')).json<FlowBody>();
    expect(flow.methods.map((m) => m.method)).toEqual(['securityQuestions']);
    const ask = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/challenge`, {
      body: { method: 'securityQuestions' },
    });
    const questions = ask.json<{ questions: { questionId: string; text: string }[] }>().questions;
    expect(questions).toHaveLength(3);
    expect(questions.every((q) => q.text.endsWith('?'))).toBe(true);
    const wrong = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: {
        method: 'securityQuestions',
        answers: questions.map((q) => ({ questionId: q.questionId, answer: 'wrong' })),
      },
    });
    expect(errorCode(wrong)).toBe('SSPR_3016');
    const stale = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'securityQuestions', answers: ANSWERS },
    });
    expect(errorCode(stale)).toBe('SSPR_3017');
    const ask2 = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/challenge`, {
      body: { method: 'securityQuestions' },
    });
    const ids = ask2
      .json<{ questions: { questionId: string }[] }>()
      .questions.map((q) => q.questionId);
    const right = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: {
        method: 'securityQuestions',
        // Answers are normalised: case and spacing do not matter.
        answers: ids.map((id) => ({
          questionId: id,
          answer: `  ${(ANSWERS.find((a) => a.questionId === id)?.answer ?? '').toUpperCase()} `,
        })),
      },
    });
    expect(right.statusCode, right.body).toBe(200);
    expect(right.json<FlowBody>().state).toBe('new_password');
  });
});

describe('unlock, CAPTCHA and request hygiene', () => {
  it('unlock-only: SSPR_3015 when the policy forbids it, SSPR_3018 for a cloud account', async () => {
    const { secret } = await userWithTotp();
    const flow = (await startFlow(t, 'ann@contoso.com')).json<FlowBody>();
    await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    expect(errorCode(await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/unlock`))).toBe(
      'SSPR_3015',
    );
    await patchPolicy(t, { onPremises: { allowUnlockWithoutReset: true } });
    expect(errorCode(await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/unlock`))).toBe(
      'SSPR_3018',
    );
  });

  it('requires a solved CAPTCHA when enabled', async () => {
    await t.close();
    t = await createTestApp({ captcha: true });
    await patchPolicy(t, { enabledFor: 'all' });
    await userWithTotp();
    expect(errorCode(await startFlow(t, 'ann@contoso.com'))).toBe('SSPR_3010');
    const bad = await t.request('POST', '/api/v1/sspr/flows', {
      body: { userId: 'ann@contoso.com', captcha: 'bm90LWEtc29sdXRpb24=' },
    });
    expect(errorCode(bad)).toBe('SSPR_3011');
    const challenge = (await t.request('GET', '/api/v1/sspr/captcha')).json<unknown>();
    const solution = await solveAltchaChallenge(challenge);
    const ok = await t.request('POST', '/api/v1/sspr/flows', {
      body: { userId: 'ann@contoso.com', captcha: solution },
    });
    expect(ok.statusCode, ok.body).toBe(201);
    const replay = await t.request('POST', '/api/v1/sspr/flows', {
      body: { userId: 'ann@contoso.com', captcha: solution },
    });
    expect(errorCode(replay)).toBe('SSPR_3011');
  });

  it('validates bodies with stable codes', async () => {
    expect(errorCode(await t.request('POST', '/api/v1/sspr/flows', { body: {} }))).toBe(
      'SSPR_1001',
    );
    expect(
      errorCode(
        await t.request('POST', '/api/v1/sspr/flows', { body: { userId: 'x'.repeat(300) } }),
      ),
    ).toBe('SSPR_1001');
    expect(
      errorCode(
        await t.request('POST', '/api/v1/sspr/flows', { body: { userId: 'a@b.c', extra: 1 } }),
      ),
    ).toBe('SSPR_1001');
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sspr/flows',
      headers: { 'content-type': 'application/json' },
      payload: '{"userId":',
    });
    expect(errorCode(malformed)).toBe('SSPR_1009');
    const text = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sspr/flows',
      headers: { 'content-type': 'text/plain' },
      payload: 'userId=a',
    });
    expect(text.statusCode).toBe(415);
    expect(errorCode(text)).toBe('SSPR_1003');
    const big = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sspr/flows',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ userId: 'x'.repeat(70_000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(errorCode(big)).toBe('SSPR_1002');
    expect(errorCode(await t.request('GET', '/api/v1/nope'))).toBe('SSPR_1004');
    const verify = await t.request('POST', '/api/v1/sspr/flows/AAAAAAAAAAAAAAAAAAAAAAAA/verify', {
      body: { method: 'totp' },
    });
    expect(errorCode(verify)).toBe('SSPR_1001');
  });

  it('refuses cross-site browser requests (SSPR_1007) and accepts scripts without Origin', async () => {
    const cross = await t.request('POST', '/api/v1/sspr/flows', {
      body: { userId: 'a@contoso.com' },
      headers: { origin: 'https://evil.example' },
    });
    expect(cross.statusCode).toBe(403);
    expect(errorCode(cross)).toBe('SSPR_1007');
    const site = await t.request('POST', '/api/v1/sspr/flows', {
      body: { userId: 'a@contoso.com' },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(errorCode(site)).toBe('SSPR_1007');
    const same = await t.request('POST', '/api/v1/sspr/flows', {
      body: { userId: 'a@contoso.com' },
      headers: { origin: 'http://127.0.0.1:8080' },
    });
    expect(same.statusCode).toBe(201);
  });

  it('limits anonymous requests per IP (SSPR_1008 with Retry-After)', async () => {
    await t.close();
    t = await createTestApp({ perIpPerMinute: 3 });
    for (let i = 0; i < 3; i++)
      expect(
        errorCode(await t.request('POST', '/api/v1/password/check', { body: { password: 'x' } })),
      ).toBeUndefined();
    const limited = await t.request('POST', '/api/v1/password/check', { body: { password: 'x' } });
    expect(limited.statusCode).toBe(429);
    expect(errorCode(limited)).toBe('SSPR_1008');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    t.clock.advance(60_000);
    expect(
      (await t.request('POST', '/api/v1/password/check', { body: { password: 'x' } })).statusCode,
    ).toBe(200);
  });
});

describe('POST /password/check', () => {
  it('answers rule by rule and describes the policy', async () => {
    const res = await t.request('POST', '/api/v1/password/check', { body: { password: 'abc' } });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      ok: boolean;
      rules: { id: string; ok: boolean }[];
      policy: { id: string }[];
    }>();
    expect(body.ok).toBe(false);
    expect(body.rules.find((r) => r.id === 'length.min')?.ok).toBe(false);
    expect(body.policy.map((p) => p.id)).toContain('complexity.classes');
    const good = await t.request('POST', '/api/v1/password/check', {
      body: { password: NEW_PASSWORD },
    });
    expect(good.json<{ ok: boolean }>().ok).toBe(true);
    const banned = await t.request('POST', '/api/v1/password/check', {
      body: { password: 'Contoso2024!x' },
    });
    expect(
      banned.json<{ rules: { id: string; ok: boolean }[] }>().rules.find((r) => r.id === 'banned')
        ?.ok,
    ).toBe(false);
  });
});
