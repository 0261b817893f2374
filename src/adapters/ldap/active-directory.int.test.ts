/**
 * ActiveDirectoryDirectory against a real Samba AD DC (test/support/directories.ts). Seeded
 * users are only read (or refused writes); everything that changes is done to users this file
 * creates under unique names and deletes afterwards, so the shared DC stays as seeded.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSamba, type SambaFacts } from '../../../test/support/directories.js';
import { collect, failure, sambaServiceOptions } from '../../../test/support/ldap-adapter.js';
import { closedPort } from '../../../test/support/net.js';
import {
  createActiveDirectoryDirectory,
  unicodePwd,
  type ActiveDirectoryDirectory,
  type ActiveDirectoryOptions,
} from './active-directory.js';

const samba = useSamba();

let f: SambaFacts;
let ca: string;
let admin: Client;
let svc: ActiveDirectoryDirectory;
/** Bound as Administrator, scope = the whole domain: groups, PSOs, tombstones. */
let adminDir: ActiveDirectoryDirectory;
const created: string[] = [];
const open: ActiveDirectoryDirectory[] = [];

function directory(overrides: Partial<ActiveDirectoryOptions> = {}): ActiveDirectoryDirectory {
  const dir = createActiveDirectoryDirectory({ ...sambaServiceOptions(f, ca), ...overrides });
  open.push(dir);
  return dir;
}

const unique = () => `t${randomBytes(4).toString('hex')}`;

interface TestUser {
  dn: string;
  sam: string;
  upn: string;
  password: string;
}

/** A new enabled user with a password (as Administrator), deleted after the file. */
async function createUser(ou = f.ous.staff, password = 'Initial!Passw0rd-1'): Promise<TestUser> {
  const sam = unique();
  const dn = `CN=${sam},${ou}`;
  await admin.add(dn, [
    new Attribute({ type: 'objectClass', values: ['user'] }),
    new Attribute({ type: 'sAMAccountName', values: [sam] }),
    new Attribute({ type: 'userPrincipalName', values: [`${sam}@${f.dnsDomain}`] }),
    new Attribute({ type: 'mail', values: [`${sam}@${f.dnsDomain}`] }),
    new Attribute({ type: 'unicodePwd', values: [unicodePwd(password)] }),
    new Attribute({ type: 'userAccountControl', values: ['512'] }),
  ]);
  created.push(dn);
  return { dn, sam, upn: `${sam}@${f.dnsDomain}`, password };
}

/** An independent client: MIT kinit against the DC's KDC with the private krb5.conf. */
function kinit(user: TestUser, password: string): { ok: boolean; output: string } {
  const cache = join(tmpdir(), `krb5cc-sspr-${randomBytes(4).toString('hex')}`);
  const result = spawnSync('kinit', [`${user.sam}@${f.realm}`], {
    input: `${password}\n`,
    env: { ...process.env, KRB5_CONFIG: f.krb5Conf, KRB5CCNAME: `FILE:${cache}` },
    encoding: 'utf8',
    timeout: 15_000,
  });
  spawnSync('kdestroy', [], {
    env: { ...process.env, KRB5_CONFIG: f.krb5Conf, KRB5CCNAME: `FILE:${cache}` },
  });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

beforeAll(async () => {
  f = samba();
  ca = readFileSync(f.caFile, 'utf8');
  admin = new Client({ url: f.ldapsUrl, tlsOptions: { ca, rejectUnauthorized: true } });
  await admin.bind(f.adminDn, f.adminPassword);
  svc = directory();
  adminDir = directory({ bindDn: f.adminDn, bindPassword: f.adminPassword, scope: [] });
});

afterAll(async () => {
  for (const dn of created.reverse()) await admin.del(dn).catch(() => undefined);
  await admin.unbind();
  await Promise.all(open.map((dir) => dir.close()));
});

describe('finding users', () => {
  it('by UPN, account name and mail, in scope only', async () => {
    const alice = f.users.alice;
    const byUpn = await svc.findUser({ by: 'upn', value: alice.upn });
    expect(byUpn).toMatchObject({
      dn: alice.dn,
      userPrincipalName: alice.upn.toLowerCase(),
      accountName: alice.sAMAccountName,
      displayName: alice.displayName,
      givenName: alice.givenName,
      surname: alice.sn,
      mail: alice.mail,
      mobile: alice.mobile,
      telephoneNumber: alice.telephoneNumber,
      memberOf: [f.groups.ssprEnabledUsers.dn],
      state: { disabled: false, locked: false, mustChange: false, protected: false },
    });
    expect(byUpn?.externalId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect((await svc.findUser({ by: 'accountName', value: 'alice' }))?.externalId).toBe(
      byUpn?.externalId,
    );
    expect((await svc.findUser({ by: 'mail', value: alice.mail }))?.dn).toBe(alice.dn);
    // Finance is below Staff: in scope.
    expect((await svc.findUser({ by: 'accountName', value: 'carol' }))?.memberOf).toEqual([
      f.groups.financeTeam.dn,
    ]);
  });

  it('never out of scope, never a critical system object, never by injection', async () => {
    expect(await svc.findUser({ by: 'accountName', value: 'frank' })).toBeNull(); // OU=Contractors
    expect(await adminDir.findUser({ by: 'accountName', value: 'frank' })).not.toBeNull();
    expect(await adminDir.findUser({ by: 'accountName', value: 'Administrator' })).toBeNull();
    expect(await svc.findUser({ by: 'accountName', value: 'nobody-here' })).toBeNull();
    expect(await svc.findUser({ by: 'accountName', value: '*' })).toBeNull();
    expect(await svc.findUser({ by: 'accountName', value: 'alice)(sAMAccountName=*' })).toBeNull();
  });
});

describe('account state', () => {
  it('reads disabled, protected and normal accounts', async () => {
    expect(await svc.readAccountState(f.users.dave.dn)).toMatchObject({ disabled: true });
    expect(await svc.readAccountState(f.users.erin.dn)).toMatchObject({
      protected: true,
      disabled: false,
    });
    expect(await adminDir.readAccountState(f.adminDn)).toMatchObject({
      criticalSystemObject: true,
    });
    const alice = await svc.readAccountState(f.users.alice.dn);
    expect(alice).toMatchObject({
      disabled: false,
      locked: false,
      expired: false,
      mustChange: false,
    });
    expect(Date.parse(alice.passwordLastSet ?? '')).toBeGreaterThan(Date.parse('2020-01-01'));
  });
});

describe('resetPassword', () => {
  it('sets the password (kinit proves it), clears must-change, unlocks', async () => {
    const user = await createUser();
    await svc.resetPassword(user.dn, 'Reset!Passw0rd-2', { unlock: true, mustChange: false });
    await svc.verifyPassword(user.dn, 'Reset!Passw0rd-2');
    expect(await svc.readAccountState(user.dn)).toMatchObject({ mustChange: false, locked: false });
    expect(kinit(user, 'Reset!Passw0rd-2')).toMatchObject({ ok: true });
    const old = kinit(user, user.password);
    expect(old.ok).toBe(false);
    expect(old.output).toMatch(/Password incorrect/);
    expect((await failure(svc.verifyPassword(user.dn, user.password))).errorName).toBe(
      'INVALID_CREDENTIALS',
    );
  });

  it('with mustChange leaves pwdLastSet=0: the bind says 773 and verifyPassword still resolves', async () => {
    const user = await createUser();
    await svc.resetPassword(user.dn, 'Temp!Passw0rd-3', { unlock: true, mustChange: true });
    expect(await svc.readAccountState(user.dn)).toMatchObject({
      mustChange: true,
      expired: false,
      passwordLastSet: null,
    });
    await svc.verifyPassword(user.dn, 'Temp!Passw0rd-3');
    expect((await failure(svc.verifyPassword(user.dn, 'Wrong!Passw0rd-3'))).errorName).toBe(
      'INVALID_CREDENTIALS',
    );
    // The user can change it (the bind could not, the change by old + new can) …
    await svc.changePassword(user.dn, 'Temp!Passw0rd-3', 'Changed!Passw0rd-3');
    expect((await svc.readAccountState(user.dn)).mustChange).toBe(false);
    // … and a later SSPR reset clears a must-change flag again.
    await svc.setMustChange(user.dn, true);
    await svc.resetPassword(user.dn, 'Mine!Passw0rd-3', { unlock: true, mustChange: false });
    expect((await svc.readAccountState(user.dn)).mustChange).toBe(false);
    expect(kinit(user, 'Mine!Passw0rd-3').ok).toBe(true);
  });

  it('maps the domain policy refusals (too short, not complex) and never echoes the password', async () => {
    const user = await createUser();
    const short = await failure(
      svc.resetPassword(user.dn, 'Ab1!x', { unlock: true, mustChange: false }),
    );
    expect(short.errorName).toBe('DIRECTORY_PASSWORD_TOO_SHORT');
    expect(short.details).toMatchObject({ resultCode: 19, adError: '0000052D', url: f.ldapsUrl });
    expect(String(short.details?.['directoryText'])).toMatch(/too short/);
    const simple = await failure(
      svc.resetPassword(user.dn, 'aaaaaaaaaaaaaaa', { unlock: true, mustChange: false }),
    );
    expect(simple.errorName).toBe('DIRECTORY_PASSWORD_COMPLEXITY');
    const everything = JSON.stringify({
      message: simple.message,
      details: simple.details,
      cause: simple.cause instanceof Error ? simple.cause.message : simple.cause,
    });
    expect(everything).not.toContain('aaaaaaaaaaaaaaa');
  });

  it('the PSO of Finance-Team (14 characters) applies to carol', async () => {
    const error = await failure(
      svc.resetPassword(f.users.carol.dn, 'Short!Pw-123', { unlock: true, mustChange: false }),
    );
    expect(error.errorName).toBe('DIRECTORY_PASSWORD_TOO_SHORT');
    expect(String(error.details?.['directoryText'])).toMatch(/14 characters/);
    await svc.verifyPassword(f.users.carol.dn, f.users.carol.password); // unchanged
  });

  it('a critical system object is ON_PREMISES_ADMIN_ACTION_REQUIRED before anything is sent', async () => {
    for (const dir of [svc, adminDir]) {
      const error = await failure(
        dir.resetPassword(f.adminDn, 'Never!Passw0rd-1', { unlock: true, mustChange: false }),
      );
      expect(error).toMatchObject({
        errorName: 'ON_PREMISES_ADMIN_ACTION_REQUIRED',
        code: 'SSPR_0029',
      });
    }
    // Administrator's password is unchanged.
    const check = new Client({ url: f.ldapsUrl, tlsOptions: { ca } });
    await check.bind(f.adminDn, f.adminPassword);
    await check.unbind();
  });

  it('a protected account (adminCount=1): the DC refuses the agent, and the error says so', async () => {
    const error = await failure(
      svc.resetPassword(f.users.erin.dn, 'Erin!New-Passw0rd1', { unlock: true, mustChange: false }),
    );
    expect(error.errorName).toBe('DIRECTORY_INSUFFICIENT_RIGHTS');
    expect(error.details).toMatchObject({ resultCode: 50, protected: true });
  });

  it('an account without the rights gets DIRECTORY_INSUFFICIENT_RIGHTS', async () => {
    const plain = await createUser();
    const dir = directory({ bindDn: plain.upn, bindPassword: plain.password });
    const target = await createUser();
    const error = await failure(
      dir.resetPassword(target.dn, 'Other!Passw0rd-9', { unlock: true, mustChange: false }),
    );
    expect(error.errorName).toBe('DIRECTORY_INSUFFICIENT_RIGHTS');
    expect(error.details).toMatchObject({ resultCode: 50 });
    expect(error.details?.['protected']).toBeUndefined();
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
          svc.resetPassword(`CN=ghost,${f.ous.staff}`, 'Ghost!Passw0rd-1', {
            unlock: true,
            mustChange: false,
          }),
        )
      ).errorName,
    ).toBe('DIRECTORY_USER_NOT_FOUND');
  });
});

describe('changePassword (old + new in one modify, sent by the service account)', () => {
  it('changes the password and enforces history and same-as-current', async () => {
    const user = await createUser();
    await svc.changePassword(user.dn, user.password, 'Second!Passw0rd-1');
    expect(kinit(user, 'Second!Passw0rd-1').ok).toBe(true);
    const same = await failure(
      svc.changePassword(user.dn, 'Second!Passw0rd-1', 'Second!Passw0rd-1'),
    );
    expect(same.errorName).toBe('DIRECTORY_PASSWORD_IN_HISTORY');
    expect(String(same.details?.['directoryText'])).toMatch(/previous password/);
    const history = await failure(svc.changePassword(user.dn, 'Second!Passw0rd-1', user.password));
    expect(history.errorName).toBe('DIRECTORY_PASSWORD_IN_HISTORY');
    expect(String(history.details?.['directoryText'])).toMatch(/in history/);
  });

  it('a wrong old password is DIRECTORY_WRONG_CURRENT_PASSWORD (00000056)', async () => {
    const user = await createUser();
    const error = await failure(
      svc.changePassword(user.dn, 'Not!The-Passw0rd1', 'Third!Passw0rd-1'),
    );
    expect(error.errorName).toBe('DIRECTORY_WRONG_CURRENT_PASSWORD');
    expect(error.details).toMatchObject({ adError: '00000056' });
    expect((await failure(svc.changePassword(user.dn, '', 'Third!Passw0rd-1'))).errorName).toBe(
      'DIRECTORY_WRONG_CURRENT_PASSWORD',
    );
  });

  it('minimum age (a PSO with 1 day applied to the user) is DIRECTORY_PASSWORD_TOO_YOUNG', async () => {
    const user = await createUser();
    const pso = `CN=sspr-young-${user.sam},CN=Password Settings Container,CN=System,${f.baseDn}`;
    await admin.add(pso, {
      objectClass: 'msDS-PasswordSettings',
      'msDS-PasswordSettingsPrecedence': '5',
      'msDS-PasswordReversibleEncryptionEnabled': 'FALSE',
      'msDS-PasswordHistoryLength': '3',
      'msDS-PasswordComplexityEnabled': 'TRUE',
      'msDS-MinimumPasswordLength': '7',
      'msDS-MinimumPasswordAge': String(-864000000000),
      'msDS-MaximumPasswordAge': String(-90 * 864000000000),
      'msDS-LockoutThreshold': '0',
      'msDS-LockoutObservationWindow': String(-18000000000),
      'msDS-LockoutDuration': String(-18000000000),
      'msDS-PSOAppliesTo': user.dn,
    });
    try {
      const error = await failure(svc.changePassword(user.dn, user.password, 'Young!Passw0rd-1'));
      expect(error.errorName).toBe('DIRECTORY_PASSWORD_TOO_YOUNG');
      expect(String(error.details?.['directoryText'])).toMatch(/too young/);
      // An administrative reset is not held to the minimum age (nor history) on Samba …
      await svc.resetPassword(user.dn, 'Young!Passw0rd-2', { unlock: true, mustChange: false });
      // … which readPasswordPolicy reports, from the PSO (readable by Administrator).
      expect(await adminDir.readPasswordPolicy(user.dn)).toMatchObject({
        source: `pso:sspr-young-${user.sam}`,
        minAgeDays: 1,
        notEnforcedOnReset: ['history', 'minAge'],
      });
    } finally {
      await admin.del(pso);
    }
  });
});

describe('lockout, unlock, disabled', () => {
  it('bad passwords up to the threshold lock; a reset alone does not unlock on Samba; unlock does', async () => {
    const user = await createUser();
    for (let attempt = 0; attempt < f.domainPolicy.lockoutThreshold; attempt += 1) {
      expect(
        (await failure(svc.verifyPassword(user.dn, `Wrong!Passw0rd-${String(attempt)}`))).errorName,
      ).toBe('INVALID_CREDENTIALS');
    }
    const locked = await failure(svc.verifyPassword(user.dn, user.password));
    expect(locked.errorName).toBe('DIRECTORY_ACCOUNT_LOCKED');
    expect(locked.details).toMatchObject({ adData: '775' });
    expect(await svc.readAccountState(user.dn)).toMatchObject({ locked: true });
    expect(
      (await failure(svc.changePassword(user.dn, user.password, 'Locked!Passw0rd-1'))).errorName,
    ).toBe('DIRECTORY_ACCOUNT_LOCKED');
    await svc.resetPassword(user.dn, 'After!Lock-Passw0rd1', { unlock: false, mustChange: false });
    expect((await failure(svc.verifyPassword(user.dn, 'After!Lock-Passw0rd1'))).errorName).toBe(
      'DIRECTORY_ACCOUNT_LOCKED',
    );
    await svc.unlock(user.dn);
    await svc.verifyPassword(user.dn, 'After!Lock-Passw0rd1');
    expect(await svc.readAccountState(user.dn)).toMatchObject({ locked: false });
  });

  it('a reset with unlock clears the lockout in the same modify', async () => {
    const user = await createUser();
    for (let attempt = 0; attempt < f.domainPolicy.lockoutThreshold; attempt += 1) {
      await failure(svc.verifyPassword(user.dn, `Wrong!Passw0rd-${String(attempt)}`));
    }
    await svc.resetPassword(user.dn, 'Unlocked!Passw0rd-1', { unlock: true, mustChange: false });
    await svc.verifyPassword(user.dn, 'Unlocked!Passw0rd-1');
  });

  it('a disabled account: verify → DIRECTORY_ACCOUNT_DISABLED (533); change refused', async () => {
    const error = await failure(svc.verifyPassword(f.users.dave.dn, f.users.dave.password));
    expect(error).toMatchObject({ errorName: 'DIRECTORY_ACCOUNT_DISABLED', code: 'SSPR_5007' });
    expect(error.details).toMatchObject({ adData: '533' });
    expect(
      (
        await failure(
          svc.changePassword(f.users.dave.dn, f.users.dave.password, 'Dave!New-Passw0rd1'),
        )
      ).errorName,
    ).toBe('DIRECTORY_ACCOUNT_DISABLED');
  });

  it('setMustChange toggles pwdLastSet between 0 and now', async () => {
    const user = await createUser();
    await svc.setMustChange(user.dn, true);
    expect((await svc.readAccountState(user.dn)).mustChange).toBe(true);
    await svc.setMustChange(user.dn, false);
    expect((await svc.readAccountState(user.dn)).mustChange).toBe(false);
    await svc.verifyPassword(user.dn, user.password);
  });

  it('verifyPassword never sends an empty password', async () => {
    expect((await failure(svc.verifyPassword(f.users.alice.dn, ''))).errorName).toBe(
      'INVALID_CREDENTIALS',
    );
  });
});

describe('password policy', () => {
  it('the domain policy, with what an admin reset does not enforce', async () => {
    expect(await svc.readPasswordPolicy(f.users.alice.dn)).toEqual({
      source: 'domain',
      minLength: f.domainPolicy.minPwdLength,
      complexity: true,
      historyCount: f.domainPolicy.historyLength,
      minAgeDays: f.domainPolicy.minPwdAgeDays,
      maxAgeDays: f.domainPolicy.maxPwdAgeDays,
      lockoutThreshold: f.domainPolicy.lockoutThreshold,
      lockoutDurationMinutes: f.domainPolicy.lockoutDurationMinutes,
      notEnforcedOnReset: ['history', 'minAge'],
    });
  });

  it('the PSO: read by the delegated account (Read on the container), refused to a plain user', async () => {
    const plain = await createUser(f.ous.service);
    const error = await failure(
      directory({ bindDn: plain.upn, bindPassword: plain.password }).readPasswordPolicy(
        f.users.carol.dn,
      ),
    );
    expect(error.errorName).toBe('DIRECTORY_INSUFFICIENT_RIGHTS');
    expect(error.details).toMatchObject({ pso: f.pso.dn });
    expect(await svc.readPasswordPolicy(f.users.carol.dn)).toMatchObject({
      source: `pso:${f.pso.name}`,
      minLength: f.pso.minPwdLength,
      complexity: true,
      historyCount: f.pso.historyLength,
      minAgeDays: f.pso.minPwdAgeDays,
      lockoutThreshold: f.pso.lockoutThreshold,
    });
  });
});

describe('groups', () => {
  it('add and remove a member (idempotent); the delegated account may not', async () => {
    const user = await createUser();
    const group = f.groups.ssprEnabledUsers.dn;
    expect((await failure(svc.addGroupMember(group, user.dn))).errorName).toBe(
      'DIRECTORY_INSUFFICIENT_RIGHTS',
    );
    await adminDir.addGroupMember(group, user.dn);
    await adminDir.addGroupMember(group, user.dn);
    expect((await adminDir.findUser({ by: 'accountName', value: user.sam }))?.memberOf).toEqual([
      group,
    ]);
    await adminDir.removeGroupMember(group, user.dn);
    await adminDir.removeGroupMember(group, user.dn);
    expect((await adminDir.findUser({ by: 'accountName', value: user.sam }))?.memberOf).toEqual([]);
  });
});

describe('connections', () => {
  it('fails over from a closed port to the DC; only closed ports are DIRECTORY_UNREACHABLE', async () => {
    const closed = `ldaps://127.0.0.1:${String(await closedPort())}`;
    const failover = directory({ urls: [closed, f.ldapsUrl] });
    expect((await failover.findUser({ by: 'accountName', value: 'alice' }))?.dn).toBe(
      f.users.alice.dn,
    );
    const dead = directory({ urls: [closed, `ldap://127.0.0.1:${String(await closedPort())}`] });
    const error = await failure(dead.ping());
    expect(error).toMatchObject({ errorName: 'DIRECTORY_UNREACHABLE', code: 'SSPR_5011' });
    expect(JSON.stringify(error.details)).toContain(closed);
    expect(JSON.stringify(error.details)).not.toContain(f.servicePassword);
  });

  it('StartTLS on ldap:// (the DC requires it for simple binds) works, with certificate checks', async () => {
    const startTls = directory({ urls: [f.ldapUrl] });
    await startTls.verifyPassword(f.users.alice.dn, f.users.alice.password);
    expect((await startTls.findUser({ by: 'accountName', value: 'bob' }))?.dn).toBe(f.users.bob.dn);
  });

  it('without the CA the certificate is refused: DIRECTORY_UNREACHABLE naming the problem', async () => {
    for (const url of [f.ldapsUrl, f.ldapUrl]) {
      const untrusted = directory({ urls: [url], tls: { rejectUnauthorized: true } });
      const error = await failure(untrusted.ping());
      expect(error.errorName).toBe('DIRECTORY_UNREACHABLE');
      expect(String(error.details?.['reason'])).toMatch(/tls: [A-Z_]+: .*certificate/);
    }
  });

  it('a wrong service password is ON_PREMISES_ADMIN_ACTION_REQUIRED', async () => {
    const wrong = directory({ bindPassword: 'Not!The-Service-Passw0rd' });
    expect((await failure(wrong.ping())).errorName).toBe('ON_PREMISES_ADMIN_ACTION_REQUIRED');
  });
});

describe('checkRights', () => {
  it('the delegated account: reset, unlock and must-change in OU=Staff; PSOs readable', async () => {
    const report = await svc.checkRights();
    const byName = Object.fromEntries(report.checks.map((check) => [check.check, check]));
    const staff = `OU ${f.ous.staff}`;
    expect(byName[`reset password in ${staff}`]).toMatchObject({ ok: true });
    expect(byName[`unlock (write lockoutTime) in ${staff}`]).toMatchObject({ ok: true });
    expect(byName[`set must-change (write pwdLastSet) in ${staff}`]).toMatchObject({ ok: true });
    expect(byName['read fine-grained password policies (PSOs)']).toMatchObject({ ok: true });
    expect(byName['change tracking']?.detail).toMatch(
      /DirSync \(object security\).*only full syncs detect them/,
    );
    expect(report.ok).toBe(true);
  });

  it('a plain user has none of the rights; Administrator has all', async () => {
    const plain = await createUser(f.ous.service);
    const report = await directory({
      bindDn: plain.upn,
      bindPassword: plain.password,
    }).checkRights();
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.check.startsWith('reset password'))).toMatchObject({
      ok: false,
    });
    const full = await directory({
      bindDn: f.adminDn,
      bindPassword: f.adminPassword,
    }).checkRights();
    expect(full.checks.filter((c) => !c.ok)).toEqual([]);
  });
});

describe('scan', () => {
  it('full: users and groups in scope, pages of at most pageSize, nested groups as members', async () => {
    const { pages, full } = await collect(svc, null, 2);
    expect(full).toBe(true);
    for (const page of pages) {
      expect(page.users.length + page.groups.length + page.deleted.length).toBeLessThanOrEqual(2);
    }
    const users = pages.flatMap((p) => p.users);
    const groups = pages.flatMap((p) => p.groups);
    const names = users.map((u) => u.accountName);
    expect(names).toEqual(expect.arrayContaining(['alice', 'bob', 'carol', 'dave', 'erin']));
    expect(names).not.toContain('frank');
    expect(names).not.toContain('Administrator');
    expect(users.find((u) => u.accountName === 'dave')?.state.disabled).toBe(true);
    expect(users.find((u) => u.accountName === 'erin')?.state.protected).toBe(true);
    const sspr = groups.find((g) => g.dn === f.groups.ssprEnabledUsers.dn);
    expect(sspr?.members).toEqual(
      expect.arrayContaining([f.groups.financeTeam.dn, f.users.alice.dn]),
    );
    expect(groups.map((g) => g.dn)).toContain(f.groups.financeTeam.dn);
    expect(groups.map((g) => g.dn)).not.toContain(f.groups.domainAdmins.dn);
  });

  for (const mode of ['dirsync', 'usn'] as const) {
    it(`delta (${mode}): modified, added, moved out and deleted users`, async () => {
      const dir = directory({
        bindDn: f.adminDn,
        bindPassword: f.adminPassword,
        changeTracking: mode,
      });
      const modified = await createUser();
      const moved = await createUser();
      const doomed = await createUser();
      const first = await collect(dir, null, 50);
      expect(JSON.parse(first.cookie)).toMatchObject({ mode });
      const ids = Object.fromEntries(
        first.pages.flatMap((p) => p.users).map((u) => [u.accountName, u.externalId]),
      );

      await admin.modify(
        modified.dn,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'description', values: ['changed'] }),
        }),
      );
      const added = await createUser();
      await admin.modifyDN(moved.dn, `CN=${moved.sam},${f.ous.contractors}`);
      created.push(`CN=${moved.sam},${f.ous.contractors}`);
      await admin.del(doomed.dn);

      const delta = await collect(dir, first.cookie, 50);
      expect(delta.full).toBe(false);
      const changedNames = delta.pages.flatMap((p) => p.users).map((u) => u.accountName);
      expect(changedNames).toEqual(expect.arrayContaining([modified.sam, added.sam]));
      expect(changedNames).not.toContain(moved.sam);
      const deleted = delta.pages.flatMap((p) => p.deleted);
      expect(deleted).toEqual(expect.arrayContaining([ids[moved.sam], ids[doomed.sam]]));
      expect(deleted).not.toContain(ids[modified.sam]);

      // Nothing new: an empty delta.
      const quiet = await collect(dir, delta.cookie, 50);
      expect(quiet.pages.flatMap((p) => p.users).map((u) => u.accountName)).not.toContain(
        modified.sam,
      );
    });
  }

  it('delta as the delegated account: changes yes, deletions only through full scans', async () => {
    const user = await createUser();
    const doomed = await createUser();
    const first = await collect(svc, null, 100);
    expect(JSON.parse(first.cookie)).toMatchObject({ mode: 'dirsync', flags: 1 });
    await admin.modify(
      user.dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'mail', values: [`renamed-${user.sam}@example.test`] }),
      }),
    );
    await admin.del(doomed.dn);
    const delta = await collect(svc, first.cookie, 100);
    const changed = delta.pages.flatMap((p) => p.users);
    expect(changed.find((u) => u.accountName === user.sam)?.mail).toBe(
      `renamed-${user.sam}@example.test`,
    );
    expect(changed.map((u) => u.accountName)).not.toContain(doomed.sam);
  });

  it('an unusable cookie starts a full scan', async () => {
    expect((await collect(svc, 'garbage', 100)).full).toBe(true);
    const otherDc = JSON.stringify({ v: 1, mode: 'usn', usn: 1, dc: 'CN=NTDS Settings,CN=OTHER' });
    expect((await collect(directory({ changeTracking: 'usn' }), otherDc, 100)).full).toBe(true);
  });
});
