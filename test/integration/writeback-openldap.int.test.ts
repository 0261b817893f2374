/**
 * End to end against a real OpenLDAP slapd with ppolicy: HTTP → server → agent (real WebSocket,
 * real OpenLDAP adapter over LDAPS with certificate verification, bound as the password
 * administrator cn=sspr-svc) → directory; every result proven with an independent client
 * (OpenLDAP's `ldapwhoami` over LDAPS) and by reading the entry as the rootDN.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOpenLdap, type OpenLdapFacts } from '../support/directories.js';
import {
  enableAllAndSync,
  openLdapConnection,
  passGate,
  registerTotp,
  signIn,
  startHybrid,
  type Hybrid,
} from '../support/hybrid.js';

const slapd = useOpenLdap({ isolated: true });
let f: OpenLdapFacts;
let ca: string;
/** The rootDN: reads operational attributes, creates this file's extra users. */
let root: Client;
let h: Hybrid;

/** Users created before the first sync, for the change-password tests. */
const extra = { changer: '', flagged: '' };
const INITIAL = 'Initial!Passw0rd-1';

/** Runs an OpenLDAP client tool over LDAPS with the test CA: ok when it exits 0. */
function ldapTool(command: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: { ...process.env, LDAPTLS_CACERT: f.caFile }, timeout: 15_000 },
      (error, stdout, stderr) => {
        resolve({ ok: error === null, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** `ldapwhoami` as a real client would: ok when the bind and the WhoAmI operation succeed. */
function ldapwhoami(dn: string, password: string): Promise<{ ok: boolean; output: string }> {
  return ldapTool('ldapwhoami', ['-x', '-H', f.ldapsUrl, '-D', dn, '-w', password]);
}

/** `ldapsearch` of the user's own entry, bound as the user (a must-change user may not search). */
function ldapsearchSelf(dn: string, password: string): Promise<{ ok: boolean; output: string }> {
  const bind = ['-x', '-LLL', '-H', f.ldapsUrl, '-D', dn, '-w', password];
  return ldapTool('ldapsearch', [...bind, '-b', dn, '-s', 'base', 'uid']);
}

/**
 * Operational attributes of an entry, read as the rootDN; absent ones are missing keys (ldapts
 * answers `[]` for a requested attribute the entry does not have).
 */
async function operational(dn: string, names: string[]): Promise<Record<string, unknown>> {
  const { searchEntries } = await root.search(dn, { scope: 'base', attributes: names });
  const entry = searchEntries[0];
  if (entry === undefined) throw new Error(`${dn} not found`);
  return Object.fromEntries(
    names.flatMap((n) => {
      const value = entry[n];
      return value === undefined || (Array.isArray(value) && value.length === 0)
        ? []
        : [[n, value]];
    }),
  );
}

const newPassword = () => `Harbor-${randomBytes(3).toString('hex')}-Kite9!`;

async function createUser(): Promise<string> {
  const uid = `t${randomBytes(4).toString('hex')}`;
  const dn = `uid=${uid},${f.ous.staff}`;
  await root.add(dn, {
    objectClass: 'inetOrgPerson',
    uid,
    cn: `Test ${uid}`,
    sn: uid,
    mail: `${uid}@example.org`,
    userPassword: INITIAL,
  });
  return dn;
}

/** The UPN OpenSSPR gives an OpenLDAP user: its lower-cased mail (here `<uid>@example.org`). */
const upnOf = (dn: string) => `${/^uid=([^,]+)/.exec(dn)?.[1] ?? ''}@example.org`;

beforeAll(async () => {
  f = slapd();
  ca = await readFile(f.caFile, 'utf8');
  root = new Client({ url: f.ldapsUrl, tlsOptions: { ca: [ca] } });
  await root.bind(f.adminDn, f.adminPassword);
  extra.changer = await createUser();
  extra.flagged = await createUser();
  h = await startHybrid(openLdapConnection(f));
  const sync = await enableAllAndSync(h);
  expect(sync.json<{ users: { added: number }; error: unknown }>()).toMatchObject({
    error: null,
    users: { added: 7 },
  });
}, 120_000);

afterAll(async () => {
  await h.close();
  await root.unbind().catch(() => undefined);
});

describe('hybrid writeback to OpenLDAP (ppolicy)', () => {
  it('resets through the HTTP flow: the new password binds, the old fails, no pwdReset is left', async () => {
    const alice = f.users.alice;
    // The sign-in (for registration) is a bind through the agent.
    const secret = await registerTotp(h, alice.mail, alice.password);
    const ready = await passGate(h, alice.mail, secret);
    expect(ready.state).toBe('new_password');
    expect(ready.passwordPolicy.find((r) => r.id === 'length.min')?.params).toEqual({
      min: f.policies.default.pwdMinLength,
    });
    const before = await operational(alice.dn, ['pwdChangedTime']);
    const password = newPassword();
    const reset = await h.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: password },
    });
    expect(reset.statusCode, reset.body).toBe(200);

    const ok = await ldapwhoami(alice.dn, password);
    expect(ok.ok, ok.output).toBe(true);
    expect(ok.output).toContain(`dn:${alice.dn}`);
    const old = await ldapwhoami(alice.dn, alice.password);
    expect(old.ok).toBe(false);
    expect(old.output).toContain('Invalid credentials (49)');
    // The service account is a ppolicy password administrator: slapd flags its resets
    // pwdReset=TRUE. A password the user chose in SSPR is never left flagged must-change.
    const after = await operational(alice.dn, ['pwdReset', 'pwdChangedTime']);
    expect(after['pwdReset']).toBeUndefined();
    expect(after['pwdChangedTime']).toBeDefined();
    expect(after['pwdChangedTime']).not.toEqual(before['pwdChangedTime']);
  });

  it("shows the user's own ppolicy (cn=strict: 14 characters) and enforces it before writing", async () => {
    const carol = f.users.carol;
    expect(carol.pwdPolicySubentry).toBe(f.policies.strict.dn);
    const secret = await registerTotp(h, carol.mail, carol.password);
    const ready = await passGate(h, carol.mail, secret);
    expect(ready.passwordPolicy.find((r) => r.id === 'length.min')?.params).toEqual({
      min: f.policies.strict.pwdMinLength,
    });
    // 12 characters: enough for the cloud policy and the default ppolicy, not for cn=strict.
    // The agent's password-administrator reset would skip slapd's length check: OpenSSPR must.
    const short = await h.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: 'Qz7!mVx2pLw9' },
    });
    expect(short.statusCode, short.body).toBe(422);
    expect(
      short.json<{ error: { details: { failed: string[] } } }>().error.details.failed,
    ).toContain('length.min');
    expect((await ldapwhoami(carol.dn, carol.password)).ok).toBe(true); // nothing written
    expect((await ldapwhoami(carol.dn, 'Qz7!mVx2pLw9')).ok).toBe(false);

    const long = newPassword(); // 20 characters
    const reset = await h.request('POST', `/api/v1/sspr/flows/${ready.flowId}/reset`, {
      body: { newPassword: long },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await ldapwhoami(carol.dn, long)).ok).toBe(true);
  });

  it('unlocks a locked account (unlock only); the same password then binds again', async () => {
    const bob = f.users.bob;
    const secret = await registerTotp(h, bob.mail, bob.password);
    // Lock bob out as a user typing wrong passwords would: bad binds up to pwdMaxFailure.
    for (let i = 0; i < f.policies.default.pwdMaxFailure; i++) {
      expect((await ldapwhoami(bob.dn, `Wrong-${String(i)}-Password!`)).ok).toBe(false);
    }
    expect(await operational(bob.dn, ['pwdAccountLockedTime'])).toHaveProperty(
      'pwdAccountLockedTime',
    );
    const locked = await ldapwhoami(bob.dn, bob.password);
    expect(locked.ok).toBe(false);
    expect(locked.output).toContain('Invalid credentials (49)');
    const signIn = await h.request('POST', '/api/v1/auth/sign-in', {
      body: { userId: bob.mail, password: bob.password },
    });
    expect(signIn.json<{ error: { code: string } }>().error.code).toBe('SSPR_5008');

    const ready = await passGate(h, bob.mail, secret);
    expect(ready.allowUnlock).toBe(true);
    const unlock = await h.request('POST', `/api/v1/sspr/flows/${ready.flowId}/unlock`);
    expect(unlock.statusCode, unlock.body).toBe(200);
    const ok = await ldapwhoami(bob.dn, bob.password);
    expect(ok.ok, ok.output).toBe(true);
    expect(await operational(bob.dn, ['pwdAccountLockedTime', 'pwdReset'])).toEqual({});
  });

  it('changes the password through /me/password; a wrong current password is SSPR_2008', async () => {
    const dn = extra.changer;
    const cookie = await signIn(h, upnOf(dn), INITIAL);
    const password = newPassword();
    const wrong = await h.request('POST', '/api/v1/me/password', {
      cookie,
      body: { currentPassword: 'Not-The-Current-1!', newPassword: password },
    });
    expect(wrong.statusCode, wrong.body).toBe(400);
    // The agent's bind says "invalid credentials"; the product answers its own code for a
    // wrong current password (docs/errors.md), not the directory's SSPR_5005.
    expect(wrong.json<{ error: { code: string } }>().error.code).toBe('SSPR_2008');
    expect((await ldapwhoami(dn, password)).ok).toBe(false); // nothing written

    const changed = await h.request('POST', '/api/v1/me/password', {
      cookie,
      body: { currentPassword: INITIAL, newPassword: password },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await ldapwhoami(dn, password)).ok).toBe(true);
    const old = await ldapwhoami(dn, INITIAL);
    expect(old.ok).toBe(false);
    expect(old.output).toContain('Invalid credentials (49)');
    expect(await operational(dn, ['pwdReset'])).toEqual({});
  });

  it('a user flagged must-change (pwdReset) signs in and changes it, which clears the flag', async () => {
    const dn = extra.flagged;
    await root.modify(
      dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'pwdReset', values: ['TRUE'] }),
      }),
    );
    // slapd lets the bind through but restricts everything else until the password changes.
    const restricted = await ldapsearchSelf(dn, INITIAL);
    expect(restricted.ok).toBe(false);
    expect(restricted.output).toContain('restricted');

    const cookie = await signIn(h, upnOf(dn), INITIAL);
    const password = newPassword();
    const changed = await h.request('POST', '/api/v1/me/password', {
      cookie,
      body: { currentPassword: INITIAL, newPassword: password },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const ok = await ldapsearchSelf(dn, password);
    expect(ok.ok, ok.output).toBe(true);
    expect(ok.output).toContain(`dn: ${dn}`);
    expect(await operational(dn, ['pwdReset'])).toEqual({});
  });
});
