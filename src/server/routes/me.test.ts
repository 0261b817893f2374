import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import type { MethodView } from '../../services/method-registration.js';
import {
  ANSWERS,
  PASSWORD,
  auditOf,
  createUser,
  newestCodeTo,
  patchPolicy,
  registerEmail,
  registerQuestions,
  registerTotp,
  signIn,
  wrongCode,
} from '../../../test/support/actions.js';
import { totpCodeAt } from '../../domain/methods/totp.js';

interface MethodsBody {
  methods: MethodView[];
  registration: { required: boolean; methodsRegistered: number };
}

interface ErrorBody {
  error: { code: string; details?: Record<string, unknown> };
}

const NEW_PASSWORD = 'Velvet-Lamp-93!x';

let t: TestApp;
let cookie: string;
beforeEach(async () => {
  t = await createTestApp();
  await createUser(t, 'ann@contoso.com', { givenName: 'Annabel', surname: 'Leeway' });
  cookie = await signIn(t, 'ann@contoso.com');
});
afterEach(async () => {
  await t.close();
});

async function methods(c = cookie): Promise<MethodsBody> {
  const res = await t.request('GET', '/api/v1/me/methods', { cookie: c });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<MethodsBody>();
}

/** A code that is certainly not `code`. */

describe('authentication', () => {
  it('answers 401 SSPR_2001 on every /me route without a session', async () => {
    const calls = [
      t.request('GET', '/api/v1/me/methods'),
      t.request('GET', '/api/v1/me/methods/securityQuestions/questions'),
      t.request('POST', '/api/v1/me/methods/totp'),
      t.request('POST', '/api/v1/me/methods/totp/verify', { body: { code: '123456' } }),
      t.request('POST', '/api/v1/me/methods/email', { body: { email: 'a@example.org' } }),
      t.request('POST', '/api/v1/me/methods/email/verify', { body: { code: '12345678' } }),
      t.request('POST', '/api/v1/me/methods/securityQuestions', { body: { answers: ANSWERS } }),
      t.request('POST', '/api/v1/me/methods/phone', {
        body: { type: 'mobile', phoneNumber: '+48 601234567' },
      }),
      t.request('POST', '/api/v1/me/methods/phone/verify', { body: { code: '12345678' } }),
      t.request('POST', '/api/v1/me/methods/passkey'),
      t.request('DELETE', '/api/v1/me/methods/some-id'),
      t.request('POST', '/api/v1/me/password', {
        body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      }),
      t.request('GET', '/api/v1/me/methods', { cookie: 'not-a-session' }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.statusCode, res.body).toBe(401);
      expect(errorCode(res)).toBe('SSPR_2001');
    }
  });
});

describe('GET /me/methods', () => {
  it('lists active methods and never a secret, an answer or a hash', async () => {
    await patchPolicy(t, { methods: { securityQuestions: true } });
    const secret = await registerTotp(t, cookie);
    t.clock.advance(1000);
    await registerEmail(t, cookie, 'ann.private@example.org');
    t.clock.advance(1000);
    await registerQuestions(t, cookie, ANSWERS);
    // A pending registration is not listed either.
    const pending = await t.request('POST', '/api/v1/me/methods/totp', { cookie });
    const pendingSecret = pending.json<{ secret: string }>().secret;

    const res = await t.request('GET', '/api/v1/me/methods', { cookie });
    expect(res.statusCode).toBe(200);
    const body = res.json<MethodsBody>();
    expect(body.methods.map((m) => [m.method, m.status, m.display])).toEqual([
      ['totp', 'active', 'Authenticator app'],
      ['email', 'active', 'an*****@example.org'],
      ['securityQuestions', 'active', '3 security questions'],
    ]);
    expect(body.registration.methodsRegistered).toBe(3);
    for (const forbidden of [
      'secret',
      'answerHash',
      '$argon2',
      secret,
      pendingSecret,
      'ann.private',
      'Springfield',
      'springfield',
      'lastUsedStep',
    ]) {
      expect(res.body).not.toContain(forbidden);
    }
  });
});

describe('authenticator app (TOTP) registration', () => {
  it('starts with {id, secret, otpauthUri} and activates on a right code', async () => {
    const start = await t.request('POST', '/api/v1/me/methods/totp', { cookie });
    expect(start.statusCode, start.body).toBe(201);
    const body = start.json<{ id: string; secret: string; otpauthUri: string }>();
    expect(Object.keys(body).sort()).toEqual(['id', 'otpauthUri', 'secret']);
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(body.otpauthUri.startsWith('otpauth://totp/')).toBe(true);
    const uri = new URL(body.otpauthUri);
    expect(uri.searchParams.get('issuer')).toBe('Contoso');
    expect(uri.searchParams.get('secret')).toBe(body.secret);
    expect(decodeURIComponent(uri.pathname)).toContain('ann@contoso.com');
    expect((await methods()).methods).toEqual([]);

    const wrong = await t.request('POST', '/api/v1/me/methods/totp/verify', {
      cookie,
      body: { code: totpCodeAt(body.secret, new Date(t.clock.now().getTime() - 10 * 60_000)) },
    });
    expect(wrong.statusCode).toBe(400);
    expect(errorCode(wrong)).toBe('SSPR_3004');
    const letters = await t.request('POST', '/api/v1/me/methods/totp/verify', {
      cookie,
      body: { code: 'abcdef' },
    });
    expect(errorCode(letters)).toBe('SSPR_3004');

    const ok = await t.request('POST', '/api/v1/me/methods/totp/verify', {
      cookie,
      body: { code: totpCodeAt(body.secret, t.clock.now()) },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<MethodView>()).toMatchObject({ id: body.id, method: 'totp', status: 'active' });
    expect(ok.body).not.toContain(body.secret);
    expect((await methods()).methods.map((m) => m.id)).toEqual([body.id]);

    const saved = await auditOf(t, 'Security info saved for self-service password reset');
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({
      result: 'success',
      targetUpn: 'ann@contoso.com',
      details: { method: 'totp' },
    });
    expect(JSON.stringify(saved)).not.toContain(body.secret);
  });

  it('answers 404 SSPR_3502 to a verify without a pending registration', async () => {
    const none = await t.request('POST', '/api/v1/me/methods/totp/verify', {
      cookie,
      body: { code: '123456' },
    });
    expect(none.statusCode).toBe(404);
    expect(errorCode(none)).toBe('SSPR_3502');
    // After activation there is nothing pending any more.
    await registerTotp(t, cookie);
    const again = await t.request('POST', '/api/v1/me/methods/totp/verify', {
      cookie,
      body: { code: '123456' },
    });
    expect(errorCode(again)).toBe('SSPR_3502');
  });

  it('answers 403 SSPR_3501 when the policy turns authenticator apps off', async () => {
    await patchPolicy(t, { methods: { totp: false } });
    const res = await t.request('POST', '/api/v1/me/methods/totp', { cookie });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('SSPR_3501');
  });
});

describe('email registration', () => {
  it('sends a code, refuses a wrong one (SSPR_3004) and activates on the right one', async () => {
    const start = await t.request('POST', '/api/v1/me/methods/email', {
      cookie,
      body: { email: 'ann@Example.ORG' },
    });
    expect(start.statusCode, start.body).toBe(201);
    expect(start.json<{ codeExpiresAt: string }>().codeExpiresAt).toBe(
      new Date(t.clock.now().getTime() + 5 * 60_000).toISOString(),
    );
    const mail = t.outbox.list()[0];
    expect(mail?.to).toBe('ann@example.org');
    const code = newestCodeTo(t, 'ann@example.org');
    expect(start.body).not.toContain(code);

    const wrong = await t.request('POST', '/api/v1/me/methods/email/verify', {
      cookie,
      body: { code: wrongCode(code) },
    });
    expect(wrong.statusCode).toBe(400);
    expect(errorCode(wrong)).toBe('SSPR_3004');
    expect((await methods()).methods).toEqual([]);

    const ok = await t.request('POST', '/api/v1/me/methods/email/verify', {
      cookie,
      body: { code },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<MethodView>()).toMatchObject({
      method: 'email',
      status: 'active',
      display: 'an*****@example.org',
    });
    // A code works once.
    const replay = await t.request('POST', '/api/v1/me/methods/email/verify', {
      cookie,
      body: { code },
    });
    expect(errorCode(replay)).toBe('SSPR_3502');
    const saved = await auditOf(t, 'Security info saved for self-service password reset');
    expect(saved.map((e) => e.details)).toEqual([{ method: 'email' }]);
  });

  it('refuses an invalid address (400 SSPR_1005) without sending anything', async () => {
    for (const email of ['not-an-email', 'ann@', 'ann@example', 'a b@example.org']) {
      const res = await t.request('POST', '/api/v1/me/methods/email', { cookie, body: { email } });
      expect(res.statusCode, email).toBe(400);
      expect(errorCode(res), email).toBe('SSPR_1005');
    }
    expect(t.outbox.list()).toHaveLength(0);
  });

  it('expires the code after 5 minutes (SSPR_3005)', async () => {
    await t.request('POST', '/api/v1/me/methods/email', {
      cookie,
      body: { email: 'ann@example.org' },
    });
    const code = newestCodeTo(t, 'ann@example.org');
    t.clock.advance(5 * 60_000);
    const late = await t.request('POST', '/api/v1/me/methods/email/verify', {
      cookie,
      body: { code },
    });
    expect(late.statusCode).toBe(400);
    expect(errorCode(late)).toBe('SSPR_3005');
    expect((await methods()).methods).toEqual([]);
  });

  it('lets a second address replace the first', async () => {
    const firstId = await registerEmail(t, cookie, 'first@example.org');
    const secondId = await registerEmail(t, cookie, 'second@example.org');
    expect(secondId).not.toBe(firstId);
    const emails = (await methods()).methods.filter((m) => m.method === 'email');
    expect(emails.map((m) => [m.id, m.display])).toEqual([[secondId, 'se*****@example.org']]);
  });

  it('a newer pending address replaces an older pending one', async () => {
    await t.request('POST', '/api/v1/me/methods/email', {
      cookie,
      body: { email: 'old@example.org' },
    });
    const oldCode = newestCodeTo(t, 'old@example.org');
    await t.request('POST', '/api/v1/me/methods/email', {
      cookie,
      body: { email: 'new@example.org' },
    });
    const newCode = newestCodeTo(t, 'new@example.org');
    if (oldCode !== newCode) {
      const stale = await t.request('POST', '/api/v1/me/methods/email/verify', {
        cookie,
        body: { code: oldCode },
      });
      expect(errorCode(stale)).toBe('SSPR_3004');
    }
    const ok = await t.request('POST', '/api/v1/me/methods/email/verify', {
      cookie,
      body: { code: newCode },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<MethodView>().display).toBe('ne*****@example.org');
  });
});

describe('security questions', () => {
  it('refuses them while the policy has them off (403 SSPR_3501)', async () => {
    const res = await t.request('POST', '/api/v1/me/methods/securityQuestions', {
      cookie,
      body: { answers: ANSWERS },
    });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('SSPR_3501');
    expect(res.json<ErrorBody>().error.details).toEqual({ method: 'securityQuestions' });
  });

  it('lists the questions to choose from', async () => {
    const res = await t.request('GET', '/api/v1/me/methods/securityQuestions/questions', {
      cookie,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ toRegister: number; toReset: number; questions: { id: string }[] }>();
    expect(body.toRegister).toBe(3);
    expect(body.toReset).toBe(3);
    expect(body.questions).toHaveLength(35);
  });

  it('validates the answers (400 SSPR_3503 with details.problems) and registers valid ones', async () => {
    await patchPolicy(t, { methods: { securityQuestions: true } });
    const post = (answers: unknown) =>
      t.request('POST', '/api/v1/me/methods/securityQuestions', { cookie, body: { answers } });

    const tooFew = await post(ANSWERS.slice(0, 2));
    expect(tooFew.statusCode).toBe(400);
    expect(errorCode(tooFew)).toBe('SSPR_3503');
    expect(tooFew.json<ErrorBody>().error.details?.problems).toEqual([
      expect.objectContaining({ field: 'answers', code: 'wrong_count' }),
    ]);

    const duplicate = await post([
      { questionId: 'q01', answer: 'Springfield' },
      { questionId: 'q02', answer: ' SPRINGFIELD ' },
      { questionId: 'q04', answer: 'Lincoln Elementary' },
    ]);
    expect(errorCode(duplicate)).toBe('SSPR_3503');
    expect(duplicate.json<ErrorBody>().error.details?.problems).toEqual([
      expect.objectContaining({ field: 'answers.1.answer', code: 'duplicate_answer' }),
    ]);
    // The answers never come back in a message.
    expect(duplicate.body.toLowerCase()).not.toContain('springfield');

    const unknown = await post([...ANSWERS.slice(0, 2), { questionId: 'q99', answer: 'whatever' }]);
    expect(unknown.json<ErrorBody>().error.details?.problems).toEqual([
      expect.objectContaining({ code: 'unknown_question' }),
    ]);
    expect((await methods()).methods).toEqual([]);

    const ok = await post(ANSWERS);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json<MethodView>()).toMatchObject({
      method: 'securityQuestions',
      status: 'active',
      display: '3 security questions',
    });
    expect(ok.body).not.toContain('answerHash');
    const saved = await auditOf(t, 'Security info saved for self-service password reset');
    expect(saved).toHaveLength(1);
    expect(saved[0]?.details).toEqual({ method: 'securityQuestions', count: 3 });
    expect(JSON.stringify(saved).toLowerCase()).not.toContain('springfield');

    // Registering again replaces the set.
    await post([
      { questionId: 'q05', answer: 'Mrs Smith' },
      { questionId: 'q06', answer: 'Ford Fiesta' },
      { questionId: 'q07', answer: 'Kraków' },
    ]);
    expect((await methods()).methods.filter((m) => m.method === 'securityQuestions')).toHaveLength(
      1,
    );
  });

  it('never lets administrators register them (403 SSPR_3504)', async () => {
    await patchPolicy(t, { methods: { securityQuestions: true } });
    await createUser(t, 'root@contoso.com', { roles: ['helpdeskAdministrator'] });
    const admin = await signIn(t, 'root@contoso.com');
    const res = await t.request('POST', '/api/v1/me/methods/securityQuestions', {
      cookie: admin,
      body: { answers: ANSWERS },
    });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('SSPR_3504');
  });
});

describe('methods not available yet', () => {
  it.each(['passkey'])('answers 501 SSPR_3506 for %s', async (kind) => {
    const res = await t.request('POST', `/api/v1/me/methods/${kind}`, { cookie });
    expect(res.statusCode).toBe(501);
    expect(errorCode(res)).toBe('SSPR_3506');
    expect(res.json<ErrorBody>().error.details).toEqual({ method: kind });
  });
});

describe('DELETE /me/methods/{id}', () => {
  it('removes one of my methods (204) and audits it', async () => {
    await registerTotp(t, cookie);
    const emailId = await registerEmail(t, cookie, 'ann@example.org');
    const res = await t.request('DELETE', `/api/v1/me/methods/${emailId}`, { cookie });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await methods()).methods.map((m) => m.method)).toEqual(['totp']);
    const events = await auditOf(t, 'User deleted security info');
    expect(events.map((e) => [e.targetUpn, e.details])).toEqual([
      ['ann@contoso.com', { method: 'email' }],
    ]);
    const again = await t.request('DELETE', `/api/v1/me/methods/${emailId}`, { cookie });
    expect(again.statusCode).toBe(404);
    expect(errorCode(again)).toBe('SSPR_1010');
  });

  it("answers 404 SSPR_1010 for someone else's method and leaves it alone", async () => {
    await createUser(t, 'bob@contoso.com');
    const bob = await signIn(t, 'bob@contoso.com');
    const bobEmail = await registerEmail(t, bob, 'bob@example.org');
    const res = await t.request('DELETE', `/api/v1/me/methods/${bobEmail}`, { cookie });
    expect(res.statusCode).toBe(404);
    expect(errorCode(res)).toBe('SSPR_1010');
    expect((await methods(bob)).methods.map((m) => m.id)).toEqual([bobEmail]);
    expect(await auditOf(t, 'User deleted security info')).toHaveLength(0);
  });
});

describe('POST /me/password', () => {
  const change = (c: string, currentPassword: string, newPassword: string) =>
    t.request('POST', '/api/v1/me/password', { cookie: c, body: { currentPassword, newPassword } });

  it('changes the password, keeps this session and revokes the others', async () => {
    const other = await signIn(t, 'ann@contoso.com');
    const res = await change(cookie, PASSWORD, NEW_PASSWORD);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ changed: true, sessionsRevoked: 1 });
    expect(res.body).not.toContain(NEW_PASSWORD);

    expect((await t.request('GET', '/api/v1/me/methods', { cookie })).statusCode).toBe(200);
    expect(errorCode(await t.request('GET', '/api/v1/me/methods', { cookie: other }))).toBe(
      'SSPR_2001',
    );
    const old = await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: 'ann@contoso.com', password: PASSWORD },
    });
    expect(errorCode(old)).toBe('SSPR_2003');
    await signIn(t, 'ann@contoso.com', NEW_PASSWORD);

    const events = await auditOf(t, 'Change password (self-service)');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      result: 'success',
      targetUpn: 'ann@contoso.com',
      details: { sessionsRevoked: 1 },
    });
    expect(JSON.stringify(events)).not.toContain(NEW_PASSWORD);
  });

  it('refuses a wrong current password (400 SSPR_2008) and audits the failure', async () => {
    const res = await change(cookie, 'Not-My-Password-1', NEW_PASSWORD);
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('SSPR_2008');
    const events = await auditOf(t, 'Change password (self-service)', { result: 'failure' });
    expect(events.map((e) => e.resultReason)).toEqual(['Incorrect current password']);
    await signIn(t, 'ann@contoso.com', PASSWORD);
  });

  it('refuses the current password as the new one (422 SSPR_4004)', async () => {
    const res = await change(cookie, PASSWORD, PASSWORD);
    expect(res.statusCode).toBe(422);
    expect(errorCode(res)).toBe('SSPR_4004');
  });

  it('refuses a policy violation (422 SSPR_4001) with the failed rules', async () => {
    const res = await change(cookie, PASSWORD, 'short');
    expect(res.statusCode).toBe(422);
    expect(errorCode(res)).toBe('SSPR_4001');
    const details = res.json<ErrorBody>().error.details as { failed: string[] };
    expect(details.failed).toEqual(expect.arrayContaining(['length.min', 'complexity.classes']));
    const events = await auditOf(t, 'Change password (self-service)', { result: 'failure' });
    expect(events.map((e) => e.resultReason)).toEqual(['PasswordPolicyViolation']);
  });

  it('refuses a banned password (422 SSPR_4002), including the custom list and my name', async () => {
    const common = await change(cookie, PASSWORD, 'Password123!');
    expect(common.statusCode).toBe(422);
    expect(errorCode(common)).toBe('SSPR_4002');
    expect(errorCode(await change(cookie, PASSWORD, 'Annabel#2024xyz'))).toBe('SSPR_4002');
    expect((await change(cookie, PASSWORD, 'Zephyrine-42!Q')).statusCode).toBe(200);
    await patchPolicy(t, {
      bannedPasswords: { enforceCustomList: true, customList: ['zephyrine'] },
    });
    // Entra's scoring: a banned term counts 1, every other character 1; under 5 is refused.
    const custom = await change(cookie, 'Zephyrine-42!Q', 'Zephyrine1!');
    expect(errorCode(custom)).toBe('SSPR_4002');
  });

  it('refuses more than 256 characters (400 SSPR_4003) and more than the wire limit (SSPR_1001)', async () => {
    const long = await change(cookie, PASSWORD, `Aa1!${'x'.repeat(253)}`);
    expect(long.statusCode).toBe(400);
    expect(errorCode(long)).toBe('SSPR_4003');
    const huge = await change(cookie, PASSWORD, `Aa1!${'x'.repeat(1100)}`);
    expect(errorCode(huge)).toBe('SSPR_1001');
    // Nothing changed.
    await signIn(t, 'ann@contoso.com', PASSWORD);
  });

  it('needs both fields (SSPR_1001)', async () => {
    const res = await t.request('POST', '/api/v1/me/password', {
      cookie,
      body: { newPassword: NEW_PASSWORD },
    });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('SSPR_1001');
  });
});
