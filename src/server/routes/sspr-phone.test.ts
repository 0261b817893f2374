/** Reset flow gates sms, voice and officePhone: a code sent by text or call, masked hints, throttles. */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import { SsprError } from '../../domain/errors/sspr-error.js';
import {
  auditOf,
  createUser,
  lastMessageTo,
  patchPolicy,
  registerPhone,
  signIn,
  signInPassword,
  startFlow,
  wrongCode,
} from '../../../test/support/actions.js';

interface FlowBody {
  flowId: string;
  state: string;
  gatesRequired: number;
  gatesPassed: string[];
  methods: { method: string; hint: string }[];
}

const NEW_PASSWORD = 'Velvet-Lamp-93!x';
const MOBILE = '+48 601234567';
const OFFICE = '+1 4255550188';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

async function setUp(options: Parameters<typeof createTestApp>[0] = {}): Promise<void> {
  t = await createTestApp(options);
  await patchPolicy(t, {
    enabledFor: 'all',
    methods: { sms: true, voice: true, officePhone: true },
  });
}

/** A user who registered a mobile phone at /me/methods/phone (the code read from the outbox). */
async function userWithMobile(upn = 'ann@contoso.com', extra: Record<string, unknown> = {}) {
  await createUser(t, upn, extra);
  await registerPhone(t, await signIn(t, upn), 'mobile', MOBILE);
  t.outbox.clear();
}

const challenge = (flowId: string, method: string) =>
  t.request('POST', `/api/v1/sspr/flows/${flowId}/challenge`, { body: { method } });
const verify = (flowId: string, method: string, code: string) =>
  t.request('POST', `/api/v1/sspr/flows/${flowId}/verify`, { body: { method, code } });

async function flowFor(upn: string): Promise<FlowBody> {
  const res = await startFlow(t, upn);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<FlowBody>();
}

describe('phone gates', () => {
  it('resets with a text message code read from the outbox', async () => {
    await setUp();
    await userWithMobile();
    const flow = await flowFor('ann@contoso.com');
    expect(flow.methods).toEqual([
      { method: 'sms', hint: '+48 ••••••• 67' },
      { method: 'voice', hint: '+48 ••••••• 67' },
    ]);
    const sent = await challenge(flow.flowId, 'sms');
    expect(sent.statusCode, sent.body).toBe(200);
    const body = sent.json<{ method: string; sent: boolean; codeExpiresAt: string }>();
    expect(body).toMatchObject({ method: 'sms', sent: true });
    expect(Date.parse(body.codeExpiresAt) - t.clock.now().getTime()).toBe(5 * 60_000);
    const text = lastMessageTo(t, MOBILE);
    expect(text.channel).toBe('sms');

    const passed = await verify(flow.flowId, 'sms', text.code);
    expect(passed.statusCode, passed.body).toBe(200);
    expect(passed.json<FlowBody>()).toMatchObject({ state: 'new_password', gatesPassed: ['sms'] });
    const reset = await t.request('POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: NEW_PASSWORD },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await signInPassword(t, 'ann@contoso.com', NEW_PASSWORD)).body.userPrincipalName).toBe(
      'ann@contoso.com',
    );
    const resets = await auditOf(t, 'Reset password (self-service)');
    expect(resets[0]?.details).toMatchObject({ methods: ['sms'] });
  });

  it('calls for the voice gate; text and call to one mobile phone count as one method', async () => {
    await setUp();
    await patchPolicy(t, { methodsRequired: 2 });
    await userWithMobile();
    // A mobile phone alone is not two methods (Entra's "Mobile phone").
    expect(errorCode(await startFlow(t, 'ann@contoso.com'))).toBe('SSPR_0014');
    await t.store.users.update(
      (await t.store.users.findByUpn('ann@contoso.com'))?.id ?? '',
      { officePhone: OFFICE },
      t.clock.now().toISOString(),
    );
    const flow = await flowFor('ann@contoso.com');
    expect(flow.gatesRequired).toBe(2);
    expect(flow.methods.map((m) => m.method)).toEqual(['sms', 'voice', 'officePhone']);
    expect((await challenge(flow.flowId, 'voice')).statusCode).toBe(200);
    const call = lastMessageTo(t, MOBILE);
    expect(call.channel).toBe('voice');
    const first = await verify(flow.flowId, 'voice', call.code);
    expect(first.statusCode, first.body).toBe(200);
    // The text to the same phone is used up with the call.
    expect(first.json<FlowBody>()).toMatchObject({
      state: 'choose_method',
      gatesPassed: ['voice'],
      methods: [{ method: 'officePhone', hint: '+1 •••••••• 88' }],
    });
    const again = await challenge(flow.flowId, 'sms');
    expect(again.statusCode).toBe(409);
    expect(errorCode(again)).toBe('SSPR_3013');
    expect((await challenge(flow.flowId, 'officePhone')).statusCode).toBe(200);
    const second = await verify(flow.flowId, 'officePhone', lastMessageTo(t, OFFICE).code);
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json<FlowBody>()).toMatchObject({
      state: 'new_password',
      gatesPassed: ['voice', 'officePhone'],
    });
  });

  it("uses the admin's pre-populated office phone with a voice call", async () => {
    await setUp();
    await createUser(t, 'bob@contoso.com', { officePhone: '+1 (425) 555-0188' });
    const flow = await flowFor('bob@contoso.com');
    expect(flow.methods).toEqual([{ method: 'officePhone', hint: '+1 •••••••• 88' }]);
    expect((await challenge(flow.flowId, 'officePhone')).statusCode).toBe(200);
    const call = lastMessageTo(t, OFFICE);
    expect(call.channel).toBe('voice');
    const passed = await verify(flow.flowId, 'officePhone', call.code);
    expect(passed.statusCode, passed.body).toBe(200);
    expect(passed.json<FlowBody>().state).toBe('new_password');
  });

  it('refuses a wrong code (SSPR_3004), an expired one (SSPR_3005), and a verify before a challenge', async () => {
    await setUp();
    await userWithMobile();
    const flow = await flowFor('ann@contoso.com');
    const early = await verify(flow.flowId, 'sms', '12345678');
    expect(early.statusCode).toBe(409);
    expect(errorCode(early)).toBe('SSPR_3017');
    await challenge(flow.flowId, 'sms');
    const { code } = lastMessageTo(t, MOBILE);
    const wrong = await verify(flow.flowId, 'sms', wrongCode(code));
    expect(errorCode(wrong)).toBe('SSPR_3004');
    t.clock.advance(5 * 60_000);
    expect(errorCode(await verify(flow.flowId, 'sms', code))).toBe('SSPR_3005');
    const failures = await auditOf(t, 'Self-service password reset flow activity progress', {
      result: 'failure',
    });
    expect(failures.map((e) => e.resultReason)).toContain(
      'User failed the sms verification (CODE_INVALID)',
    );
  });

  it('throttles texts like emails: the 11th in 10 minutes answers 429 SSPR_3019 and is audited', async () => {
    await setUp();
    await userWithMobile(); // the registration text counts too (one counter per account)
    const flow = await flowFor('ann@contoso.com');
    for (let i = 0; i < 9; i++) expect((await challenge(flow.flowId, 'sms')).statusCode).toBe(200);
    const blocked = await challenge(flow.flowId, 'voice');
    expect(blocked.statusCode).toBe(429);
    expect(errorCode(blocked)).toBe('SSPR_3019');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(t.outbox.list()).toHaveLength(9);
    const blocks = await auditOf(t, 'Blocked from self-service password reset');
    expect(blocks[0]?.resultReason).toBe('Too many text messages or calls in 10 minutes');
  });

  it('throttles text and call to one mobile phone as one gate (5 attempts an hour)', async () => {
    await setUp();
    await userWithMobile('ann@contoso.com', { officePhone: OFFICE });
    const flow = await flowFor('ann@contoso.com');
    // Verify attempts count per gate whatever their outcome (here: no code sent yet).
    for (let i = 0; i < 5; i++)
      expect(errorCode(await verify(flow.flowId, 'sms', '12345678'))).toBe('SSPR_3017');
    const sixth = await verify(flow.flowId, 'sms', '12345678');
    expect(sixth.statusCode).toBe(429);
    expect(errorCode(sixth)).toBe('SSPR_3007');
    // The call to the same phone is the same gate: blocked too, nothing sent.
    for (const res of [
      await challenge(flow.flowId, 'voice'),
      await verify(flow.flowId, 'voice', '12345678'),
    ]) {
      expect(res.statusCode).toBe(429);
      expect(errorCode(res)).toBe('SSPR_3007');
    }
    expect(t.outbox.list()).toEqual([]);
    // Another method is another gate.
    expect((await challenge(flow.flowId, 'officePhone')).statusCode).toBe(200);
  });

  it('answers a failed delivery like a success, audits it, and logs no flow id, number or code', async () => {
    const logged: string[] = [];
    const record = (obj: object, msg: string) => {
      logged.push(JSON.stringify({ ...obj, msg }));
    };
    const sent: string[] = [];
    await setUp({
      sms: {
        send: (message) => {
          sent.push(message.code ?? '');
          return Promise.reject(new SsprError('SMS_DELIVERY_FAILED'));
        },
      },
      log: { warn: record, info: record },
    });
    await createUser(t, 'ann@contoso.com', { mobilePhone: MOBILE });
    const flow = await flowFor('ann@contoso.com');
    const res = await challenge(flow.flowId, 'sms');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ method: 'sms', sent: true });
    // The code that did not leave is void.
    expect(sent).toHaveLength(1);
    expect(errorCode(await verify(flow.flowId, 'sms', sent[0] ?? ''))).toBe('SSPR_3004');
    const failures = await auditOf(t, 'Self-service password reset flow activity progress', {
      result: 'failure',
    });
    expect(failures.map((e) => e.resultReason)).toContain(
      'Could not deliver the text message verification code',
    );
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('SSPR_8002');
    // The flow id is the capability of the flow: never in a log line.
    for (const secret of [flow.flowId, '601234567', sent[0] ?? ''])
      expect(logged[0]).not.toContain(secret);
  });

  it("honours the policy's switches per method", async () => {
    await setUp();
    await userWithMobile('ann@contoso.com', { officePhone: OFFICE });
    await patchPolicy(t, { methods: { sms: false } });
    expect((await flowFor('ann@contoso.com')).methods.map((m) => m.method)).toEqual([
      'voice',
      'officePhone',
    ]);
    await patchPolicy(t, { methods: { voice: false, officePhone: false } });
    const refused = await startFlow(t, 'ann@contoso.com');
    expect(errorCode(refused)).toBe('SSPR_0014');
  });

  it('offers no phone method without a provider, even with a pre-populated number', async () => {
    await setUp({ sms: null });
    await createUser(t, 'ann@contoso.com', { mobilePhone: MOBILE, email: 'ann@example.org' });
    const flow = await flowFor('ann@contoso.com');
    expect(flow.methods.map((m) => m.method)).toEqual(['email']);
    expect(errorCode(await challenge(flow.flowId, 'sms'))).toBe('SSPR_3012');
    // An unknown id is offered nothing a real user could not be offered either.
    for (const id of ['x1@contoso.com', 'x2@contoso.com', 'x3@contoso.com', 'x4@contoso.com']) {
      for (const m of (await flowFor(id)).methods) expect(['totp', 'email']).toContain(m.method);
    }
  });

  it('gives unknown ids phone hints shaped like the real ones, and sends nothing', async () => {
    await setUp();
    await patchPolicy(t, { methods: { totp: false, email: false, officePhone: false } });
    // Before any registration: North American-shaped numbers.
    const early = await flowFor('nobody@contoso.com');
    for (const m of early.methods) expect(m.hint).toMatch(/^\+1 •{8} \d\d$/);

    await userWithMobile(); // +48 601234567
    const real = await flowFor('ann@contoso.com');
    expect(real.methods.map((m) => m.hint)).toEqual(['+48 ••••••• 67', '+48 ••••••• 67']);
    const flow = await flowFor('nobody@contoso.com');
    expect(flow.methods.length).toBeGreaterThan(0);
    for (const m of flow.methods) {
      expect(['sms', 'voice']).toContain(m.method);
      expect(m.hint).toMatch(/^\+48 •{7} \d\d$/);
    }
    // The same id looks the same every time, and text and call share one number.
    expect((await flowFor('nobody@contoso.com')).methods).toEqual(flow.methods);
    expect(new Set(flow.methods.map((m) => m.hint)).size).toBe(1);
    const method = flow.methods[0]?.method ?? 'sms';
    const sent = await challenge(flow.flowId, method);
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toMatchObject({ method, sent: true });
    expect(t.outbox.list()).toEqual([]);
    expect(errorCode(await verify(flow.flowId, method, '12345678'))).toBe('SSPR_3004');
  });

  it('emulates unknown ids with two distinct methods when two gates are required', async () => {
    await setUp();
    await patchPolicy(t, { methodsRequired: 2, methods: { totp: false } });
    for (let i = 0; i < 12; i++) {
      const res = await startFlow(t, `nobody${String(i)}@contoso.com`);
      expect(res.statusCode, res.body).toBe(201);
      const offered = res.json<FlowBody>().methods.map((m) => m.method);
      // A mobile phone brings its text and its call, and never counts as the two methods alone.
      expect(offered.includes('sms')).toBe(offered.includes('voice'));
      expect(offered.filter((m) => m !== 'voice').length).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('sign-in second step by text message', () => {
  it('sends a code to the registered mobile phone and completes sign-in with it', async () => {
    await setUp();
    await userWithMobile();
    const { cookie, body } = await signInPassword(t, 'ann@contoso.com');
    expect(body.secondFactorRequired).toBe(true);
    expect(body.secondFactorMethods).toEqual([{ method: 'sms', hint: '+48 ••••••• 67' }]);
    const sent = await t.request('POST', '/api/v1/auth/sign-in/challenge', {
      cookie,
      body: { method: 'sms' },
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const { code, channel } = lastMessageTo(t, MOBILE);
    expect(channel).toBe('sms');
    const wrong = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie,
      body: { method: 'sms', code: wrongCode(code) },
    });
    expect(errorCode(wrong)).toBe('SSPR_3004');
    const done = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie,
      body: { method: 'sms', code },
    });
    expect(done.statusCode, done.body).toBe(200);
    expect((await t.request('GET', '/api/v1/me/methods', { cookie })).statusCode).toBe(200);
  });

  it('has no sms step without a registered mobile phone', async () => {
    await setUp();
    await createUser(t, 'bob@contoso.com', { mobilePhone: MOBILE });
    const { cookie, body } = await signInPassword(t, 'bob@contoso.com');
    expect(body.secondFactorRequired).toBe(false);
    const sent = await t.request('POST', '/api/v1/auth/sign-in/challenge', {
      cookie,
      body: { method: 'sms' },
    });
    expect(errorCode(sent)).toBe('SSPR_3012');
  });
});
