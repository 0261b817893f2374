import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import {
  PASSWORD,
  ANSWERS,
  registerTotp,
  startFlow,
  auditOf,
  auditPage,
  createUser,
  patchPolicy,
  signIn,
  signInWithRoles,
  expectQueriesRefused,
  getOk,
  type AuditItem,
} from '../../../test/support/actions.js';
import { createAdminToken } from '../../services/admin-service.js';

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

interface Policy {
  enabled: boolean;
  enabledFor: string;
  selectedGroupId: string | null;
  methodsRequired: number;
  methods: Record<string, boolean>;
  securityQuestions: { toRegister: number; toReset: number; custom: unknown[] };
  registration: { requireOnSignIn: boolean; reconfirmDays: number };
  notifications: { notifyUserOnReset: boolean; notifyAdminsOnAdminReset: boolean };
  customization: { helpdeskLink: string | null };
  onPremises: { writeback: boolean; allowUnlockWithoutReset: boolean };
  administrators: { allowedToUseSspr: boolean };
  eligibility: { groupId: string | null; userPrincipalNames: string[] };
  bannedPasswords: { enforceCustomList: boolean; customList: string[] };
}

interface UserDetail {
  id: string;
  userPrincipalName: string;
  displayName: string;
  source: string;
  accountEnabled: boolean;
  email: string | null;
  mobilePhone: string | null;
  roles: string[];
  methods: { id: string; method: string }[];
  groups: { id: string; displayName: string; source: string }[];
  sspr: {
    capable: boolean;
    reason: { code: string; reason: string } | null;
    usableMethods: string[];
  };
}

interface UserPage {
  items: UserDetail[];
  nextCursor: string | null;
}

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

const getPolicy = () => getOk<Policy>(t, '/api/v1/admin/policy');

const userDetail = (id: string) =>
  getOk<UserDetail>(t, `/api/v1/admin/users/${encodeURIComponent(id)}`);

describe('admin authentication', () => {
  it('answers 401 SSPR_2006 without a token, or with an unknown, revoked or garbage one', async () => {
    const { id, token: revoked } = await createAdminToken(t.services, 'revoked');
    await t.store.adminTokens.revoke(id, t.clock.now().toISOString());
    const headers: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: 'Bearer sspr_at_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { authorization: `Bearer ${revoked}` },
      { authorization: 'Bearer not-a-token' },
      { authorization: 'Bearer' },
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      { authorization: `Bearer sspr_at_${'x'.repeat(300)}` },
      { authorization: `Bearer ${t.adminToken} extra` },
    ];
    for (const h of headers) {
      for (const [method, url] of [
        ['GET', '/api/v1/admin/policy'],
        ['GET', '/api/v1/admin/users'],
        ['GET', '/api/v1/admin/audit'],
      ] as const) {
        const res = await t.request(method, url, h === undefined ? {} : { headers: h });
        expect(res.statusCode, `${JSON.stringify(h)} ${url}`).toBe(401);
        expect(errorCode(res), JSON.stringify(h)).toBe('SSPR_2006');
      }
    }
    const patch = await t.request('PATCH', '/api/v1/admin/policy', { body: { enabledFor: 'all' } });
    expect(errorCode(patch)).toBe('SSPR_2006');
    expect((await getPolicy()).enabledFor).toBe('none');
    // The right token works, case-insensitive scheme included.
    const ok = await t.request('GET', '/api/v1/admin/policy', {
      headers: { authorization: `bearer ${t.adminToken}` },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('answers 403 SSPR_2002 to the session of a user without an admin role', async () => {
    const cookie = await signInWithRoles(t, 'ann@contoso.com', []);
    for (const url of ['/api/v1/admin/policy', '/api/v1/admin/users', '/api/v1/admin/audit']) {
      const res = await t.request('GET', url, { cookie });
      expect(res.statusCode, url).toBe(403);
      expect(errorCode(res)).toBe('SSPR_2002');
    }
    const patch = await t.request('PATCH', '/api/v1/admin/policy', {
      cookie,
      body: { enabledFor: 'all' },
    });
    expect(errorCode(patch)).toBe('SSPR_2002');
    expect(errorCode(await t.request('GET', '/api/v1/admin/policy', { cookie: 'expired' }))).toBe(
      'SSPR_2001',
    );
  });

  it('holds admin sessions to the administrator policy: two methods and a confirmed sign-in', async () => {
    await createUser(t, 'new.admin@contoso.com', {
      roles: ['globalAdministrator'],
      email: 'new.admin@example.org',
    });
    // Password only (no methods yet): one method (the pre-populated email) is not enough.
    const first = await signIn(t, 'new.admin@contoso.com');
    const refused = await t.request('GET', '/api/v1/admin/policy', { cookie: first });
    expect(refused.statusCode).toBe(403);
    expect(errorCode(refused)).toBe('SSPR_2009');
    expect(refused.json<ErrorBody>().error.details).toMatchObject({
      methodsRegistered: 1,
      methodsRequired: 2,
      register: '/account',
    });
    // Security questions are never an administrator's method: not even registered.
    await patchPolicy(t, { methods: { securityQuestions: true } });
    const questions = await t.request('POST', '/api/v1/me/methods/securityQuestions', {
      cookie: first,
      body: { answers: ANSWERS },
    });
    expect(errorCode(questions)).toBe('SSPR_3504');
    // Two methods now, but this session began with the password alone: sign in again.
    const secret = await registerTotp(t, first);
    expect(errorCode(await t.request('GET', '/api/v1/admin/policy', { cookie: first }))).toBe(
      'SSPR_2010',
    );
    t.clock.advance(1_000);
    const second = await signIn(t, 'new.admin@contoso.com', PASSWORD, secret);
    expect((await t.request('GET', '/api/v1/admin/policy', { cookie: second })).statusCode).toBe(
      200,
    );
    // Admin tokens are not sessions: not affected.
    expect(
      (await t.request('GET', '/api/v1/admin/policy', { token: t.adminToken })).statusCode,
    ).toBe(200);
  });

  it('gives the roles of groups mapped in administrators.roleGroups (nested), global admins only', async () => {
    const post = async (url: string, body: unknown) => {
      const res = await t.request('POST', url, { token: t.adminToken, body });
      expect(res.statusCode, res.body).toBe(url.endsWith('/members') ? 204 : 201);
      return res.statusCode === 201 ? res.json<{ id: string }>() : { id: '' };
    };
    // helpdesk-team ⊂ sspr-helpdesk; the user is in the inner group.
    const outer = await post('/api/v1/admin/groups', { displayName: 'SSPR Helpdesk' });
    const inner = await post('/api/v1/admin/groups', { displayName: 'Helpdesk team' });
    await post(`/api/v1/admin/groups/${outer.id}/members`, {
      memberId: inner.id,
      memberType: 'group',
    });
    await createUser(t, 'hd@contoso.com', { email: 'hd@example.org' });
    const cookie = await signIn(t, 'hd@contoso.com');
    // The admin finds the group by name.
    const found = await getOk<{ items: { id: string; displayName: string; source: string }[] }>(
      t,
      '/api/v1/admin/groups?search=sspr%20help',
    );
    expect(found.items).toEqual([
      { id: outer.id, displayName: 'SSPR Helpdesk', source: 'cloud', directoryDn: null },
    ]);
    const hd = await t.store.users.findByUpn('hd@contoso.com');
    await post(`/api/v1/admin/groups/${inner.id}/members`, { memberId: hd?.id });
    expect(errorCode(await t.request('GET', '/api/v1/admin/users', { cookie }))).toBe('SSPR_2002');

    // A password administrator may change the policy, but not grant roles through groups.
    const pw = await signInWithRoles(t, 'pw@contoso.com', ['passwordAdministrator']);
    const grant = {
      administrators: { roleGroups: [{ role: 'helpdeskAdministrator', groupId: outer.id }] },
    };
    const refused = await t.request('PATCH', '/api/v1/admin/policy', { cookie: pw, body: grant });
    expect(errorCode(refused)).toBe('SSPR_2002');
    expect(refused.json<ErrorBody>().error.details).toEqual({ needs: ['globalAdministrator'] });
    const ga = await signInWithRoles(t, 'ga@contoso.com', ['globalAdministrator']);
    const granted = await t.request('PATCH', '/api/v1/admin/policy', { cookie: ga, body: grant });
    expect(granted.statusCode, granted.body).toBe(200);
    const events = await auditOf(t, 'Self-service password reset policy changes');
    expect(JSON.stringify(events[0]?.details)).toContain('administrators.roleGroups');

    // The member of the nested group now holds the role, shown in the session too.
    const session = await t.request('GET', '/api/v1/auth/session', { cookie });
    expect(session.json<{ roles: string[] }>().roles).toEqual(['helpdeskAdministrator']);
    // Two methods (pre-populated email + the app) and a new sign-in with the second step.
    const secret = await registerTotp(t, cookie);
    t.clock.advance(1_000);
    const hdCookie = await signIn(t, 'hd@contoso.com', PASSWORD, secret);
    expect((await t.request('GET', '/api/v1/admin/users', { cookie: hdCookie })).statusCode).toBe(
      200,
    );
    // …and is held to the administrator policy in the reset flow: never security questions.
    await patchPolicy(t, { enabledFor: 'all', methods: { securityQuestions: true } });
    const flow = await startFlow(t, 'hd@contoso.com');
    const methods = flow.json<{ methods: { method: string }[] }>().methods.map((m) => m.method);
    expect(methods).not.toContain('securityQuestions');

    // Unmapped: the role is gone.
    await t.request('PATCH', '/api/v1/admin/policy', {
      cookie: ga,
      body: { administrators: { roleGroups: [] } },
    });
    expect(errorCode(await t.request('GET', '/api/v1/admin/users', { cookie: hdCookie }))).toBe(
      'SSPR_2002',
    );
    // Bad mappings are refused with the field named.
    const bad = await t.request('PATCH', '/api/v1/admin/policy', {
      token: t.adminToken,
      body: { administrators: { roleGroups: [{ role: 'king', groupId: outer.id }] } },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('lets a reports reader read but not write (SSPR_2002 with the roles needed)', async () => {
    const cookie = await signInWithRoles(t, 'reader@contoso.com', ['reportsReader']);
    expect((await t.request('GET', '/api/v1/admin/policy', { cookie })).statusCode).toBe(200);
    expect((await t.request('GET', '/api/v1/admin/users', { cookie })).statusCode).toBe(200);
    expect((await t.request('GET', '/api/v1/admin/audit', { cookie })).statusCode).toBe(200);
    const patch = await t.request('PATCH', '/api/v1/admin/policy', {
      cookie,
      body: { enabledFor: 'all' },
    });
    expect(patch.statusCode).toBe(403);
    expect(errorCode(patch)).toBe('SSPR_2002');
    expect(patch.json<ErrorBody>().error.details).toEqual({
      needs: ['globalAdministrator', 'passwordAdministrator'],
    });
    expect((await getPolicy()).enabledFor).toBe('none');
    const create = await t.request('POST', '/api/v1/admin/users', {
      cookie,
      body: { userPrincipalName: 'x@contoso.com', displayName: 'X', password: PASSWORD },
    });
    expect(errorCode(create)).toBe('SSPR_2002');
    const group = await t.request('POST', '/api/v1/admin/groups', {
      cookie,
      body: { displayName: 'G' },
    });
    expect(errorCode(group)).toBe('SSPR_2002');
  });

  it('lets a password administrator change the policy, audited under their name', async () => {
    const cookie = await signInWithRoles(t, 'pw@contoso.com', ['passwordAdministrator']);
    const admin = { id: (await t.store.users.findByUpn('pw@contoso.com'))?.id };
    const res = await t.request('PATCH', '/api/v1/admin/policy', {
      cookie,
      body: { enabledFor: 'all' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const events = await auditOf(t, 'Self-service password reset policy changes');
    expect(events[0]).toMatchObject({ actorId: admin.id, actorUpn: 'pw@contoso.com' });
    // …but not create users.
    const create = await t.request('POST', '/api/v1/admin/users', {
      cookie,
      body: { userPrincipalName: 'x@contoso.com', displayName: 'X', password: PASSWORD },
    });
    expect(errorCode(create)).toBe('SSPR_2002');
  });

  it('does not let a user administrator grant admin roles', async () => {
    const cookie = await signInWithRoles(t, 'ua@contoso.com', ['userAdministrator']);
    const plain = await t.request('POST', '/api/v1/admin/users', {
      cookie,
      body: { userPrincipalName: 'plain@contoso.com', displayName: 'Plain', password: PASSWORD },
    });
    expect(plain.statusCode, plain.body).toBe(201);
    const escalate = await t.request('POST', '/api/v1/admin/users', {
      cookie,
      body: {
        userPrincipalName: 'boss@contoso.com',
        displayName: 'Boss',
        password: PASSWORD,
        roles: ['globalAdministrator'],
      },
    });
    expect(escalate.statusCode).toBe(403);
    expect(errorCode(escalate)).toBe('SSPR_2002');
    const missing = await t.request('GET', '/api/v1/admin/users/boss@contoso.com', {
      token: t.adminToken,
    });
    expect(errorCode(missing)).toBe('SSPR_1010');
  });
});

describe('GET /admin/policy', () => {
  it("returns Entra's defaults", async () => {
    const policy = await getPolicy();
    expect(policy).toMatchObject({
      enabled: true,
      enabledFor: 'none',
      selectedGroupId: null,
      methodsRequired: 1,
      methods: {
        totp: true,
        email: true,
        sms: false,
        voice: false,
        officePhone: false,
        securityQuestions: false,
        passkey: false,
        appNotification: false,
      },
      securityQuestions: { toRegister: 3, toReset: 3, custom: [] },
      registration: { requireOnSignIn: true, reconfirmDays: 180 },
      notifications: { notifyUserOnReset: true, notifyAdminsOnAdminReset: false },
      customization: { helpdeskLink: null },
      onPremises: { writeback: true, allowUnlockWithoutReset: false },
      administrators: { allowedToUseSspr: true },
      eligibility: { groupId: null },
      bannedPasswords: { enforceCustomList: false, customList: [] },
    });
  });
});

describe('PATCH /admin/policy', () => {
  it('deep-merges, keeps siblings and audits old and new values', async () => {
    const res = await t.request('PATCH', '/api/v1/admin/policy', {
      token: t.adminToken,
      body: { methods: { securityQuestions: true }, registration: { reconfirmDays: 90 } },
    });
    expect(res.statusCode, res.body).toBe(200);
    const patched = res.json<Policy>();
    expect(patched.methods).toMatchObject({ totp: true, email: true, securityQuestions: true });
    expect(patched.registration).toEqual({ requireOnSignIn: true, reconfirmDays: 90 });
    expect(patched.enabledFor).toBe('none');
    expect(await getPolicy()).toEqual(patched);

    const events = await auditOf(t, 'Self-service password reset policy changes');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ result: 'success', actorUpn: 'token:tests' });
    const modified = events[0]?.details.modifiedProperties;
    expect(modified).toEqual(
      expect.arrayContaining([
        { property: 'methods.securityQuestions', oldValue: false, newValue: true },
        { property: 'registration.reconfirmDays', oldValue: 180, newValue: 90 },
      ]),
    );
    expect(modified).toHaveLength(2);
  });

  it('replaces arrays and audits nothing for a patch that changes nothing', async () => {
    await patchPolicy(t, {
      bannedPasswords: { enforceCustomList: true, customList: ['contoso', 'fabrikam'] },
    });
    await patchPolicy(t, { bannedPasswords: { customList: ['tailspin'] } });
    expect((await getPolicy()).bannedPasswords).toEqual({
      enforceCustomList: true,
      customList: ['tailspin'],
    });
    const before = (await auditOf(t, 'Self-service password reset policy changes')).length;
    await patchPolicy(t, { bannedPasswords: { customList: ['tailspin'] }, methodsRequired: 1 });
    expect(await auditOf(t, 'Self-service password reset policy changes')).toHaveLength(before);
  });

  const invalid: [string, unknown, string][] = [
    ['methodsRequired 3', { methodsRequired: 3 }, 'methodsRequired'],
    ['an unknown key', { favouriteColour: 'blue' }, ''],
    ['an unknown nested key', { methods: { fax: true } }, 'methods'],
    ['toReset > toRegister', { securityQuestions: { toReset: 4 } }, 'securityQuestions.toRegister'],
    ['selected without a group', { enabledFor: 'selected' }, 'selectedGroupId'],
    [
      'a 3-character banned term',
      { bannedPasswords: { customList: ['abc'] } },
      'bannedPasswords.customList.0',
    ],
    [
      '1001 banned terms',
      {
        bannedPasswords: {
          customList: Array.from({ length: 1001 }, (_, i) => `term${String(i).padStart(4, '0')}`),
        },
      },
      'bannedPasswords.customList',
    ],
    ['a wrong type', { registration: { reconfirmDays: 'soon' } }, 'registration.reconfirmDays'],
  ];

  it.each(invalid)(
    'refuses %s (400 SSPR_4005), audits the failure, changes nothing',
    async (_name, patch, path) => {
      const before = await getPolicy();
      const res = await t.request('PATCH', '/api/v1/admin/policy', {
        token: t.adminToken,
        body: patch,
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(errorCode(res)).toBe('SSPR_4005');
      const issues = res.json<ErrorBody>().error.details?.issues as {
        path: string;
        message: string;
      }[];
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.map((i) => i.path)).toContain(path);
      expect(issues.every((i) => i.message.length > 0)).toBe(true);
      expect(await getPolicy()).toEqual(before);
      const events = await auditOf(t, 'Self-service password reset policy changes');
      expect(events.map((e) => [e.result, e.resultReason])).toEqual([
        ['failure', 'Invalid policy'],
      ]);
    },
  );

  it('refuses a body that is not an object (SSPR_1001)', async () => {
    const res = await t.request('PATCH', '/api/v1/admin/policy', {
      token: t.adminToken,
      body: [1],
    });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('SSPR_1001');
  });
});

describe('POST /admin/users', () => {
  const post = (body: Record<string, unknown>) =>
    t.request('POST', '/api/v1/admin/users', {
      token: t.adminToken,
      body: { displayName: 'Someone', password: PASSWORD, ...body },
    });

  it('creates a cloud user (201), lower-cases the UPN and never echoes the password', async () => {
    const res = await post({
      userPrincipalName: 'Mixed.Case@Contoso.COM',
      displayName: 'Mixed Case',
      givenName: 'Mixed',
      surname: 'Case',
      email: 'mixed@Example.ORG',
      mobilePhone: '+1 (425) 555-0100',
    });
    expect(res.statusCode, res.body).toBe(201);
    const user = res.json<UserDetail>();
    expect(user).toMatchObject({
      userPrincipalName: 'mixed.case@contoso.com',
      displayName: 'Mixed Case',
      source: 'cloud',
      accountEnabled: true,
      email: 'mixed@example.org',
      mobilePhone: '+1 4255550100',
      roles: [],
    });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    for (const secret of [PASSWORD, '"password"', 'passwordHash', '$argon2']) {
      expect(res.body).not.toContain(secret);
    }
    const added = await auditOf(t, 'Add user');
    expect(added.map((e) => [e.targetId, e.targetUpn, e.actorUpn])).toEqual([
      [user.id, 'mixed.case@contoso.com', 'token:tests'],
    ]);
    // The user can sign in with the password.
    await signIn(t, 'mixed.case@contoso.com');
  });

  it('answers 409 SSPR_6002 for an existing UPN, whatever its case', async () => {
    expect((await post({ userPrincipalName: 'dup@contoso.com' })).statusCode).toBe(201);
    const dup = await post({ userPrincipalName: 'DUP@contoso.com' });
    expect(dup.statusCode).toBe(409);
    expect(errorCode(dup)).toBe('SSPR_6002');
  });

  it.each([
    ['an invalid UPN', { userPrincipalName: 'no-at-sign' }, 400, 'SSPR_1001'],
    ['a UPN without a domain suffix', { userPrincipalName: 'ann@contoso' }, 400, 'SSPR_1001'],
    ['a UPN with a space', { userPrincipalName: 'a nn@contoso.com' }, 400, 'SSPR_1001'],
    [
      'an invalid phone',
      { userPrincipalName: 'p@contoso.com', mobilePhone: '555-0100' },
      400,
      'SSPR_1006',
    ],
    ['an invalid email', { userPrincipalName: 'e@contoso.com', email: 'nope@' }, 400, 'SSPR_1005'],
    ['a weak password', { userPrincipalName: 'w@contoso.com', password: 'weak' }, 422, 'SSPR_4001'],
    [
      'a banned password',
      { userPrincipalName: 'b@contoso.com', password: 'Password123!' },
      422,
      'SSPR_4002',
    ],
    ['an unknown field', { userPrincipalName: 'u@contoso.com', manager: 'x' }, 400, 'SSPR_1001'],
    ['an unknown role', { userPrincipalName: 'r@contoso.com', roles: ['king'] }, 400, 'SSPR_1001'],
  ])('refuses %s', async (_name, body, status, code) => {
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(status);
    expect(errorCode(res)).toBe(code);
    expect(res.body).not.toContain(PASSWORD);
    const list = await t.request('GET', '/api/v1/admin/users', { token: t.adminToken });
    expect(list.json<UserPage>().items).toEqual([]);
  });

  it('names the UPN problems in details.issues', async () => {
    const res = await post({ userPrincipalName: 'bad.@contoso' });
    const issues = res.json<ErrorBody>().error.details?.issues as { path: string }[];
    expect(issues.length).toBeGreaterThanOrEqual(2);
    expect(issues.every((i) => i.path === 'userPrincipalName')).toBe(true);
  });
});

describe('GET /admin/users', () => {
  it('searches and pages with a cursor', async () => {
    for (let i = 7; i >= 1; i--) await createUser(t, `pager${String(i)}@contoso.com`);
    await createUser(t, 'other@fabrikam.com');
    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const q = new URLSearchParams({ search: 'PAGER', limit: '3', ...(cursor ? { cursor } : {}) });
      const res = await t.request('GET', `/api/v1/admin/users?${q.toString()}`, {
        token: t.adminToken,
      });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<UserPage>();
      sizes.push(page.items.length);
      seen.push(...page.items.map((u) => u.userPrincipalName));
      cursor = page.nextCursor;
    } while (cursor !== null && sizes.length < 10);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `pager${String(i + 1)}@contoso.com`));

    const all = await t.request('GET', '/api/v1/admin/users', { token: t.adminToken });
    const page = all.json<UserPage>();
    expect(page.items).toHaveLength(8);
    expect(page.nextCursor).toBeNull();
    expect(all.body).not.toContain('$argon2');
    expect(all.body).not.toContain('passwordHash');
    const fab = await t.request('GET', '/api/v1/admin/users?search=fabrikam', {
      token: t.adminToken,
    });
    expect(fab.json<UserPage>().items.map((u) => u.userPrincipalName)).toEqual([
      'other@fabrikam.com',
    ]);
    const none = await t.request('GET', '/api/v1/admin/users?search=%25', { token: t.adminToken });
    expect(none.json<UserPage>().items).toEqual([]);
  });

  it('refuses a bad limit, cursor or parameter (SSPR_1001)', async () => {
    await expectQueriesRefused(t, '/api/v1/admin/users', [
      'limit=0',
      'limit=201',
      'limit=abc',
      'cursor=not-a-cursor!',
      'cursor=YTox',
      'page=2',
    ]);
  });
});

describe('GET /admin/users/{id}', () => {
  it('finds a user by id or UPN, with methods and SSPR state', async () => {
    const created = await createUser(t, 'ann@contoso.com', { email: 'ann@example.org' });
    const byId = await userDetail(created.id);
    const byUpn = await userDetail('ANN@contoso.com');
    expect(byUpn).toEqual(byId);
    expect(byId).toMatchObject({
      id: created.id,
      userPrincipalName: 'ann@contoso.com',
      methods: [],
    });
    // Default policy: enabled for no one.
    expect(byId.sspr.capable).toBe(false);
    expect(byId.sspr.reason?.code).toBe('SSPR_0011');
    expect(byId.sspr.usableMethods).toEqual(['email']);

    await patchPolicy(t, { enabledFor: 'all' });
    const enabled = await userDetail(created.id);
    expect(enabled.sspr).toEqual({ capable: true, reason: null, usableMethods: ['email'] });

    await patchPolicy(t, { methodsRequired: 2 });
    expect((await userDetail(created.id)).sspr.reason?.code).toBe('SSPR_0014');

    // Direct group memberships, by display name.
    expect(byId.groups).toEqual([]);
    for (const name of ['Pilot', 'Finance']) {
      const group = await t.request('POST', '/api/v1/admin/groups', {
        token: t.adminToken,
        body: { displayName: name },
      });
      const { id } = group.json<{ id: string }>();
      await t.request('POST', `/api/v1/admin/groups/${id}/members`, {
        token: t.adminToken,
        body: { memberId: created.id },
      });
    }
    const withGroups = await userDetail(created.id);
    expect(withGroups.groups.map((g) => [g.displayName, g.source])).toEqual([
      ['Finance', 'cloud'],
      ['Pilot', 'cloud'],
    ]);
  });

  it('is not capable when the account is disabled', async () => {
    await patchPolicy(t, { enabledFor: 'all' });
    await createUser(t, 'off@contoso.com', { email: 'off@example.org', accountEnabled: false });
    const detail = await userDetail('off@contoso.com');
    expect(detail.accountEnabled).toBe(false);
    expect(detail.sspr.capable).toBe(false);
  });

  it('answers 404 SSPR_1010 for an unknown id or UPN', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'nobody@contoso.com']) {
      const res = await t.request('GET', `/api/v1/admin/users/${id}`, { token: t.adminToken });
      expect(res.statusCode).toBe(404);
      expect(errorCode(res)).toBe('SSPR_1010');
    }
  });
});

describe('groups', () => {
  const createGroup = async (body: Record<string, unknown>) => {
    const res = await t.request('POST', '/api/v1/admin/groups', { token: t.adminToken, body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string; displayName: string; createdAt: string }>();
  };
  const addMember = (groupId: string, body: Record<string, unknown>) =>
    t.request('POST', `/api/v1/admin/groups/${groupId}/members`, { token: t.adminToken, body });
  const removeMember = (groupId: string, memberId: string) =>
    t.request('DELETE', `/api/v1/admin/groups/${groupId}/members/${encodeURIComponent(memberId)}`, {
      token: t.adminToken,
    });
  const reasonOf = async (upn: string) => (await userDetail(upn)).sspr.reason?.code ?? null;

  it('creates groups, adds members (also nested) and removes them; scope follows', async () => {
    const ann = await createUser(t, 'ann@contoso.com', { email: 'ann@example.org' });
    await createUser(t, 'bob@contoso.com', { email: 'bob@example.org' });
    const outer = await createGroup({ displayName: 'SSPR-Enabled-Users' });
    expect(outer).toMatchObject({
      displayName: 'SSPR-Enabled-Users',
      createdAt: t.clock.now().toISOString(),
    });
    const inner = await createGroup({ displayName: 'Finance', id: 'finance' });
    expect(inner.id).toBe('finance');
    await patchPolicy(t, { enabledFor: 'selected', selectedGroupId: outer.id });
    expect(await reasonOf('ann@contoso.com')).toBe('SSPR_0013');

    const direct = await addMember(outer.id, { memberId: 'ANN@contoso.com' });
    expect(direct.statusCode, direct.body).toBe(204);
    expect(await reasonOf('ann@contoso.com')).toBeNull();
    expect(await reasonOf('bob@contoso.com')).toBe('SSPR_0013');

    expect(
      (await addMember(outer.id, { memberId: 'finance', memberType: 'group' })).statusCode,
    ).toBe(204);
    expect((await addMember('finance', { memberId: 'bob@contoso.com' })).statusCode).toBe(204);
    expect(await reasonOf('bob@contoso.com')).toBeNull();

    // Remove by id and by UPN.
    expect((await removeMember(outer.id, ann.id)).statusCode).toBe(204);
    expect(await reasonOf('ann@contoso.com')).toBe('SSPR_0013');
    expect((await removeMember('finance', 'bob@contoso.com')).statusCode).toBe(204);
    expect(await reasonOf('bob@contoso.com')).toBe('SSPR_0013');
    // Removing the nested group.
    await addMember('finance', { memberId: 'bob@contoso.com' });
    expect(await reasonOf('bob@contoso.com')).toBeNull();
    expect((await removeMember(outer.id, 'finance')).statusCode).toBe(204);
    expect(await reasonOf('bob@contoso.com')).toBe('SSPR_0013');
  });

  it('answers 404 SSPR_1010 for unknown groups and members, 409 SSPR_6002 for a taken id', async () => {
    await createUser(t, 'ann@contoso.com');
    await createGroup({ displayName: 'G', id: 'g1' });
    const taken = await t.request('POST', '/api/v1/admin/groups', {
      token: t.adminToken,
      body: { displayName: 'Other', id: 'g1' },
    });
    expect(taken.statusCode).toBe(409);
    expect(errorCode(taken)).toBe('SSPR_6002');
    for (const res of [
      await addMember('nope', { memberId: 'ann@contoso.com' }),
      await addMember('g1', { memberId: 'nobody@contoso.com' }),
      await addMember('g1', { memberId: 'nope', memberType: 'group' }),
      await removeMember('nope', 'ann@contoso.com'),
      await removeMember('g1', 'nobody@contoso.com'),
    ]) {
      expect(res.statusCode, res.body).toBe(404);
      expect(errorCode(res)).toBe('SSPR_1010');
    }
    const bad = await addMember('g1', { memberId: 'ann@contoso.com', memberType: 'device' });
    expect(errorCode(bad)).toBe('SSPR_1001');
  });
});

describe('GET /admin/audit', () => {
  async function seed() {
    const ann = await createUser(t, 'ann@contoso.com');
    await signIn(t, 'ann@contoso.com');
    await t.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: 'ann@contoso.com', password: 'Wrong-Password-1' },
    });
    const start = t.clock.now().toISOString();
    t.clock.advance(3600_000);
    const mid = t.clock.now().toISOString();
    t.clock.advance(3600_000);
    await createUser(t, 'bob@contoso.com');
    await signIn(t, 'bob@contoso.com');
    await patchPolicy(t, { enabledFor: 'all' });
    return { ann, start, mid };
  }

  it('filters by activity, result, user and time', async () => {
    const { ann, start, mid } = await seed();
    const signIns = await auditOf(t, 'Sign-in activity');
    expect(signIns).toHaveLength(3);
    expect(signIns.every((e) => e.activity === 'Sign-in activity')).toBe(true);

    const failures = (await auditPage(t, { result: 'failure' })).items;
    expect(failures.map((e) => [e.activity, e.actorUpn])).toEqual([
      ['Sign-in activity', 'ann@contoso.com'],
    ]);

    const annEvents = (await auditPage(t, { user: 'ANN@Contoso.com' })).items;
    expect(annEvents.map((e) => `${e.activity}/${e.result}`)).toEqual([
      'Sign-in activity/failure',
      'Sign-in activity/success',
      'Add user/success',
    ]);
    expect(
      annEvents.every((e) => e.actorUpn === 'ann@contoso.com' || e.targetUpn === 'ann@contoso.com'),
    ).toBe(true);
    expect((await auditPage(t, { user: ann.id })).items.map((e) => e.id).sort()).toEqual(
      annEvents.map((e) => e.id).sort(),
    );

    const early = (await auditPage(t, { to: mid })).items;
    const late = (await auditPage(t, { from: mid })).items;
    expect(early.every((e) => e.occurredAt <= mid)).toBe(true);
    expect(late.every((e) => e.occurredAt >= mid)).toBe(true);
    expect(late.map((e) => e.activity)).toEqual([
      'Self-service password reset policy changes',
      'Sign-in activity',
      'Add user',
    ]);
    expect(early.some((e) => e.targetUpn === 'bob@contoso.com')).toBe(false);
    const all = (await auditPage(t, { limit: '500' })).items;
    expect(early.length + late.length).toBe(all.length);
    // Offsets are accepted and mean the same instant.
    const offset = new Date(Date.parse(mid)).toISOString().replace('Z', '+00:00');
    expect((await auditPage(t, { from: offset })).items).toHaveLength(late.length);
    const combined = (
      await auditPage(t, { from: start, to: mid, activity: 'Sign-in activity', result: 'success' })
    ).items;
    expect(combined.map((e) => e.actorUpn)).toEqual(['ann@contoso.com']);
  });

  it('pages newest first with a cursor', async () => {
    await seed();
    const all = (await auditPage(t, { limit: '500' })).items;
    expect(all.length).toBeGreaterThanOrEqual(7);
    const collected: AuditItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await auditPage(t, { limit: '2', ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      collected.push(...page.items);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 50);
    expect(pages).toBe(Math.ceil(all.length / 2));
    expect(collected.map((e) => e.id)).toEqual(all.map((e) => e.id));
    const seqs = collected.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('refuses an invalid query (SSPR_1001)', async () => {
    for (const q of [
      'limit=0',
      'limit=501',
      'activity=Bogus',
      'result=maybe',
      'from=yesterday',
      'to=2026-01-01',
      'cursor=garbage!',
      'cursor=dTpmb28',
      'sort=asc',
    ]) {
      const res = await t.request('GET', `/api/v1/admin/audit?${q}`, { token: t.adminToken });
      expect(res.statusCode, q).toBe(400);
      expect(errorCode(res), q).toBe('SSPR_1001');
    }
  });
});
