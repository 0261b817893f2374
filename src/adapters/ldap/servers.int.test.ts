/**
 * Smoke test of the real directories the integration tests run against (scripts/samba-dc.mjs,
 * scripts/openldap.mjs): they are up, verified TLS works, and they are seeded as documented in
 * test/support/directories.ts. Read-only against the shared servers; the checks that change
 * state run on private instances and end with restore().
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client, type Entry } from 'ldapts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  useOpenLdap,
  useSamba,
  type OpenLdapFacts,
  type SambaFacts,
} from '../../../test/support/directories.js';

const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.unbind().catch(() => undefined)));
});

/** tlsOptions only for ldaps:// (ldapts would otherwise speak TLS to a plain port). */
function client(url: string, caFile?: string): Client {
  const ca = caFile === undefined ? undefined : readFileSync(caFile);
  const c = new Client({
    url,
    timeout: 15_000,
    connectTimeout: 5_000,
    ...(url.startsWith('ldaps:') ? { tlsOptions: { ca, rejectUnauthorized: true } } : {}),
  });
  clients.push(c);
  return c;
}

async function bound(url: string, caFile: string, dn: string, password: string): Promise<Client> {
  const c = client(url, caFile);
  await c.bind(dn, password);
  return c;
}

async function find(
  c: Client,
  base: string,
  filter: string,
  attributes: string[],
): Promise<Entry[]> {
  const { searchEntries } = await c.search(base, { scope: 'sub', filter, attributes });
  return searchEntries;
}

async function one(c: Client, base: string, filter: string, attributes: string[]): Promise<Entry> {
  const entries = await find(c, base, filter, attributes);
  expect(entries, `${filter} under ${base}`).toHaveLength(1);
  return entries[0]!;
}

const text = (entry: Entry, name: string): string[] => {
  const value: Entry[string] | undefined = entry[name];
  const values: (Buffer | string)[] = Array.isArray(value) ? value : value === undefined ? [] : [value]; // prettier-ignore
  return values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
};

async function ldapErrorCode(operation: Promise<unknown>): Promise<number | string> {
  try {
    await operation;
  } catch (error) {
    return (error as { code?: number }).code ?? String(error);
  }
  return 'succeeded';
}

const unicodePwd = (password: string) =>
  new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] });
const replace = (modification: Attribute) => new Change({ operation: 'replace', modification });

/** RFC 3062 PasswdModifyRequestValue: SEQUENCE { [0] userIdentity, [2] newPasswd }. */
function passwordModify(dn: string, newPassword: string): Buffer {
  const tlv = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag, body.length]), body]);
  return tlv(
    0x30,
    Buffer.concat([tlv(0x80, Buffer.from(dn)), tlv(0x82, Buffer.from(newPassword))]),
  );
}

function kinit(krb5Conf: string, principal: string, password: string) {
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    void mkdtemp(join(tmpdir(), 'sspr-krb5-')).then((dir) => {
      const child = spawn('kinit', [principal], {
        env: { ...process.env, KRB5_CONFIG: krb5Conf, KRB5CCNAME: `FILE:${join(dir, 'cc')}` },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        void rm(dir, { recursive: true, force: true }).then(() => {
          resolve({ code: code ?? -1, output });
        });
      });
      child.stdin.end(`${password}\n`);
    }, reject);
  });
}

describe('Samba AD DC (seeded)', () => {
  const samba = useSamba();
  const svc = (f: SambaFacts) => bound(f.ldapsUrl, f.caFile, f.serviceUpn, f.servicePassword);
  const admin = (f: SambaFacts) => bound(f.ldapsUrl, f.caFile, f.adminDn, f.adminPassword);

  it('accepts svc-sspr over LDAPS with certificate verification, by UPN and by DN', async () => {
    const f = samba();
    await bound(f.ldapsUrl, f.caFile, f.serviceUpn, f.servicePassword);
    await bound(f.ldapsUrl, f.caFile, f.serviceDn, f.servicePassword);
    // Without our CA the same connection is refused: verification is really on.
    const untrusted = new Client({ url: f.ldapsUrl, tlsOptions: { rejectUnauthorized: true } });
    clients.push(untrusted);
    await expect(untrusted.bind(f.serviceUpn, f.servicePassword)).rejects.toThrow(/certificate/i);
  });

  it('keeps strong auth on: simple binds need StartTLS on the plain port', async () => {
    const f = samba();
    expect(await ldapErrorCode(client(f.ldapUrl).bind(f.serviceUpn, f.servicePassword))).toBe(8);
    const c = client(f.ldapUrl);
    await c.startTLS({ ca: readFileSync(f.caFile), rejectUnauthorized: true });
    await c.bind(f.serviceUpn, f.servicePassword);
  });

  it('finds every seeded user by UPN with the documented attributes', async () => {
    const f = samba();
    const c = await svc(f);
    const attributes = [
      'sAMAccountName', 'givenName', 'sn', 'displayName', 'mail', 'mobile', 'telephoneNumber',
    ] as const; // prettier-ignore
    for (const user of Object.values(f.users)) {
      const e = await one(c, f.baseDn, `(userPrincipalName=${user.upn})`, [...attributes]);
      expect(e.dn).toBe(user.dn);
      for (const name of attributes) expect(text(e, name), name).toEqual([user[name]]);
    }
    expect(f.users.alice.mobile).toMatch(/^\+1 \d{10}$/);
  });

  it('seeds disabled, protected-admin and out-of-scope users', async () => {
    const f = samba();
    const c = await svc(f);
    const dave = await one(c, f.baseDn, '(sAMAccountName=dave)', ['userAccountControl']);
    expect(Number(text(dave, 'userAccountControl')[0]) & 2).toBe(2);
    const erin = await one(c, f.baseDn, '(sAMAccountName=erin)', ['adminCount', 'memberOf']);
    expect(text(erin, 'adminCount')).toEqual(['1']);
    expect(text(erin, 'memberOf')).toContain(f.groups.domainAdmins.dn);
    expect(f.users.frank.dn.endsWith(f.ous.contractors)).toBe(true);
  });

  it('nests Finance-Team (with carol) inside SSPR-Enabled-Users', async () => {
    const f = samba();
    const c = await svc(f);
    const inChain = `(memberOf:1.2.840.113556.1.4.1941:=${f.groups.ssprEnabledUsers.dn})`;
    const members = await find(c, f.baseDn, `(&(objectClass=user)${inChain})`, ['sAMAccountName']);
    expect(members.map((e) => text(e, 'sAMAccountName')[0]).sort()).toEqual(
      ['alice', 'carol', 'dave', 'erin', 'frank'].sort(),
    );
    const group = await one(c, f.baseDn, `(cn=SSPR-Enabled-Users)`, ['member']);
    expect(text(group, 'member')).toContain(f.groups.financeTeam.dn);
  });

  it('has the domain password policy and the sspr-strict PSO on Finance-Team', async () => {
    const f = samba();
    const c = await svc(f);
    const domain = await c.search(f.baseDn, {
      scope: 'base',
      attributes: ['minPwdAge', 'pwdHistoryLength', 'lockoutThreshold', 'pwdProperties'],
    });
    const d = domain.searchEntries[0]!;
    expect(text(d, 'minPwdAge')).toEqual(['0']);
    expect(text(d, 'pwdHistoryLength')).toEqual([String(f.domainPolicy.historyLength)]);
    expect(text(d, 'lockoutThreshold')).toEqual([String(f.domainPolicy.lockoutThreshold)]);
    expect(Number(text(d, 'pwdProperties')[0]) & 1).toBe(1); // complexity
    const carol = await one(c, f.baseDn, '(sAMAccountName=carol)', ['msDS-ResultantPSO']);
    expect(text(carol, 'msDS-ResultantPSO')).toEqual([f.pso.dn]);
    // The Password Settings Container is readable by administrators only (as on Windows).
    const pso = await (await admin(f)).search(f.pso.dn, { scope: 'base', attributes: ['*'] });
    const p = pso.searchEntries[0]!;
    expect(text(p, 'msDS-MinimumPasswordLength')).toEqual(['14']);
    expect(text(p, 'msDS-PasswordHistoryLength')).toEqual(['3']);
    expect(text(p, 'msDS-MinimumPasswordAge')).toEqual(['0']);
    expect(text(p, 'msDS-PSOAppliesTo')).toEqual([f.groups.financeTeam.dn]);
  });

  it('gives svc-sspr only the delegated rights (no generic write, nothing outside OU=Staff)', async () => {
    const f = samba();
    const c = await svc(f);
    // Allowed, and harmless to the shared DC: bob's own password back, unlock, "not expired".
    await c.modify(f.users.bob.dn, replace(unicodePwd(f.users.bob.password)));
    await c.modify(f.users.bob.dn, replace(new Attribute({ type: 'lockoutTime', values: ['0'] })));
    await c.modify(f.users.bob.dn, replace(new Attribute({ type: 'pwdLastSet', values: ['-1'] })));
    await bound(f.ldapsUrl, f.caFile, f.users.bob.upn, f.users.bob.password);
    for (const target of [f.users.erin, f.users.frank]) {
      const reset = c.modify(target.dn, replace(unicodePwd(target.password)));
      expect(await ldapErrorCode(reset), `reset ${target.sAMAccountName}`).toBe(50);
      const unlock = c.modify(target.dn, replace(new Attribute({ type: 'lockoutTime', values: ['0'] }))); // prettier-ignore
      expect(await ldapErrorCode(unlock), `unlock ${target.sAMAccountName}`).toBe(50);
    }
    const other = c.modify(f.users.bob.dn, replace(new Attribute({ type: 'description', values: ['x'] }))); // prettier-ignore
    expect(await ldapErrorCode(other)).toBe(50);
  });

  it("issues Kerberos tickets for a seeded user's password (KDC works)", async () => {
    const f = samba();
    const good = await kinit(f.krb5Conf, `carol@${f.realm}`, f.users.carol.password);
    expect(good.code, good.output).toBe(0);
    const bad = await kinit(f.krb5Conf, `carol@${f.realm}`, 'Wrong!Passw0rd-2024');
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/Password incorrect/);
  });
});

describe('OpenLDAP slapd with ppolicy (seeded)', () => {
  const openldap = useOpenLdap();
  const svc = (f: OpenLdapFacts) => bound(f.ldapsUrl, f.caFile, f.serviceDn, f.servicePassword);

  it('accepts sspr-svc and sspr-writer over LDAPS with certificate verification', async () => {
    const f = openldap();
    await svc(f);
    const w = await bound(f.ldapsUrl, f.caFile, f.writerDn, f.writerPassword);
    const who = await w.exop('1.3.6.1.4.1.4203.1.11.3');
    expect(who.value).toBe(`dn:${f.writerDn}`);
    const c = client(f.ldapUrl);
    await c.startTLS({ ca: readFileSync(f.caFile), rejectUnauthorized: true });
    await c.bind(f.adminDn, f.adminPassword);
  });

  it('finds every seeded user by uid; sspr-svc cannot read password hashes', async () => {
    const f = openldap();
    const c = await svc(f);
    for (const user of Object.values(f.users)) {
      const e = await one(c, f.baseDn, `(uid=${user.uid})`, [
        'cn', 'sn', 'givenName', 'mail', 'mobile', 'telephoneNumber', 'userPassword',
      ]); // prettier-ignore
      expect(e.dn).toBe(user.dn);
      expect(text(e, 'mail')).toEqual([user.mail]);
      expect(text(e, 'mobile')).toEqual([user.mobile]);
      expect(text(e, 'telephoneNumber')).toEqual([user.telephoneNumber]);
      expect(text(e, 'userPassword')).toEqual([]);
    }
  });

  it('has the default and strict ppolicy entries; carol uses strict; dave is locked', async () => {
    const f = openldap();
    const c = await svc(f);
    const policy = await one(c, f.ous.policies, '(cn=default)', ['*']);
    expect(text(policy, 'pwdMinLength')).toEqual(['8']);
    expect(text(policy, 'pwdInHistory')).toEqual(['3']);
    expect(text(policy, 'pwdMaxFailure')).toEqual(['3']);
    expect(text(policy, 'pwdLockout')).toEqual(['TRUE']);
    expect(text(policy, 'pwdMustChange')).toEqual(['TRUE']);
    expect(text(policy, 'pwdMinAge')).toEqual(['0']);
    const strict = await one(c, f.ous.policies, '(cn=strict)', ['pwdMinLength']);
    expect(text(strict, 'pwdMinLength')).toEqual(['14']);
    const carol = await one(c, f.baseDn, '(uid=carol)', ['pwdPolicySubentry']);
    expect(text(carol, 'pwdPolicySubentry')).toEqual([f.policies.strict.dn]);
    const dave = await one(c, f.baseDn, '(uid=dave)', ['pwdAccountLockedTime']);
    expect(text(dave, 'pwdAccountLockedTime')).toEqual([f.lockedForever]);
    expect(await ldapErrorCode(client(f.ldapsUrl, f.caFile).bind(f.users.dave.dn, f.users.dave.password))).toBe(49); // prettier-ignore
  });

  it('nests finance-team (with carol) inside sspr-enabled-users', async () => {
    const f = openldap();
    const c = await svc(f);
    const outer = await one(c, f.ous.groups, '(cn=sspr-enabled-users)', ['member']);
    expect(text(outer, 'member')).toContain(f.groups.financeTeam.dn);
    const inner = await one(c, f.ous.groups, '(cn=finance-team)', ['member']);
    expect(text(inner, 'member')).toEqual([f.users.carol.dn]);
  });
});

describe('restore() puts the seeded state back (private servers)', () => {
  const samba = useSamba({ isolated: true });
  const openldap = useOpenLdap({ isolated: true });

  it('Samba: a created user and a changed password are gone after restore', async () => {
    const f = samba();
    const a = await bound(f.ldapsUrl, f.caFile, f.adminDn, f.adminPassword);
    const probe = `CN=restore-probe,${f.ous.staff}`;
    await a.add(probe, { objectClass: 'user', sAMAccountName: 'restore-probe' });
    const s = await bound(f.ldapsUrl, f.caFile, f.serviceUpn, f.servicePassword);
    await s.modify(f.users.alice.dn, replace(unicodePwd('Changed!Passw0rd-2024')));
    await samba.restore();
    const c = await bound(f.ldapsUrl, f.caFile, f.users.alice.upn, f.users.alice.password);
    expect(await find(c, f.baseDn, '(sAMAccountName=restore-probe)', ['dn'])).toEqual([]);
  });

  it('OpenLDAP: sspr-svc is a password administrator, sspr-writer is checked; restore', async () => {
    const f = openldap();
    const s = await bound(f.ldapsUrl, f.caFile, f.serviceDn, f.servicePassword);
    await s.exop('1.3.6.1.4.1.4203.1.11.1', passwordModify(f.users.bob.dn, 'short'));
    const bob = await one(s, f.baseDn, '(uid=bob)', ['pwdReset']);
    expect(text(bob, 'pwdReset')).toEqual(['TRUE']);
    const w = await bound(f.ldapsUrl, f.caFile, f.writerDn, f.writerPassword);
    const weak = w.exop('1.3.6.1.4.1.4203.1.11.1', passwordModify(f.users.alice.dn, 'short'));
    expect(await ldapErrorCode(weak)).toBe(19);
    await s.modify(f.users.dave.dn, new Change({ operation: 'delete', modification: new Attribute({ type: 'pwdAccountLockedTime' }) })); // prettier-ignore
    await openldap.restore();
    await bound(f.ldapsUrl, f.caFile, f.users.bob.dn, f.users.bob.password);
    const after = await bound(f.ldapsUrl, f.caFile, f.serviceDn, f.servicePassword);
    expect(text(await one(after, f.baseDn, '(uid=bob)', ['pwdReset']), 'pwdReset')).toEqual([]);
    const dave = await one(after, f.baseDn, '(uid=dave)', ['pwdAccountLockedTime']);
    expect(text(dave, 'pwdAccountLockedTime')).toEqual([f.lockedForever]);
  });
});
