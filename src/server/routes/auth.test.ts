import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import {
  ANSWERS,
  PASSWORD,
  auditOf,
  createUser,
  newestCodeTo,
  nextTotp,
  patchPolicy,
  registerEmail,
  registerQuestions,
  registerTotp,
  signIn,
  signInPassword,
  wrongCode,
  type SignInBody,
} from '../../../test/support/actions.js';

interface ErrorBody {
  error: { code: string; message: string; correlationId: string; details?: unknown };
}

const DAY_MS = 24 * 3600_000;

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

const signInRequest = (userId: string, password: string) =>
  t.request('POST', '/api/v1/auth/sign-in', { body: { userId, password } });

/** A user with an authenticator app; returns the secret and a finished session. */
async function userWithTotp(upn = 'ann@contoso.com') {
  const user = await createUser(t, upn);
  const cookie = await signIn(t, upn);
  const secret = await registerTotp(t, cookie);
  return { user, cookie, secret };
}

describe('POST /auth/sign-in', () => {
  it('signs in with an HttpOnly SameSite=Strict cookie and audits it', async () => {
    const user = await createUser(t, 'ann@contoso.com');
    const res = await signInRequest('  ANN@Contoso.com ', PASSWORD);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<SignInBody>();
    expect(body).toMatchObject({
      userId: user.id,
      userPrincipalName: 'ann@contoso.com',
      displayName: 'ann',
      secondFactorRequired: false,
      secondFactorMethods: [],
      roles: [],
    });
    expect(body.expiresAt).toBe(new Date(t.clock.now().getTime() + 60 * 60_000).toISOString());

    const cookie = res.cookies.find((c) => c.name === 'sspr_session');
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    expect(cookie?.path).toBe('/');
    const raw = String(res.headers['set-cookie']);
    expect(raw).toContain('HttpOnly');
    expect(raw).toContain('SameSite=Strict');
    // The token travels only in the cookie.
    expect(res.body).not.toContain(cookie?.value ?? 'unreachable');

    const session = await t.request('GET', '/api/v1/auth/session', { cookie: cookie?.value ?? '' });
    expect(session.statusCode).toBe(200);
    expect(session.json<SignInBody>().userId).toBe(user.id);

    const events = await auditOf(t, 'Sign-in activity', { result: 'success' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: user.id, targetUpn: 'ann@contoso.com' });
  });

  it('answers a wrong password and an unknown user alike (401 SSPR_2003)', async () => {
    await createUser(t, 'ann@contoso.com');
    const wrong = await signInRequest('ann@contoso.com', 'Not-The-Password-1');
    const unknown = await signInRequest('nobody@contoso.com', PASSWORD);
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401);
      expect(errorCode(res)).toBe('SSPR_2003');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const a = wrong.json<ErrorBody>();
    const b = unknown.json<ErrorBody>();
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(Object.keys(a.error).sort()).toEqual(['code', 'correlationId', 'message']);
    expect(Object.keys(b.error).sort()).toEqual(['code', 'correlationId', 'message']);
    expect(a.error.message).toBe(b.error.message);
    expect(a.error.correlationId).not.toBe(b.error.correlationId);

    const failures = await auditOf(t, 'Sign-in activity', { result: 'failure' });
    expect(failures.map((e) => e.actorUpn).sort()).toEqual([
      'ann@contoso.com',
      'nobody@contoso.com',
    ]);
  });

  it('pauses sign-in after 10 failures (429 SSPR_2004, Retry-After) and recovers after the lock', async () => {
    await createUser(t, 'ann@contoso.com');
    for (let i = 0; i < 10; i++) {
      const res = await signInRequest('ann@contoso.com', `Wrong-Password-${String(i)}`);
      expect(res.statusCode).toBe(401);
      expect(errorCode(res)).toBe('SSPR_2003');
    }
    const locked = await signInRequest('ann@contoso.com', 'Wrong-Password-x');
    expect(locked.statusCode).toBe(429);
    expect(errorCode(locked)).toBe('SSPR_2004');
    expect(locked.headers['retry-after']).toBe('60');
    // Even the right password waits for the lock to pass.
    const right = await signInRequest('ann@contoso.com', PASSWORD);
    expect(errorCode(right)).toBe('SSPR_2004');
    expect(right.headers['set-cookie']).toBeUndefined();

    t.clock.advance(30_000);
    expect((await signInRequest('ann@contoso.com', PASSWORD)).headers['retry-after']).toBe('30');
    t.clock.advance(30_001);
    const after = await signInRequest('ann@contoso.com', PASSWORD);
    expect(after.statusCode, after.body).toBe(200);
    expect(after.cookies.some((c) => c.name === 'sspr_session')).toBe(true);
  });

  it('throttles an unknown user id like a known one', async () => {
    for (let i = 0; i < 10; i++) {
      expect(errorCode(await signInRequest('ghost@contoso.com', PASSWORD))).toBe('SSPR_2003');
    }
    const locked = await signInRequest('GHOST@contoso.com', PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(errorCode(locked)).toBe('SSPR_2004');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses a disabled account with the right password (403 SSPR_2007)', async () => {
    await createUser(t, 'off@contoso.com', { accountEnabled: false });
    const res = await signInRequest('off@contoso.com', PASSWORD);
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('SSPR_2007');
    expect(res.headers['set-cookie']).toBeUndefined();
    // A wrong password does not reveal that the account is disabled.
    expect(errorCode(await signInRequest('off@contoso.com', 'Wrong-Password-1'))).toBe('SSPR_2003');
  });

  it('validates the body (SSPR_1001)', async () => {
    const missing = await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: 'a@contoso.com' },
    });
    expect(missing.statusCode).toBe(400);
    expect(errorCode(missing)).toBe('SSPR_1001');
    const extra = await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: 'a@contoso.com', password: 'x', remember: true },
    });
    expect(errorCode(extra)).toBe('SSPR_1001');
  });
});

describe('second step of sign-in', () => {
  it('requires a TOTP code before the session can be used (SSPR_2005)', async () => {
    const { secret } = await userWithTotp();
    const { cookie, body } = await signInPassword(t, 'ann@contoso.com');
    expect(body.secondFactorRequired).toBe(true);
    expect(body.secondFactorMethods).toEqual([{ method: 'totp', hint: 'Authenticator app code' }]);

    const blocked = await t.request('GET', '/api/v1/me/methods', { cookie });
    expect(blocked.statusCode).toBe(401);
    expect(errorCode(blocked)).toBe('SSPR_2005');
    const session = await t.request('GET', '/api/v1/auth/session', { cookie });
    expect(session.statusCode).toBe(200);
    expect(session.json<SignInBody>().secondFactorRequired).toBe(true);

    const wrong = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie,
      body: { method: 'totp', code: '000000' },
    });
    expect(wrong.statusCode).toBe(400);
    expect(errorCode(wrong)).toBe('SSPR_3004');
    expect(errorCode(await t.request('GET', '/api/v1/me/methods', { cookie }))).toBe('SSPR_2005');

    const ok = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie,
      body: { method: 'totp', code: nextTotp(t, secret) },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<SignInBody>().secondFactorRequired).toBe(false);
    expect((await t.request('GET', '/api/v1/me/methods', { cookie })).statusCode).toBe(200);
    const passed = await auditOf(t, 'Sign-in activity', { result: 'success' });
    expect(passed.some((e) => e.resultReason === 'Second step passed with totp')).toBe(true);
  });

  it('refuses a TOTP code that was already used (SSPR_3006)', async () => {
    const { secret } = await userWithTotp();
    const first = await signInPassword(t, 'ann@contoso.com');
    const code = nextTotp(t, secret);
    const ok = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie: first.cookie,
      body: { method: 'totp', code },
    });
    expect(ok.statusCode, ok.body).toBe(200);

    const second = await signInPassword(t, 'ann@contoso.com');
    const replay = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie: second.cookie,
      body: { method: 'totp', code },
    });
    expect(replay.statusCode).toBe(400);
    expect(errorCode(replay)).toBe('SSPR_3006');
    expect(errorCode(await t.request('GET', '/api/v1/me/methods', { cookie: second.cookie }))).toBe(
      'SSPR_2005',
    );
  });

  it('finishes with an email code sent through /auth/sign-in/challenge', async () => {
    await createUser(t, 'eve@contoso.com');
    await registerEmail(t, await signIn(t, 'eve@contoso.com'), 'eve@example.org');
    const { cookie, body } = await signInPassword(t, 'eve@contoso.com');
    expect(body.secondFactorRequired).toBe(true);
    expect(body.secondFactorMethods).toEqual([{ method: 'email', hint: 'ev*****@example.org' }]);

    const early = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie,
      body: { method: 'email', code: '12345678' },
    });
    expect(early.statusCode).toBe(409);
    expect(errorCode(early)).toBe('SSPR_3017');

    const before = t.outbox.list().length;
    const challenge = await t.request('POST', '/api/v1/auth/sign-in/challenge', {
      cookie,
      body: { method: 'email' },
    });
    expect(challenge.statusCode, challenge.body).toBe(200);
    expect(challenge.json<{ codeExpiresAt: string }>().codeExpiresAt).toBe(
      new Date(t.clock.now().getTime() + 5 * 60_000).toISOString(),
    );
    expect(t.outbox.list()).toHaveLength(before + 1);
    const code = newestCodeTo(t, 'eve@example.org');

    const wrong = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie,
      body: { method: 'email', code: wrongCode(code) },
    });
    expect(errorCode(wrong)).toBe('SSPR_3004');
    expect(errorCode(await t.request('GET', '/api/v1/me/methods', { cookie }))).toBe('SSPR_2005');

    const ok = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie,
      body: { method: 'email', code },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json<SignInBody>().secondFactorRequired).toBe(false);
    expect((await t.request('GET', '/api/v1/me/methods', { cookie })).statusCode).toBe(200);
  });

  it('refuses an email challenge for a user without an email method (SSPR_3012)', async () => {
    await userWithTotp();
    const { cookie } = await signInPassword(t, 'ann@contoso.com');
    const res = await t.request('POST', '/api/v1/auth/sign-in/challenge', {
      cookie,
      body: { method: 'email' },
    });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('SSPR_3012');
  });

  it('refuses the second-step routes without a session (SSPR_2001)', async () => {
    const verify = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      body: { method: 'totp', code: '123456' },
    });
    expect(verify.statusCode).toBe(401);
    expect(errorCode(verify)).toBe('SSPR_2001');
    const challenge = await t.request('POST', '/api/v1/auth/sign-in/challenge', {
      body: { method: 'email' },
    });
    expect(errorCode(challenge)).toBe('SSPR_2001');
  });
});

describe('GET /auth/session and sign-out', () => {
  it('answers 401 SSPR_2001 without a valid session', async () => {
    const none = await t.request('GET', '/api/v1/auth/session');
    expect(none.statusCode).toBe(401);
    expect(errorCode(none)).toBe('SSPR_2001');
    expect(errorCode(await t.request('GET', '/api/v1/auth/session', { cookie: 'forged' }))).toBe(
      'SSPR_2001',
    );
  });

  it('describes the signed-in user, and expires with the session', async () => {
    const admin = await createUser(t, 'root@contoso.com', { roles: ['passwordAdministrator'] });
    const cookie = await signIn(t, 'root@contoso.com');
    const res = await t.request('GET', '/api/v1/auth/session', { cookie });
    expect(res.statusCode).toBe(200);
    expect(res.json<SignInBody>()).toMatchObject({
      userId: admin.id,
      userPrincipalName: 'root@contoso.com',
      secondFactorRequired: false,
      roles: ['passwordAdministrator'],
      // Administrators are always in scope and need two methods.
      registration: { required: true, reconfirmDue: false, methodsRequired: 2 },
    });
    t.clock.advance(60 * 60_000);
    expect(errorCode(await t.request('GET', '/api/v1/auth/session', { cookie }))).toBe('SSPR_2001');
  });

  it('signs out this session only and clears the cookie', async () => {
    await createUser(t, 'ann@contoso.com');
    const a = await signIn(t, 'ann@contoso.com');
    const b = await signIn(t, 'ann@contoso.com');
    const out = await t.request('POST', '/api/v1/auth/sign-out', { cookie: a });
    expect(out.statusCode, out.body).toBe(200);
    expect(out.json()).toEqual({ signedOut: true, sessionsRevoked: 1 });
    const cleared = out.cookies.find((c) => c.name === 'sspr_session');
    expect(cleared?.value).toBe('');
    expect(cleared?.expires?.getTime() ?? Infinity).toBeLessThanOrEqual(Date.now());
    expect(errorCode(await t.request('GET', '/api/v1/auth/session', { cookie: a }))).toBe(
      'SSPR_2001',
    );
    expect((await t.request('GET', '/api/v1/auth/session', { cookie: b })).statusCode).toBe(200);
    // Signing out twice needs a session.
    expect(errorCode(await t.request('POST', '/api/v1/auth/sign-out', { cookie: a }))).toBe(
      'SSPR_2001',
    );
  });

  it('signs out everywhere: every other session of the user is revoked, others users are not', async () => {
    await createUser(t, 'ann@contoso.com');
    await createUser(t, 'bob@contoso.com');
    const a = await signIn(t, 'ann@contoso.com');
    const b = await signIn(t, 'ann@contoso.com');
    const bob = await signIn(t, 'bob@contoso.com');
    const out = await t.request('POST', '/api/v1/auth/sign-out', {
      cookie: a,
      body: { everywhere: true },
    });
    expect(out.statusCode, out.body).toBe(200);
    expect(out.json()).toEqual({ signedOut: true, sessionsRevoked: 2 });
    expect(errorCode(await t.request('GET', '/api/v1/me/methods', { cookie: b }))).toBe(
      'SSPR_2001',
    );
    expect(errorCode(await t.request('GET', '/api/v1/me/methods', { cookie: a }))).toBe(
      'SSPR_2001',
    );
    expect((await t.request('GET', '/api/v1/me/methods', { cookie: bob })).statusCode).toBe(200);
  });

  it('lets a session still waiting for its second step sign out', async () => {
    await userWithTotp();
    const { cookie } = await signInPassword(t, 'ann@contoso.com');
    const out = await t.request('POST', '/api/v1/auth/sign-out', { cookie });
    expect(out.statusCode, out.body).toBe(200);
    expect(errorCode(await t.request('GET', '/api/v1/auth/session', { cookie }))).toBe('SSPR_2001');
  });
});

describe('registration status', () => {
  it('requires registration of an in-scope user without methods, until they register', async () => {
    await patchPolicy(t, { enabledFor: 'all' });
    await createUser(t, 'ann@contoso.com');
    const { cookie, body } = await signInPassword(t, 'ann@contoso.com');
    expect(body.registration).toEqual({
      required: true,
      reconfirmDue: false,
      methodsRequired: 1,
      methodsRegistered: 0,
      methodsAllowed: ['totp', 'email'],
    });
    await registerTotp(t, cookie);
    const session = await t.request('GET', '/api/v1/auth/session', { cookie });
    expect(session.json<SignInBody>().registration).toEqual({
      required: false,
      reconfirmDue: false,
      methodsRequired: 1,
      methodsRegistered: 1,
      methodsAllowed: ['totp', 'email'],
    });
    const methods = await t.request('GET', '/api/v1/me/methods', { cookie });
    expect(methods.json<{ registration: { required: boolean } }>().registration.required).toBe(
      false,
    );
  });

  it('does not require registration out of scope or when the policy does not ask for it', async () => {
    await createUser(t, 'ann@contoso.com');
    // Default policy: enabled for none.
    expect((await signInPassword(t, 'ann@contoso.com')).body.registration.required).toBe(false);
    await patchPolicy(t, { enabledFor: 'all', registration: { requireOnSignIn: false } });
    expect((await signInPassword(t, 'ann@contoso.com')).body.registration.required).toBe(false);
    await patchPolicy(t, { registration: { requireOnSignIn: true }, methodsRequired: 2 });
    const status = (await signInPassword(t, 'ann@contoso.com')).body.registration;
    expect(status).toMatchObject({ required: true, methodsRequired: 2 });
    // The policy's switches decide what may be registered.
    await patchPolicy(t, { methods: { email: false, securityQuestions: true } });
    expect((await signInPassword(t, 'ann@contoso.com')).body.registration).toMatchObject({
      methodsAllowed: ['totp', 'securityQuestions'],
    });
  });

  it('asks to reconfirm once reconfirmDays have passed since the methods were confirmed', async () => {
    await patchPolicy(t, { enabledFor: 'all', methods: { securityQuestions: true } });
    await createUser(t, 'sam@contoso.com');
    await registerQuestions(t, await signIn(t, 'sam@contoso.com'), ANSWERS);
    expect((await signInPassword(t, 'sam@contoso.com')).body.registration).toMatchObject({
      required: false,
      reconfirmDue: false,
      methodsRegistered: 1,
    });
    t.clock.advance(179 * DAY_MS);
    expect((await signInPassword(t, 'sam@contoso.com')).body.registration.reconfirmDue).toBe(false);
    t.clock.advance(2 * DAY_MS);
    const due = await signInPassword(t, 'sam@contoso.com');
    expect(due.body.registration).toMatchObject({ required: false, reconfirmDue: true });
    const session = await t.request('GET', '/api/v1/auth/session', { cookie: due.cookie });
    expect(session.json<SignInBody>().registration.reconfirmDue).toBe(true);

    // Registering again confirms the methods.
    await registerQuestions(t, due.cookie, ANSWERS);
    const after = await t.request('GET', '/api/v1/auth/session', { cookie: due.cookie });
    expect(after.json<SignInBody>().registration.reconfirmDue).toBe(false);

    // So does confirming the list as it is ("Looks good"); using a method does not.
    t.clock.advance(181 * DAY_MS);
    const due2 = await signInPassword(t, 'sam@contoso.com');
    expect(due2.body.registration.reconfirmDue).toBe(true);
    const confirm = await t.request('POST', '/api/v1/me/methods/confirm', { cookie: due2.cookie });
    expect(confirm.statusCode, confirm.body).toBe(200);
    expect(confirm.json<SignInBody>().registration.reconfirmDue).toBe(false);
    const reviewed = await t.request(
      'GET',
      '/api/v1/admin/audit?activity=User%20reviewed%20security%20info',
      { token: t.adminToken },
    );
    expect(reviewed.json<{ items: unknown[] }>().items).toHaveLength(1);

    // reconfirmDays 0 turns reconfirmation off.
    t.clock.advance(400 * DAY_MS);
    await patchPolicy(t, { registration: { reconfirmDays: 0 } });
    expect((await signInPassword(t, 'sam@contoso.com')).body.registration.reconfirmDue).toBe(false);
  });

  it('reports reconfirmation for a TOTP user at the password step', async () => {
    await patchPolicy(t, { enabledFor: 'all' });
    await userWithTotp();
    t.clock.advance(181 * DAY_MS);
    const { body } = await signInPassword(t, 'ann@contoso.com');
    expect(body.secondFactorRequired).toBe(true);
    expect(body.registration.reconfirmDue).toBe(true);
  });
});
