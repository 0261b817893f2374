import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import {
  PASSWORD,
  createUser,
  nextTotp,
  patchPolicy,
  registerEmail,
  registerPhone,
  registerTotp,
  signIn,
  signInWithRoles,
  startFlow,
  expectQueriesRefused,
  getOk,
} from '../../../test/support/actions.js';

interface RegistrationRow {
  id: string;
  userPrincipalName: string;
  displayName: string;
  source: string;
  enabled: boolean;
  registered: boolean;
  capable: boolean;
  methods: string[];
}

interface RegistrationReport {
  generatedAt: string;
  summary: { users: number; registered: number; enabled: number; capable: number };
  methods: { method: string; users: number }[];
  users: RegistrationRow[];
  nextCursor: string | null;
}

interface Counts {
  resets: number;
  unlocks: number;
  changes: number;
  registrations: number;
  failures: number;
}

interface UsageReport {
  from: string;
  to: string;
  days: (Counts & { date: string })[];
  byMethod: { method: string; successes: number; failures: number }[];
  failureReasons: { code: string; count: number }[];
  totals: Counts;
}

const NEW_PASSWORD = 'Velvet-Lamp-93!x';
const DAY = 24 * 60 * 60_000;

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
  t.clock.set('2026-03-10T08:00:00.000Z');
  await patchPolicy(t, { enabledFor: 'all' });
});
afterEach(async () => {
  await t.close();
});

describe('GET /admin/reports/registration', () => {
  /** Users in every state the report distinguishes, made through the API. */
  async function population() {
    // Capable: TOTP registered.
    await createUser(t, 'ann@contoso.com');
    await registerTotp(t, await signIn(t, 'ann@contoso.com'));
    // Enabled, not registered: no method.
    await createUser(t, 'bob@contoso.com');
    // Registered (admin pre-populated email) but the account is disabled: not enabled.
    await createUser(t, 'carl@contoso.com', { email: 'carl@fabrikam.com', accountEnabled: false });
    // An administrator needs two methods: one is not enough.
    await createUser(t, 'dana@contoso.com', {
      roles: ['globalAdministrator'],
      email: 'dana@fabrikam.com',
    });
    // Registered with an email, outside the eligibility list: not enabled.
    await createUser(t, 'eve@contoso.com');
    await registerEmail(t, await signIn(t, 'eve@contoso.com'), 'eve@fabrikam.com');
    await patchPolicy(t, {
      eligibility: {
        userPrincipalNames: ['ann@contoso.com', 'bob@contoso.com', 'carl@contoso.com'],
      },
    });
  }

  it('reports enabled / registered / capable per user, in Entra’s meaning, with a summary', async () => {
    await population();
    const report = await getOk<RegistrationReport>(t, '/api/v1/admin/reports/registration');
    expect(report.generatedAt).toBe('2026-03-10T08:00:00.000Z');
    expect(report.nextCursor).toBeNull();
    const rows = Object.fromEntries(
      report.users.map((u) => [
        u.userPrincipalName,
        { enabled: u.enabled, registered: u.registered, capable: u.capable, methods: u.methods },
      ]),
    );
    expect(rows).toEqual({
      'ann@contoso.com': { enabled: true, registered: true, capable: true, methods: ['totp'] },
      'bob@contoso.com': { enabled: true, registered: false, capable: false, methods: [] },
      'carl@contoso.com': { enabled: false, registered: true, capable: false, methods: ['email'] },
      'dana@contoso.com': { enabled: true, registered: false, capable: false, methods: ['email'] },
      'eve@contoso.com': { enabled: false, registered: true, capable: false, methods: ['email'] },
    });
    expect(report.users[0]).toMatchObject({ displayName: 'ann', source: 'cloud' });
    expect(report.summary).toEqual({ users: 5, registered: 3, enabled: 3, capable: 1 });
    expect(report.methods).toEqual(
      expect.arrayContaining([
        { method: 'totp', users: 1 },
        { method: 'email', users: 3 },
        { method: 'securityQuestions', users: 0 },
      ]),
    );

    // The policy changes the verdicts: a second admin method makes Dana capable; everyone
    // enabled once the list is gone; no one when SSPR is enabled for none.
    const dana = await signIn(t, 'dana@contoso.com');
    await registerTotp(t, dana);
    await patchPolicy(t, { eligibility: { userPrincipalNames: [] } });
    const after = await getOk<RegistrationReport>(t, '/api/v1/admin/reports/registration');
    expect(after.summary).toEqual({ users: 5, registered: 4, enabled: 4, capable: 3 });
    await patchPolicy(t, { enabledFor: 'none' });
    const none = await getOk<RegistrationReport>(t, '/api/v1/admin/reports/registration');
    // Administrators are outside the None / Selected scope (Entra): Dana stays enabled.
    expect(none.summary).toEqual({ users: 5, registered: 4, enabled: 1, capable: 1 });
  });

  it('counts a registered mobile phone (text and call) as one method', async () => {
    await patchPolicy(t, { methods: { sms: true, voice: true } });
    await createUser(t, 'ann@contoso.com');
    await registerPhone(t, await signIn(t, 'ann@contoso.com'), 'mobile', '+48 601234567');
    const row = async () =>
      (await getOk<RegistrationReport>(t, '/api/v1/admin/reports/registration')).users[0];
    expect(await row()).toMatchObject({
      registered: true,
      capable: true,
      methods: ['sms', 'voice'],
    });
    // Two methods required: one phone is not two (as the reset flow answers SSPR_0014).
    await patchPolicy(t, { methodsRequired: 2 });
    expect(await row()).toMatchObject({ registered: false, capable: false });
    expect(errorCode(await startFlow(t, 'ann@contoso.com'))).toBe('SSPR_0014');
  });

  it('pages users by UPN while the summary counts everyone', async () => {
    await population();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page: RegistrationReport = await getOk<RegistrationReport>(
        t,
        `/api/v1/admin/reports/registration?limit=2${query}`,
      );
      expect(page.users.length).toBeLessThanOrEqual(2);
      expect(page.summary.users).toBe(5);
      seen.push(...page.users.map((u) => u.userPrincipalName));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([
      'ann@contoso.com',
      'bob@contoso.com',
      'carl@contoso.com',
      'dana@contoso.com',
      'eve@contoso.com',
    ]);
  });

  it('validates its query (limit ≤ 500, cursor) with SSPR_1001', async () => {
    await expectQueriesRefused(t, '/api/v1/admin/reports/registration', [
      'limit=0',
      'limit=501',
      'limit=ten',
      'cursor=bm9wZQ',
      'sort=upn',
    ]);
  });
});

describe('GET /admin/reports/usage', () => {
  const flowOf = async (upn: string) => {
    const res = await startFlow(t, upn);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ flowId: string }>().flowId;
  };
  const verifyTotp = (flowId: string, code: string) =>
    t.request('POST', `/api/v1/sspr/flows/${flowId}/verify`, { body: { method: 'totp', code } });

  /** Day 1 (2026-03-10): registrations, a failed and a passed gate, a reset. Day 3: changes. */
  async function activity(): Promise<void> {
    await createUser(t, 'ann@contoso.com');
    const secret = await registerTotp(t, await signIn(t, 'ann@contoso.com'));
    await createUser(t, 'eve@contoso.com');
    await registerEmail(t, await signIn(t, 'eve@contoso.com'), 'eve@fabrikam.com');
    await createUser(t, 'bob@contoso.com');

    const flowId = await flowOf('ann@contoso.com');
    const wrong = await verifyTotp(flowId, '000000');
    expect(errorCode(wrong)).toBe('SSPR_3004');
    expect((await verifyTotp(flowId, nextTotp(t, secret))).statusCode).toBe(200);
    const reset = await t.request('POST', `/api/v1/sspr/flows/${flowId}/reset`, {
      body: { newPassword: NEW_PASSWORD },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    // Outside the eligibility list: a refused start (SSPR_0012).
    await createUser(t, 'carl@contoso.com', { email: 'carl@fabrikam.com' });
    await patchPolicy(t, { eligibility: { userPrincipalNames: ['ann@contoso.com'] } });
    expect(errorCode(await startFlow(t, 'carl@contoso.com'))).toBe('SSPR_0012');

    t.clock.advance(2 * DAY);
    const bob = await signIn(t, 'bob@contoso.com');
    const change = (currentPassword: string) =>
      t.request('POST', '/api/v1/me/password', {
        cookie: bob,
        body: { currentPassword, newPassword: NEW_PASSWORD },
      });
    expect(errorCode(await change('Not-the-password-1!'))).toBe('SSPR_2008');
    expect((await change(PASSWORD)).statusCode).toBe(200);
    // An unlock as the agent path records it (cloud accounts have nothing to unlock).
    await t.store.audit.append({
      id: 'unlock-1',
      occurredAt: t.clock.now().toISOString(),
      activity: 'Unlock user account (self-service)',
      category: 'UserManagement',
      result: 'success',
      resultReason: null,
      correlationId: 'c-unlock',
      actorId: null,
      actorUpn: 'dirk@contoso.com',
      targetId: null,
      targetUpn: 'dirk@contoso.com',
      ip: null,
      userAgent: null,
      details: { methods: ['totp'] },
    });
  }

  it('counts resets, unlocks, changes, registrations and failures per day from the audit log', async () => {
    await activity();
    const report = await getOk<UsageReport>(
      t,
      '/api/v1/admin/reports/usage?from=2026-03-09T00:00:00Z&to=2026-03-12T23:59:59Z',
    );
    expect(report.from).toBe('2026-03-09T00:00:00.000Z');
    expect(report.to).toBe('2026-03-12T23:59:59.000Z');
    const zero = { resets: 0, unlocks: 0, changes: 0, registrations: 0, failures: 0 };
    expect(report.days).toEqual([
      { date: '2026-03-09', ...zero },
      // TOTP + email saved; wrong code and the refused start failed; one reset.
      { date: '2026-03-10', ...zero, resets: 1, registrations: 2, failures: 2 },
      { date: '2026-03-11', ...zero },
      { date: '2026-03-12', ...zero, changes: 1, unlocks: 1, failures: 1 },
    ]);
    expect(report.totals).toEqual({
      resets: 1,
      unlocks: 1,
      changes: 1,
      registrations: 2,
      failures: 3,
    });
    expect(report.byMethod).toEqual([{ method: 'totp', successes: 1, failures: 1 }]);
    expect(report.failureReasons).toEqual([
      { code: 'Incorrect current password', count: 1 },
      { code: 'SSPR_0012', count: 1 },
      { code: 'SSPR_3004', count: 1 },
    ]);

    // A range that covers day 3 only.
    const later = await getOk<UsageReport>(
      t,
      '/api/v1/admin/reports/usage?from=2026-03-12T00:00:00Z&to=2026-03-12T12:00:00Z',
    );
    expect(later.days).toEqual([
      { date: '2026-03-12', ...zero, changes: 1, unlocks: 1, failures: 1 },
    ]);
    expect(later.byMethod).toEqual([]);
  });

  it('defaults to the last 30 days, every day present', async () => {
    await activity();
    const report = await getOk<UsageReport>(t, '/api/v1/admin/reports/usage');
    const now = t.clock.now().getTime();
    expect(report.to).toBe(new Date(now).toISOString());
    expect(report.from).toBe(new Date(now - 30 * DAY).toISOString());
    expect(report.days).toHaveLength(31);
    expect(report.days[0]?.date).toBe('2026-02-10');
    expect(report.days.at(-1)?.date).toBe('2026-03-12');
    expect(report.totals.resets).toBe(1);
    expect(report.days.filter((d) => d.resets + d.changes + d.registrations > 0)).toHaveLength(2);
  });

  it('limits the range to 366 days and validates dates with SSPR_1001', async () => {
    const ok = await getOk<UsageReport>(
      t,
      '/api/v1/admin/reports/usage?from=2025-03-10T00:00:00Z&to=2026-03-11T00:00:00Z',
    );
    expect(ok.days).toHaveLength(367);
    await expectQueriesRefused(t, '/api/v1/admin/reports/usage', [
      'from=2025-03-09T23:59:59Z&to=2026-03-11T00:00:00Z',
      'from=2026-03-11T00:00:00Z&to=2026-03-10T00:00:00Z',
      'from=yesterday',
      'to=2026-13-01T00:00:00Z',
      'to=2026-02-29T00:00:00Z',
      'from=2026-03-10T00:00:00Z&from=2026-03-11T00:00:00Z',
      'days=7',
    ]);
  });
});

describe('report access', () => {
  it('lets a reports reader read every report and read route, but not change the policy', async () => {
    const cookie = await signInWithRoles(t, 'reader@contoso.com', ['reportsReader']);
    const registration = await getOk<RegistrationReport>(
      t,
      '/api/v1/admin/reports/registration',
      cookie,
    );
    expect(registration.summary.users).toBe(1);
    const usage = await getOk<UsageReport>(t, '/api/v1/admin/reports/usage', cookie);
    expect(usage.days).toHaveLength(31);
    for (const url of [
      '/api/v1/admin/policy',
      '/api/v1/admin/users',
      '/api/v1/admin/audit',
      '/api/v1/admin/audit/export?format=json',
      '/api/v1/admin/agents',
    ]) {
      expect((await t.request('GET', url, { cookie })).statusCode, url).toBe(200);
    }
    const patch = await t.request('PATCH', '/api/v1/admin/policy', {
      cookie,
      body: { enabledFor: 'none' },
    });
    expect(patch.statusCode).toBe(403);
    expect(errorCode(patch)).toBe('SSPR_2002');

    const plain = await signInWithRoles(t, 'plain@contoso.com', []);
    for (const url of ['/api/v1/admin/reports/registration', '/api/v1/admin/reports/usage']) {
      expect(errorCode(await t.request('GET', url, { cookie: plain })), url).toBe('SSPR_2002');
      expect(errorCode(await t.request('GET', url)), url).toBe('SSPR_2006');
    }
  });
});
