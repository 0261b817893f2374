import { expect } from 'vitest';
import { totpCodeAt } from '../../src/domain/methods/totp.js';
import type { TestApp } from './test-app.js';

export const PASSWORD = 'Xk9#mq2!Lp4v';

export async function patchPolicy(t: TestApp, patch: unknown): Promise<void> {
  const res = await t.request('PATCH', '/api/v1/admin/policy', {
    token: t.adminToken,
    body: patch,
  });
  expect(res.statusCode, res.body).toBe(200);
}

export interface CreatedUser {
  readonly id: string;
  readonly userPrincipalName: string;
}

export async function createUser(
  t: TestApp,
  upn: string,
  extra: Record<string, unknown> = {},
): Promise<CreatedUser> {
  const res = await t.request('POST', '/api/v1/admin/users', {
    token: t.adminToken,
    body: { userPrincipalName: upn, displayName: upn.split('@')[0], password: PASSWORD, ...extra },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<CreatedUser>();
}

/** Signs in with the password and, when asked, finishes the second step with a TOTP code. */
export async function signIn(
  t: TestApp,
  upn: string,
  password = PASSWORD,
  totpSecret?: string,
): Promise<string> {
  const res = await t.request('POST', '/api/v1/auth/sign-in', { body: { userId: upn, password } });
  expect(res.statusCode, res.body).toBe(200);
  const cookie = res.cookies.find((c) => c.name === 'sspr_session')?.value;
  if (cookie === undefined) throw new Error('no session cookie');
  if (res.json<{ secondFactorRequired: boolean }>().secondFactorRequired) {
    if (totpSecret === undefined) throw new Error('second step needed but no TOTP secret given');
    t.clock.advance(30_000);
    const verify = await t.request('POST', '/api/v1/auth/sign-in/verify', {
      cookie,
      body: { method: 'totp', code: totpCodeAt(totpSecret, t.clock.now()) },
    });
    expect(verify.statusCode, verify.body).toBe(200);
  }
  return cookie;
}

/** Registers an authenticator app for a signed-in user; returns its secret. */
export async function registerTotp(t: TestApp, cookie: string): Promise<string> {
  const start = await t.request('POST', '/api/v1/me/methods/totp', { cookie });
  expect(start.statusCode, start.body).toBe(201);
  const { secret } = start.json<{ secret: string }>();
  const verify = await t.request('POST', '/api/v1/me/methods/totp/verify', {
    cookie,
    body: { code: totpCodeAt(secret, t.clock.now()) },
  });
  expect(verify.statusCode, verify.body).toBe(200);
  return secret;
}

/** Moves to the next TOTP step and returns its code (a code cannot be used twice). */
export function nextTotp(t: TestApp, secret: string): string {
  t.clock.advance(30_000);
  return totpCodeAt(secret, t.clock.now());
}

export const ANSWERS = [
  { questionId: 'q01', answer: 'Springfield' },
  { questionId: 'q02', answer: 'Rex the dog' },
  { questionId: 'q04', answer: 'Lincoln Elementary' },
];

export async function startFlow(t: TestApp, userId: string) {
  return t.request('POST', '/api/v1/sspr/flows', { body: { userId } });
}

/** The newest code mailed (or texted) to an address (development outbox). */
export function lastCodeTo(t: TestApp, address: string): string {
  return lastMessageTo(t, address).code;
}

/**
 * The newest code mailed to an address. `t.outbox.list()` is newest first, so this is its first
 * match (use it when an address received more than one code).
 */
export const newestCodeTo = lastCodeTo;

/** The newest outbox entry to an address or phone number: its channel, text and 8-digit code. */
export function lastMessageTo(
  t: TestApp,
  to: string,
): { channel: string; text: string; code: string } {
  const entry = t.outbox.list().find((m) => m.to === to); // newest first
  const code = /\b(\d{8})\b/.exec(entry?.text ?? '')?.[1];
  if (entry === undefined || code === undefined) throw new Error(`nothing sent to ${to}`);
  return { channel: entry.channel, text: entry.text, code };
}

/** A one-time code that is certainly not `code`. */
export const wrongCode = (code: string): string => (code === '00000000' ? '11111111' : '00000000');

/**
 * Registers (and confirms with the code from the outbox) a phone for a signed-in user: a mobile
 * phone becomes the sms and voice methods, an office phone the officePhone method.
 */
export async function registerPhone(
  t: TestApp,
  cookie: string,
  type: 'mobile' | 'office',
  phoneNumber: string,
): Promise<void> {
  const start = await t.request('POST', '/api/v1/me/methods/phone', {
    cookie,
    body: { type, phoneNumber },
  });
  expect(start.statusCode, start.body).toBe(201);
  const { phoneNumber: normalised } = start.json<{ phoneNumber: string }>();
  const verify = await t.request('POST', '/api/v1/me/methods/phone/verify', {
    cookie,
    body: { code: lastMessageTo(t, normalised).code },
  });
  expect(verify.statusCode, verify.body).toBe(200);
}

/** A signed-in user holding the given admin roles (none = a plain user); returns the cookie. */
export async function signInWithRoles(
  t: TestApp,
  upn: string,
  roles: readonly string[],
): Promise<string> {
  if (roles.length === 0) {
    await createUser(t, upn);
    return signIn(t, upn);
  }
  // Held to the administrator policy (ADR 0012): two methods (an authenticator app and an email
  // address) and a sign-in confirmed with the second step.
  await createUser(t, upn, { roles, email: `${upn.split('@')[0] ?? 'admin'}@example.org` });
  const secret = await registerTotp(t, await signIn(t, upn));
  t.clock.advance(1_000);
  return signIn(t, upn, PASSWORD, secret);
}

/** GET a JSON answer that must be 200: with the test admin token, or with a session cookie. */
export async function getOk<T>(t: TestApp, url: string, cookie?: string): Promise<T> {
  const res = await t.request(
    'GET',
    url,
    cookie === undefined ? { token: t.adminToken } : { cookie },
  );
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
}

/** Signs in with the password only; returns the cookie and the answer (second step not done). */
export async function signInPassword(
  t: TestApp,
  upn: string,
  password = PASSWORD,
): Promise<{ cookie: string; body: SignInBody }> {
  const res = await t.request('POST', '/api/v1/auth/sign-in', { body: { userId: upn, password } });
  expect(res.statusCode, res.body).toBe(200);
  const cookie = res.cookies.find((c) => c.name === 'sspr_session')?.value;
  if (cookie === undefined) throw new Error('no session cookie');
  return { cookie, body: res.json<SignInBody>() };
}

export interface RegistrationBody {
  readonly required: boolean;
  readonly reconfirmDue: boolean;
  readonly methodsRequired: number;
  readonly methodsRegistered: number;
}

export interface SignInBody {
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly secondFactorRequired: boolean;
  readonly secondFactorMethods: readonly { method: string; hint: string }[];
  readonly roles: readonly string[];
  readonly expiresAt: string;
  readonly registration: RegistrationBody;
}

/** Registers (and confirms) an email address for a signed-in user; returns the method id. */
export async function registerEmail(t: TestApp, cookie: string, address: string): Promise<string> {
  const start = await t.request('POST', '/api/v1/me/methods/email', {
    cookie,
    body: { email: address },
  });
  expect(start.statusCode, start.body).toBe(201);
  const verify = await t.request('POST', '/api/v1/me/methods/email/verify', {
    cookie,
    body: { code: newestCodeTo(t, address) },
  });
  expect(verify.statusCode, verify.body).toBe(200);
  return verify.json<{ id: string }>().id;
}

/** Registers security questions (the policy must allow them); returns the method id. */
export async function registerQuestions(
  t: TestApp,
  cookie: string,
  answers: readonly { questionId: string; answer: string }[] = ANSWERS,
): Promise<string> {
  const res = await t.request('POST', '/api/v1/me/methods/securityQuestions', {
    cookie,
    body: { answers },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

export interface AuditItem {
  readonly id: string;
  readonly seq: number;
  readonly occurredAt: string;
  readonly activity: string;
  readonly result: 'success' | 'failure';
  readonly resultReason: string | null;
  readonly actorId: string | null;
  readonly actorUpn: string | null;
  readonly targetId: string | null;
  readonly targetUpn: string | null;
  readonly details: Record<string, unknown>;
}

/** One page of GET /admin/audit with the test admin token. */
export async function auditPage(
  t: TestApp,
  query: Record<string, string> = {},
): Promise<{ items: AuditItem[]; nextCursor: string | null }> {
  const res = await t.request(
    'GET',
    `/api/v1/admin/audit?${new URLSearchParams(query).toString()}`,
    {
      token: t.adminToken,
    },
  );
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AuditItem[]; nextCursor: string | null }>();
}

/** Audit events of one activity (newest first, first page of up to 500). */
export async function auditOf(
  t: TestApp,
  activity: string,
  query: Record<string, string> = {},
): Promise<AuditItem[]> {
  return (await auditPage(t, { activity, limit: '500', ...query })).items;
}

/** Each query string on `path` (admin token) is refused with 400 SSPR_1001. */
export async function expectQueriesRefused(
  t: TestApp,
  path: string,
  queries: readonly string[],
): Promise<void> {
  for (const q of queries) {
    const res = await t.request('GET', `${path}?${q}`, { token: t.adminToken });
    expect(res.statusCode, q).toBe(400);
    expect(res.json<{ error?: { code?: string } }>().error?.code, q).toBe('SSPR_1001');
  }
}
