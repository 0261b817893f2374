/**
 * OpenLdapDirectory against a real slapd with ppolicy (test/support/directories.ts). Seeded
 * users are only read (or refused writes); everything that changes is done to users and
 * policies this file creates under unique names and deletes afterwards.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOpenLdap, type OpenLdapFacts } from '../../../test/support/directories.js';
import { collect, failure, openLdapServiceOptions } from '../../../test/support/ldap-adapter.js';
import { closedPort } from '../../../test/support/net.js';
import {
  createOpenLdapDirectory,
  type OpenLdapDirectory,
  type OpenLdapOptions,
} from './openldap.js';

const slapd = useOpenLdap();

let f: OpenLdapFacts;
let ca: string;
/** The rootDN: creates and removes this file's users and policies. */
let root: Client;
let svc: OpenLdapDirectory;
const created: string[] = [];
const open: OpenLdapDirectory[] = [];

function directory(overrides: Partial<OpenLdapOptions> = {}): OpenLdapDirectory {
  const dir = createOpenLdapDirectory({ ...openLdapServiceOptions(f, ca), ...overrides });
  open.push(dir);
  return dir;
}

interface TestUser {
  dn: string;
  uid: string;
  mail: string;
  password: string;
}

const unique = () => `t${randomBytes(4).toString('hex')}`;

async function createUser(
  options: { ou?: string; password?: string; policy?: string } = {},
): Promise<TestUser> {
  const uid = unique();
  const dn = `uid=${uid},${options.ou ?? f.ous.staff}`;
  const password = options.password ?? 'Initial!Passw0rd-1';
  await root.add(dn, {
    objectClass: 'inetOrgPerson',
    uid,
    cn: `Test ${uid}`,
    sn: uid,
    mail: `${uid}@example.org`,
    userPassword: password,
    ...(options.policy !== undefined ? { pwdPolicySubentry: options.policy } : {}),
  });
  created.push(dn);
  return { dn, uid, mail: `${uid}@example.org`, password };
}

/** An independent client: OpenLDAP's ldapwhoami over StartTLS with the CA. */
function ldapwhoami(dn: string, password: string): { ok: boolean; output: string } {
  const result = spawnSync('ldapwhoami', ['-x', '-ZZ', '-H', f.ldapUrl, '-D', dn, '-w', password], {
    env: { ...process.env, LDAPTLS_CACERT: f.caFile },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

async function attributes(dn: string, names: string[]): Promise<Record<string, unknown>> {
  const { searchEntries } = await root.search(dn, { scope: 'base', attributes: names });
  return searchEntries[0] ?? {};
}

beforeAll(async () => {
  f = slapd();
  ca = readFileSync(f.caFile, 'utf8');
  root = new Client({ url: f.ldapsUrl, tlsOptions: { ca, rejectUnauthorized: true } });
  await root.bind(f.adminDn, f.adminPassword);
  svc = directory();
});

afterAll(async () => {
  for (const dn of created.reverse()) await root.del(dn).catch(() => undefined);
  await root.unbind();
  await Promise.all(open.map((dir) => dir.close()));
});

describe('finding users', () => {
  it('by UPN (mail, or uid@domain), uid and mail; memberOf from the groups', async () => {
    const alice = f.users.alice;
    const user = await svc.findUser({ by: 'upn', value: alice.mail });
    expect(user).toMatchObject({
      dn: alice.dn,
      userPrincipalName: alice.mail,
      accountName: alice.uid,
      displayName: alice.displayName,
      givenName: alice.givenName,
      surname: alice.sn,
      mail: alice.mail,
      mobile: alice.mobile,
      telephoneNumber: alice.telephoneNumber,
      memberOf: [f.groups.ssprEnabledUsers.dn],
      state: { disabled: false, locked: false, mustChange: false, protected: false },
    });
    expect(user?.externalId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect((await svc.findUser({ by: 'accountName', value: 'alice' }))?.externalId).toBe(
      user?.externalId,
    );
    expect((await svc.findUser({ by: 'mail', value: alice.mail }))?.dn).toBe(alice.dn);
    expect(
      [...((await svc.findUser({ by: 'accountName', value: 'erin' }))?.memberOf ?? [])].sort(),
    ).toEqual([f.groups.ldapAdmins.dn, f.groups.ssprEnabledUsers.dn].sort());
  });

  it('never out of scope or by injection', async () => {
    expect(await svc.findUser({ by: 'accountName', value: 'frank' })).toBeNull();
    expect(await svc.findUser({ by: 'accountName', value: '*' })).toBeNull();
    expect(await svc.findUser({ by: 'upn', value: 'x)(uid=*' })).toBeNull();
  });
});

describe('resetPassword (Password Modify as a password administrator)', () => {
  it('sets the password (ldapwhoami proves it) and clears the pwdReset the server sets', async () => {
    const user = await createUser();
    await svc.resetPassword(user.dn, 'Reset!Passw0rd-2', { unlock: true, mustChange: false });
    expect(await attributes(user.dn, ['pwdReset'])).toMatchObject({ pwdReset: [] });
    expect(await svc.readAccountState(user.dn)).toMatchObject({ mustChange: false });
    const whoami = ldapwhoami(user.dn, 'Reset!Passw0rd-2');
    expect(whoami).toMatchObject({ ok: true });
    expect(whoami.output).toContain(`dn:${user.dn}`);
    expect(ldapwhoami(user.dn, user.password).output).toMatch(/Invalid credentials \(49\)/);
  });

  it('with mustChange keeps pwdReset=TRUE; verifyPassword resolves (changeAfterReset)', async () => {
    const user = await createUser();
    await svc.resetPassword(user.dn, 'Temp!Passw0rd-3', { unlock: true, mustChange: true });
    expect(await attributes(user.dn, ['pwdReset'])).toMatchObject({ pwdReset: 'TRUE' });
    expect(await svc.readAccountState(user.dn)).toMatchObject({ mustChange: true });
    await svc.verifyPassword(user.dn, 'Temp!Passw0rd-3');
    // The user's own change clears it.
    await svc.changePassword(user.dn, 'Temp!Passw0rd-3', 'Mine!Passw0rd-3');
    expect(await svc.readAccountState(user.dn)).toMatchObject({ mustChange: false });
  });

  it('is not checked for length by the server (reported in notEnforcedOnReset)', async () => {
    const user = await createUser();
    await svc.resetPassword(user.dn, 'short', { unlock: true, mustChange: false });
    await svc.verifyPassword(user.dn, 'short');
    expect((await svc.readPasswordPolicy(user.dn)).notEnforcedOnReset).toEqual([
      'history',
      'length',
      'complexity',
    ]);
  });

  it('a write-only account (sspr-writer) is checked like a change', async () => {
    const writer = directory({
      bindDn: f.writerDn,
      bindPassword: f.writerPassword,
      serviceIsPasswordAdministrator: false,
    });
    const user = await createUser();
    const error = await failure(
      writer.resetPassword(user.dn, 'short', { unlock: true, mustChange: false }),
    );
    expect(error.errorName).toBe('DIRECTORY_PASSWORD_TOO_SHORT');
    expect(error.details).toMatchObject({
      resultCode: 19,
      ppolicyError: 'passwordTooShort',
      directoryText: 'Password fails quality checking policy',
    });
    await writer.resetPassword(user.dn, 'Writer!Passw0rd-1', { unlock: true, mustChange: false });
    expect(ldapwhoami(user.dn, 'Writer!Passw0rd-1').ok).toBe(true);
    expect((await writer.readPasswordPolicy(user.dn)).notEnforcedOnReset).toEqual(['minAge']);
  });

  it('a disabled account (pwdAccountLockedTime=000001010000Z) is refused, never re-enabled', async () => {
    const dave = f.users.dave;
    for (const attempt of [
      svc.resetPassword(dave.dn, 'Dave!New-Passw0rd1', { unlock: true, mustChange: false }),
      svc.unlock(dave.dn),
      svc.changePassword(dave.dn, dave.password, 'Dave!New-Passw0rd1'),
    ]) {
      expect((await failure(attempt)).errorName).toBe('DIRECTORY_ACCOUNT_DISABLED');
    }
    expect(await attributes(dave.dn, ['pwdAccountLockedTime'])).toMatchObject({
      pwdAccountLockedTime: f.lockedForever,
    });
    const verify = await failure(svc.verifyPassword(dave.dn, dave.password));
    expect(verify).toMatchObject({ errorName: 'DIRECTORY_ACCOUNT_DISABLED', code: 'SSPR_5007' });
    expect(verify.details).toMatchObject({ ppolicyError: 'accountLocked' });
    expect(await svc.readAccountState(dave.dn)).toMatchObject({ disabled: true, locked: false });
  });

  it('outside the scope and unknown DNs are DIRECTORY_USER_NOT_FOUND', async () => {
    expect(
      (
        await failure(
          svc.resetPassword(f.users.frank.dn, 'Frank!New-Passw0rd1', {
            unlock: true,
            mustChange: false,
          }),
        )
      ).errorName,
    ).toBe('DIRECTORY_USER_NOT_FOUND');
    expect(
      (
        await failure(
          svc.resetPassword(`uid=ghost,${f.ous.staff}`, 'Ghost!Passw0rd-1', {
            unlock: true,
            mustChange: false,
          }),
        )
      ).errorName,
    ).toBe('DIRECTORY_USER_NOT_FOUND');
  });
});

describe('changePassword (as the user, Password Modify with oldPasswd)', () => {
  it('enforces length, history and same-as-current through the ppolicy control', async () => {
    const user = await createUser();
    const short = await failure(svc.changePassword(user.dn, user.password, 'short'));
    expect(short.errorName).toBe('DIRECTORY_PASSWORD_TOO_SHORT');
    expect(short.details).toMatchObject({ ppolicyError: 'passwordTooShort' });
    const same = await failure(svc.changePassword(user.dn, user.password, user.password));
    expect(same.errorName).toBe('DIRECTORY_PASSWORD_IN_HISTORY');
    expect(same.details).toMatchObject({
      directoryText: 'Password is not being changed from existing value',
    });
    await svc.changePassword(user.dn, user.password, 'Second!Passw0rd-1');
    expect(ldapwhoami(user.dn, 'Second!Passw0rd-1').ok).toBe(true);
    const history = await failure(svc.changePassword(user.dn, 'Second!Passw0rd-1', user.password));
    expect(history.errorName).toBe('DIRECTORY_PASSWORD_IN_HISTORY');
    expect(history.details).toMatchObject({
      directoryText: 'Password is in history of old passwords',
      ppolicyError: 'passwordInHistory',
    });
  });

  it('a wrong old password is DIRECTORY_WRONG_CURRENT_PASSWORD', async () => {
    const user = await createUser();
    expect(
      (await failure(svc.changePassword(user.dn, 'Not!The-Passw0rd1', 'Third!Passw0rd-1')))
        .errorName,
    ).toBe('DIRECTORY_WRONG_CURRENT_PASSWORD');
    expect((await failure(svc.changePassword(user.dn, '', 'Third!Passw0rd-1'))).errorName).toBe(
      'DIRECTORY_WRONG_CURRENT_PASSWORD',
    );
  });

  it("carol's policy (cn=strict) wants 14 characters", async () => {
    const error = await failure(
      svc.changePassword(f.users.carol.dn, f.users.carol.password, 'Short!Pw-123'),
    );
    expect(error.errorName).toBe('DIRECTORY_PASSWORD_TOO_SHORT');
    expect(await svc.readPasswordPolicy(f.users.carol.dn)).toMatchObject({
      source: `ppolicy:${f.policies.strict.dn}`,
      minLength: 14,
    });
  });

  it('minimum age (a policy with pwdMinAge 3600) is DIRECTORY_PASSWORD_TOO_YOUNG', async () => {
    const policy = `cn=young-${unique()},${f.ous.policies}`;
    await root.add(policy, {
      objectClass: ['device', 'pwdPolicy'],
      cn: policy.slice(3, policy.indexOf(',')),
      pwdAttribute: 'userPassword',
      pwdMinAge: '3600',
      pwdCheckQuality: '2',
      pwdMinLength: '8',
      pwdInHistory: '3',
    });
    created.push(policy);
    // Created (and so pwdChangedTime) a moment ago: too young to change already.
    const user = await createUser({ policy });
    const error = await failure(svc.changePassword(user.dn, user.password, 'Young!Passw0rd-2'));
    expect(error.errorName).toBe('DIRECTORY_PASSWORD_TOO_YOUNG');
    expect(error.details).toMatchObject({
      ppolicyError: 'passwordTooYoung',
      directoryText: 'Password is too young to change',
    });
    expect((await svc.readPasswordPolicy(user.dn)).minAgeDays).toBeCloseTo(1 / 24);
  });
});

describe('lockout and unlock', () => {
  it('pwdMaxFailure bad binds lock; the lock shows through the ppolicy control; unlock clears it', async () => {
    const user = await createUser();
    for (let attempt = 0; attempt < f.policies.default.pwdMaxFailure; attempt += 1) {
      expect(
        (await failure(svc.verifyPassword(user.dn, `Wrong!${String(attempt)}`))).errorName,
      ).toBe('INVALID_CREDENTIALS');
    }
    const locked = await failure(svc.verifyPassword(user.dn, user.password));
    expect(locked.errorName).toBe('DIRECTORY_ACCOUNT_LOCKED');
    expect(locked.details).toMatchObject({ resultCode: 49, ppolicyError: 'accountLocked' });
    expect(await svc.readAccountState(user.dn)).toMatchObject({ locked: true, disabled: false });
    expect(
      (await failure(svc.changePassword(user.dn, user.password, 'Locked!Passw0rd-1'))).errorName,
    ).toBe('DIRECTORY_ACCOUNT_LOCKED');
    await svc.unlock(user.dn);
    await svc.unlock(user.dn); // nothing left to delete: still fine
    await svc.verifyPassword(user.dn, user.password);
  });

  it('a reset with unlock clears the lockout', async () => {
    const user = await createUser();
    for (let attempt = 0; attempt < f.policies.default.pwdMaxFailure; attempt += 1) {
      await failure(svc.verifyPassword(user.dn, `Wrong!${String(attempt)}`));
    }
    await svc.resetPassword(user.dn, 'Unlocked!Passw0rd-1', { unlock: true, mustChange: false });
    await svc.verifyPassword(user.dn, 'Unlocked!Passw0rd-1');
    expect(await attributes(user.dn, ['pwdAccountLockedTime'])).toMatchObject({
      pwdAccountLockedTime: [],
    });
  });

  it('setMustChange writes and deletes pwdReset', async () => {
    const user = await createUser();
    await svc.setMustChange(user.dn, true);
    expect((await svc.readAccountState(user.dn)).mustChange).toBe(true);
    await svc.setMustChange(user.dn, false);
    await svc.setMustChange(user.dn, false);
    expect((await svc.readAccountState(user.dn)).mustChange).toBe(false);
  });
});

describe('rights', () => {
  it('a plain user may not write ppolicy attributes: DIRECTORY_INSUFFICIENT_RIGHTS', async () => {
    const user = await createUser();
    const self = directory({ bindDn: user.dn, bindPassword: user.password });
    const error = await failure(self.setMustChange(user.dn, true));
    expect(error).toMatchObject({ errorName: 'DIRECTORY_INSUFFICIENT_RIGHTS', code: 'SSPR_5010' });
    expect(error.details).toMatchObject({ resultCode: 50 });
    // … and cannot even see other people (the ACL hides them).
    const other = await createUser();
    expect(
      (
        await failure(
          self.resetPassword(other.dn, 'Other!Passw0rd-1', { unlock: true, mustChange: false }),
        )
      ).errorName,
    ).toBe('DIRECTORY_USER_NOT_FOUND');
  });

  it('checkRights reads users in each scope OU and the default policy', async () => {
    const report = await svc.checkRights();
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual([
      `read users in OU ${f.ous.staff}`,
      `read users in OU ${f.ous.groups}`,
      'read the default password policy',
      'password administrator',
    ]);
  });
});

describe('policy', () => {
  it('the default policy, in days and minutes', async () => {
    const p = f.policies.default;
    expect(await svc.readPasswordPolicy(f.users.alice.dn)).toEqual({
      source: `ppolicy:${p.dn}`,
      minLength: p.pwdMinLength,
      complexity: false,
      historyCount: p.pwdInHistory,
      minAgeDays: p.pwdMinAge / 86_400,
      maxAgeDays: p.pwdMaxAge / 86_400,
      lockoutThreshold: p.pwdMaxFailure,
      lockoutDurationMinutes: p.pwdLockoutDuration / 60,
      notEnforcedOnReset: ['history', 'length', 'complexity'],
    });
  });
});

describe('connections', () => {
  it('fails over from a closed port; StartTLS on ldap://; only closed ports → UNREACHABLE', async () => {
    const closed = `ldap://127.0.0.1:${String(await closedPort())}`;
    const failover = directory({ urls: [closed, f.ldapUrl] });
    await failover.verifyPassword(f.users.alice.dn, f.users.alice.password);
    expect((await failover.findUser({ by: 'accountName', value: 'bob' }))?.dn).toBe(f.users.bob.dn);
    const error = await failure(directory({ urls: [closed] }).ping());
    expect(error.errorName).toBe('DIRECTORY_UNREACHABLE');
    expect(JSON.stringify(error.details)).toContain(closed);
  });

  it('without the CA the certificate is refused (LDAPS and StartTLS)', async () => {
    for (const url of [f.ldapsUrl, f.ldapUrl]) {
      const error = await failure(
        directory({ urls: [url], tls: { rejectUnauthorized: true } }).ping(),
      );
      expect(error.errorName).toBe('DIRECTORY_UNREACHABLE');
      expect(String(error.details?.['reason'])).toMatch(/tls: [A-Z_]+: .*certificate/);
    }
  });
});

describe('scan', () => {
  it('full: users and groups in scope, in small pages, nested groups as members', async () => {
    const { pages, full } = await collect(svc, null, 2);
    expect(full).toBe(true);
    for (const page of pages) expect(page.users.length + page.groups.length).toBeLessThanOrEqual(2);
    const users = pages.flatMap((p) => p.users);
    expect(users.map((u) => u.accountName)).toEqual(
      expect.arrayContaining(['alice', 'bob', 'carol', 'dave', 'erin']),
    );
    expect(users.map((u) => u.accountName)).not.toContain('frank');
    expect(users.find((u) => u.accountName === 'dave')?.state.disabled).toBe(true);
    expect(users.find((u) => u.accountName === 'carol')?.memberOf).toEqual([
      f.groups.financeTeam.dn,
    ]);
    const groups = pages.flatMap((p) => p.groups);
    expect(groups.find((g) => g.dn === f.groups.ssprEnabledUsers.dn)?.members).toEqual(
      expect.arrayContaining([f.groups.financeTeam.dn, f.users.alice.dn]),
    );
  });

  it('delta: modified and added users, a user moved out of scope is deleted', async () => {
    const modified = await createUser();
    const moved = await createUser();
    const first = await collect(svc, null, 100);
    expect(JSON.parse(first.cookie)).toMatchObject({ mode: 'modifyTimestamp' });
    const ids = Object.fromEntries(
      first.pages.flatMap((p) => p.users).map((u) => [u.accountName, u.externalId]),
    );
    await root.modify(
      modified.dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'mail', values: [`new-${modified.mail}`] }),
      }),
    );
    const added = await createUser();
    await root.modifyDN(moved.dn, `uid=${moved.uid},${f.ous.contractors}`);
    created.push(`uid=${moved.uid},${f.ous.contractors}`);

    const delta = await collect(svc, first.cookie, 100);
    expect(delta.full).toBe(false);
    const users = delta.pages.flatMap((p) => p.users);
    expect(users.map((u) => u.accountName)).toEqual(
      expect.arrayContaining([modified.uid, added.uid]),
    );
    expect(users.find((u) => u.accountName === modified.uid)?.mail).toBe(`new-${modified.mail}`);
    expect(users.map((u) => u.accountName)).not.toContain(moved.uid);
    expect(delta.pages.flatMap((p) => p.deleted)).toContain(ids[moved.uid]);
  });

  it('delta: only what changed since the cookie (a clock ahead of every change sees nothing)', async () => {
    const future = directory({
      clock: { now: () => new Date(Date.now() + 3_600_000) },
      clockSkewSeconds: 0,
    });
    const { cookie } = await collect(future, null, 100);
    await createUser();
    const delta = await collect(future, cookie, 100);
    expect(delta.full).toBe(false);
    expect(delta.pages).toEqual([]);
  });

  it('an unusable cookie starts a full scan', async () => {
    expect((await collect(svc, 'garbage', 100)).full).toBe(true);
  });
});
