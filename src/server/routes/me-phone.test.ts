/** Phone methods (P5): registering a mobile or office phone with a code, replacing and removing it. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookSmsSender } from '../../adapters/sms/webhook-sms-sender.js';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import type { MethodView } from '../../services/method-registration.js';
import {
  auditOf,
  createUser,
  lastMessageTo,
  patchPolicy,
  registerPhone,
  signIn,
  wrongCode,
} from '../../../test/support/actions.js';

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

let t: TestApp;
let cookie: string;

async function setUp(options: Parameters<typeof createTestApp>[0] = {}): Promise<void> {
  t = await createTestApp(options);
  await patchPolicy(t, { methods: { sms: true, voice: true, officePhone: true } });
  await createUser(t, 'ann@contoso.com');
  cookie = await signIn(t, 'ann@contoso.com');
}

afterEach(async () => {
  await t.close();
});

const startPhone = (body: unknown, c = cookie) =>
  t.request('POST', '/api/v1/me/methods/phone', { cookie: c, body });
const verifyPhone = (code: string, c = cookie) =>
  t.request('POST', '/api/v1/me/methods/phone/verify', { cookie: c, body: { code } });

async function activeMethods(): Promise<MethodView[]> {
  const res = await t.request('GET', '/api/v1/me/methods', { cookie });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ methods: MethodView[] }>().methods;
}

describe('registering a phone', () => {
  beforeEach(async () => {
    await setUp();
  });

  it('registers a mobile phone: a text with a code, then methods sms and voice', async () => {
    const start = await startPhone({ type: 'mobile', phoneNumber: '+48 601 234 567' });
    expect(start.statusCode, start.body).toBe(201);
    const body = start.json<Record<string, unknown>>();
    expect(body).toMatchObject({ type: 'mobile', phoneNumber: '+48 601234567', delivery: 'sms' });
    expect(Date.parse(String(body.codeExpiresAt)) - t.clock.now().getTime()).toBe(5 * 60_000);

    const sent = lastMessageTo(t, '+48 601234567');
    expect(sent.channel).toBe('sms');
    expect(sent.text).toContain('Contoso');
    // Nothing is registered before the code comes back.
    expect(await activeMethods()).toEqual([]);

    const verify = await verifyPhone(sent.code);
    expect(verify.statusCode, verify.body).toBe(200);
    const verified = verify.json<{ type: string; phoneNumber: string; methods: MethodView[] }>();
    expect(verified.type).toBe('mobile');
    expect(verified.phoneNumber).toBe('+48 601234567');
    expect(verified.methods.map((m) => [m.method, m.status, m.display])).toEqual([
      ['sms', 'active', '+48 601234567'],
      ['voice', 'active', '+48 601234567'],
    ]);
    expect((await activeMethods()).map((m) => m.method).sort()).toEqual(['sms', 'voice']);

    const saved = await auditOf(t, 'Security info saved for self-service password reset');
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({
      result: 'success',
      targetUpn: 'ann@contoso.com',
      details: { method: 'phone', type: 'mobile', methods: ['sms', 'voice'] },
    });
    // The number and the code stay out of the audit log.
    expect(JSON.stringify(saved[0])).not.toContain('601234567');
    expect(JSON.stringify(saved[0])).not.toContain(sent.code);

    // The code is single-use.
    expect(errorCode(await verifyPhone(sent.code))).toBe('SSPR_3502');
  });

  it('registers an office phone (with an extension) by a voice call: method officePhone', async () => {
    const start = await startPhone({ type: 'office', phoneNumber: '+1 (425) 555-0100 ext. 123' });
    expect(start.statusCode, start.body).toBe(201);
    expect(start.json()).toMatchObject({
      type: 'office',
      phoneNumber: '+1 4255550100x123',
      delivery: 'voice',
    });
    const call = lastMessageTo(t, '+1 4255550100x123');
    expect(call.channel).toBe('voice');
    // A call reads the digits one by one too.
    expect(call.text).toContain(call.code.split('').join(', '));
    const verify = await verifyPhone(call.code);
    expect(verify.statusCode, verify.body).toBe(200);
    expect((await activeMethods()).map((m) => [m.method, m.display])).toEqual([
      ['officePhone', '+1 4255550100x123'],
    ]);
  });

  it.each([
    ['no country code', { type: 'mobile', phoneNumber: '601234567' }],
    ['too short', { type: 'mobile', phoneNumber: '+48 12' }],
    ['letters', { type: 'mobile', phoneNumber: '+1 425 CALL NOW' }],
    ['not a number for its country', { type: 'office', phoneNumber: '+1 123 456 7890' }],
    ['an extension on a mobile', { type: 'mobile', phoneNumber: '+1 4255550100 x12' }],
  ])('refuses %s with 400 SSPR_1006 and sends nothing', async (_name, body) => {
    const res = await startPhone(body);
    expect(res.statusCode, res.body).toBe(400);
    expect(errorCode(res)).toBe('SSPR_1006');
    expect(t.outbox.list()).toEqual([]);
  });

  it.each([
    ['a missing type', { phoneNumber: '+48 601234567' }],
    ['an unknown type', { type: 'fax', phoneNumber: '+48 601234567' }],
    ['an over-long number', { type: 'mobile', phoneNumber: `+48 ${'1'.repeat(70)}` }],
    ['an extra field', { type: 'mobile', phoneNumber: '+48 601234567', sms: true }],
  ])('refuses %s with 400 SSPR_1001', async (_name, body) => {
    const res = await startPhone(body);
    expect(res.statusCode, res.body).toBe(400);
    expect(errorCode(res)).toBe('SSPR_1001');
  });

  it('refuses a wrong code, counts attempts, and expires the code after 5 minutes', async () => {
    await startPhone({ type: 'mobile', phoneNumber: '+48 601234567' });
    const { code } = lastMessageTo(t, '+48 601234567');
    const wrong = await verifyPhone(wrongCode(code));
    expect(wrong.statusCode).toBe(400);
    expect(errorCode(wrong)).toBe('SSPR_3004');
    expect(await activeMethods()).toEqual([]);
    // Five attempts per code: after them even the right code is refused.
    for (let i = 0; i < 4; i++)
      expect(errorCode(await verifyPhone(wrongCode(code)))).toBe('SSPR_3004');
    expect(errorCode(await verifyPhone(code))).toBe('SSPR_3004');

    await startPhone({ type: 'mobile', phoneNumber: '+48 601234567' });
    const fresh = lastMessageTo(t, '+48 601234567').code;
    t.clock.advance(5 * 60_000);
    expect(errorCode(await verifyPhone(fresh))).toBe('SSPR_3005');
    expect(await activeMethods()).toEqual([]);
  });

  it('answers 404 SSPR_3502 to a verify with nothing pending', async () => {
    const res = await verifyPhone('12345678');
    expect(res.statusCode).toBe(404);
    expect(errorCode(res)).toBe('SSPR_3502');
  });

  it('throttles like email codes: the 11th text in 10 minutes is refused with 429 SSPR_3019', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await startPhone({ type: 'mobile', phoneNumber: '+48 601234567' });
      expect(res.statusCode, res.body).toBe(201);
    }
    const eleventh = await startPhone({ type: 'office', phoneNumber: '+1 4255550100' });
    expect(eleventh.statusCode).toBe(429);
    expect(errorCode(eleventh)).toBe('SSPR_3019');
    expect(Number(eleventh.headers['retry-after'])).toBeGreaterThan(0);
    expect(t.outbox.list()).toHaveLength(10);
    // Email codes have their own counter.
    const email = await t.request('POST', '/api/v1/me/methods/email', {
      cookie,
      body: { email: 'ann@example.org' },
    });
    expect(email.statusCode, email.body).toBe(201);
  });

  it('replaces the earlier mobile number, and keeps the office phone', async () => {
    await registerPhone(t, cookie, 'office', '+1 4255550100');
    for (const number of ['+48 601234567', '+48 601234568'])
      await registerPhone(t, cookie, 'mobile', number);
    expect((await activeMethods()).map((m) => `${m.method} ${m.display}`).sort()).toEqual([
      'officePhone +1 4255550100',
      'sms +48 601234568',
      'voice +48 601234568',
    ]);
  });

  it('removes a mobile phone (text and call together) and an office phone', async () => {
    await registerPhone(t, cookie, 'mobile', '+48 601234567');
    await registerPhone(t, cookie, 'office', '+1 4255550100');
    const before = await activeMethods();
    const voice = before.find((m) => m.method === 'voice');
    const office = before.find((m) => m.method === 'officePhone');

    const removed = await t.request('DELETE', `/api/v1/me/methods/${voice?.id ?? ''}`, { cookie });
    expect(removed.statusCode, removed.body).toBe(204);
    expect((await activeMethods()).map((m) => m.method)).toEqual(['officePhone']);

    const removedOffice = await t.request('DELETE', `/api/v1/me/methods/${office?.id ?? ''}`, {
      cookie,
    });
    expect(removedOffice.statusCode).toBe(204);
    expect(await activeMethods()).toEqual([]);
    const deleted = await auditOf(t, 'User deleted security info');
    expect(deleted.map((e) => e.details)).toEqual([
      { method: 'officePhone' },
      { method: 'voice', alsoRemoved: ['sms'] },
    ]);
  });

  it("cannot remove another user's phone", async () => {
    await registerPhone(t, cookie, 'mobile', '+48 601234567');
    const [sms] = await activeMethods();
    await createUser(t, 'bob@contoso.com');
    const bob = await signIn(t, 'bob@contoso.com');
    const res = await t.request('DELETE', `/api/v1/me/methods/${sms?.id ?? ''}`, { cookie: bob });
    expect(res.statusCode).toBe(404);
    expect(errorCode(res)).toBe('SSPR_1010');
    expect(await activeMethods()).toHaveLength(2);
  });

  it('refuses a phone type the policy does not enable (403 SSPR_3501)', async () => {
    await patchPolicy(t, { methods: { sms: false, voice: false } });
    const mobile = await startPhone({ type: 'mobile', phoneNumber: '+48 601234567' });
    expect(mobile.statusCode).toBe(403);
    expect(errorCode(mobile)).toBe('SSPR_3501');
    // Voice alone is enough for a mobile phone; the office phone is still enabled.
    await patchPolicy(t, { methods: { voice: true } });
    expect((await startPhone({ type: 'mobile', phoneNumber: '+48 601234567' })).statusCode).toBe(
      201,
    );
    expect((await startPhone({ type: 'office', phoneNumber: '+1 4255550100' })).statusCode).toBe(
      201,
    );
  });

  it('needs a session', async () => {
    const res = await startPhone({ type: 'mobile', phoneNumber: '+48 601234567' }, 'no-session');
    expect(res.statusCode).toBe(401);
    expect(errorCode(res)).toBe('SSPR_2001');
    expect(errorCode(await verifyPhone('12345678', 'no-session'))).toBe('SSPR_2001');
  });
});

describe('with a provider that fails (a real webhook answering 500)', () => {
  let webhook: Server;
  beforeEach(async () => {
    webhook = createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const { port } = webhook.address() as AddressInfo;
    await setUp({
      sms: createWebhookSmsSender({ url: `http://127.0.0.1:${String(port)}/`, timeoutMs: 2000 }),
    });
  });
  afterEach(async () => {
    webhook.closeAllConnections();
    await new Promise<void>((resolve) =>
      webhook.close(() => {
        resolve();
      }),
    );
  });

  it('answers 502 SSPR_8002 and leaves nothing pending', async () => {
    const res = await startPhone({ type: 'mobile', phoneNumber: '+48 601234567' });
    expect(res.statusCode).toBe(502);
    expect(errorCode(res)).toBe('SSPR_8002');
    expect(errorCode(await verifyPhone('12345678'))).toBe('SSPR_3502');
  });
});

describe('without a text / voice provider (sms.provider: none)', () => {
  beforeEach(async () => {
    await setUp({ sms: null });
  });

  it('answers 501 SSPR_3506 with a clear reason', async () => {
    const res = await startPhone({ type: 'mobile', phoneNumber: '+48 601234567' });
    expect(res.statusCode).toBe(501);
    const body = res.json<ErrorBody>();
    expect(body.error.code).toBe('SSPR_3506');
    expect(body.error.details).toMatchObject({ method: 'phone' });
    expect(String(body.error.details?.reason)).toContain('sms.provider');
    expect(t.outbox.list()).toEqual([]);
  });
});
