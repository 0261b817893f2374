/**
 * Directory sync end to end against a real OpenLDAP slapd with ppolicy (product.md P2): the
 * production agent (real OpenLDAP adapter, cn=sspr-svc over LDAPS with certificate verification)
 * sends users and groups over a real WebSocket to the production server, driven through
 * `POST /admin/sync`. The directory is changed by an independent client (ldapts bound as the
 * rootDN) between runs; the slapd is private to this file (`isolated`).
 *
 * Scope: ou=staff (the people in scope; ou=contractors beside it is out of scope) and ou=groups,
 * where OpenLDAP keeps the groupOfNames entries.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeEntryUuid } from '../../src/adapters/ldap/presets.js';
import { useOpenLdap, type OpenLdapFacts } from '../support/directories.js';
import {
  hybridPool,
  openLdapConnection,
  sync,
  userOn,
  type AdminUserView,
  type Hybrid,
} from '../support/hybrid.js';

const slapd = useOpenLdap({ isolated: true });
let f: OpenLdapFacts;
/** The rootDN over LDAPS: the "other admin" changing the directory between syncs. */
let root: Client;
let h: Hybrid;
const hybrids = hybridPool();

async function startFlow(upn: string) {
  const res = await h.request('POST', '/api/v1/sspr/flows', { body: { userId: upn } });
  return {
    status: res.statusCode,
    code: res.statusCode === 201 ? null : res.json<{ error: { code: string } }>().error.code,
  };
}

interface TestUser {
  dn: string;
  uid: string;
  /** The UPN OpenSSPR derives: the lower-cased `mail`. */
  upn: string;
}

const unique = () => `t${randomBytes(4).toString('hex')}`;

async function createUser(ou = f.ous.staff): Promise<TestUser> {
  const uid = unique();
  const dn = `uid=${uid},${ou}`;
  await root.add(dn, {
    objectClass: 'inetOrgPerson',
    uid,
    cn: `Test ${uid}`,
    sn: uid,
    displayName: `Test ${uid}`,
    mail: `${uid}@example.org`,
    userPassword: 'Initial!Passw0rd-1',
  });
  return { dn, uid, upn: `${uid}@example.org` };
}

async function moveToContractors(user: TestUser): Promise<TestUser> {
  const dn = `uid=${user.uid},${f.ous.contractors}`;
  await root.modifyDN(user.dn, dn);
  return { ...user, dn };
}

async function entryUuid(dn: string): Promise<string> {
  const { searchEntries } = await root.search(dn, { scope: 'base', attributes: ['entryUUID'] });
  const value = searchEntries[0]?.['entryUUID'];
  if (typeof value !== 'string') throw new Error(`no entryUUID on ${dn}`);
  return normalizeEntryUuid(value);
}

function hybridOn(serverEnv: Record<string, string> = {}): Promise<Hybrid> {
  return hybrids.start(openLdapConnection(f), { serverEnv });
}

beforeAll(async () => {
  f = slapd();
  const ca = await readFile(f.caFile, 'utf8');
  root = new Client({ url: f.ldapsUrl, tlsOptions: { ca: [ca] } });
  await root.bind(f.adminDn, f.adminPassword);
  h = await hybridOn();
}, 120_000);

afterAll(async () => {
  await hybrids.closeAll();
  await root.unbind().catch(() => undefined);
});

describe('directory sync from OpenLDAP through the agent', () => {
  it('full sync: the users of ou=staff with their state and contacts, the groups of ou=groups', async () => {
    const summary = await sync(h, { full: true });
    expect(summary.error).toBeNull();
    expect(summary.full).toBe(true);
    expect(summary.users.added).toBe(5); // alice … erin; frank is in ou=contractors
    expect(summary.groups.added).toBe(3); // finance-team, sspr-enabled-users, ldap-admins
    expect(summary.details.invalidContacts).toBe(0);

    const res = await h.request('GET', '/api/v1/admin/users?limit=200', { token: h.adminToken });
    const users = res
      .json<{ items: AdminUserView[] }>()
      .items.filter((u) => u.source === 'directory');
    expect(users.map((u) => u.userPrincipalName).sort()).toEqual(
      (['alice', 'bob', 'carol', 'dave', 'erin'] as const).map((k) => f.users[k].mail).sort(),
    );
    // "Disabled" on OpenLDAP: pwdAccountLockedTime=000001010000Z.
    expect(users.find((u) => u.userPrincipalName === f.users.dave.mail)?.accountEnabled).toBe(
      false,
    );
    expect(await userOn(h, f.users.alice.mail)).toMatchObject({
      accountEnabled: true,
      displayName: f.users.alice.displayName,
      email: f.users.alice.mail,
      mobilePhone: f.users.alice.mobile,
      officePhone: f.users.alice.telephoneNumber,
    });
    expect(await userOn(h, f.users.frank.mail)).toBeNull();
  });

  it('nested groupOfNames membership decides a "selected" policy', async () => {
    const group = await h.server.store.directorySync.findGroupByExternalId(
      await entryUuid(f.groups.ssprEnabledUsers.dn),
    );
    expect(group?.directoryDn).toBe(f.groups.ssprEnabledUsers.dn);
    const policy = await h.request('PATCH', '/api/v1/admin/policy', {
      token: h.adminToken,
      body: { enabledFor: 'selected', selectedGroupId: group?.id },
    });
    expect(policy.statusCode, policy.body).toBe(200);
    // carol: member of finance-team, itself a member of sspr-enabled-users.
    expect(await startFlow(f.users.carol.mail)).toEqual({ status: 201, code: null });
    expect(await startFlow(f.users.alice.mail)).toEqual({ status: 201, code: null });
    expect(await startFlow(f.users.bob.mail)).toEqual({ status: 403, code: 'SSPR_0013' });

    // bob joins finance-team in the directory: the group's new member list comes with the
    // next delta, and the nested membership makes him eligible.
    await root.modify(
      f.groups.financeTeam.dn,
      new Change({
        operation: 'add',
        modification: new Attribute({ type: 'member', values: [f.users.bob.dn] }),
      }),
    );
    const delta = await sync(h);
    expect(delta.error).toBeNull();
    expect(delta.full).toBe(false);
    expect(delta.groups.updated).toBe(1);
    expect(await startFlow(f.users.bob.mail)).toEqual({ status: 201, code: null });
  });

  it('delta sync: a modified attribute is applied, a new user is added', async () => {
    const alice = f.users.alice;
    await root.modify(alice.dn, [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'telephoneNumber', values: ['+1 4255550277'] }),
      }),
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'displayName', values: ['Alice A. Adams'] }),
      }),
    ]);
    const added = await createUser();

    const delta = await sync(h);
    expect(delta.error).toBeNull();
    expect(delta.full).toBe(false);
    expect(delta.users.updated).toBe(1);
    expect(delta.users.added).toBe(1);
    expect(delta.users.deleted).toBe(0);
    expect(await userOn(h, alice.mail)).toMatchObject({
      displayName: 'Alice A. Adams',
      officePhone: '+1 4255550277',
    });
    expect(await userOn(h, added.upn)).toMatchObject({
      source: 'directory',
      accountEnabled: true,
      displayName: `Test ${added.uid}`,
    });

    // A delta looks back a few minutes (clock skew) and sends those entries again, but nothing
    // changed: the server counts them unchanged.
    const quiet = await sync(h);
    expect(quiet.error).toBeNull();
    expect(quiet.users).toEqual({ added: 0, updated: 0, deleted: 0 });
    expect(quiet.groups).toEqual({ added: 0, updated: 0, deleted: 0 });
  });

  it('delta sync: a user disabled in the directory (pwdAccountLockedTime 000001010000Z) is disabled', async () => {
    const user = await createUser();
    expect((await sync(h)).users.added).toBe(1);
    expect((await userOn(h, user.upn))?.accountEnabled).toBe(true);
    const lock = (operation: 'replace' | 'delete') =>
      root.modify(
        user.dn,
        new Change({
          operation,
          modification: new Attribute({
            type: 'pwdAccountLockedTime',
            values: operation === 'replace' ? [f.lockedForever] : [],
          }),
        }),
      );
    await lock('replace');
    const delta = await sync(h);
    expect(delta.error).toBeNull();
    expect(delta.users.updated).toBe(1);
    expect((await userOn(h, user.upn))?.accountEnabled).toBe(false);
    await lock('delete');
    expect((await sync(h)).users.updated).toBe(1);
    expect((await userOn(h, user.upn))?.accountEnabled).toBe(true);
  });

  it('a user moved to ou=contractors (modifyDN) is deleted by the next sync', async () => {
    const user = await createUser();
    expect((await sync(h)).users.added).toBe(1);
    await moveToContractors(user);
    // The moved entry's modifyTimestamp changes; the delta finds it below baseDn, out of scope.
    const delta = await sync(h);
    expect(delta.error).toBeNull();
    expect(delta.full).toBe(false);
    expect(delta.users.deleted).toBe(1);
    expect(await userOn(h, user.upn)).toBeNull();
  });

  it('a user deleted in the directory is deleted by the next full sync', async () => {
    const user = await createUser();
    expect((await sync(h)).users.added).toBe(1);
    await root.del(user.dn);
    // Without the accesslog overlay slapd keeps no trace of a deleted entry: a modifyTimestamp
    // delta cannot see it; a full sync (the server compares) does.
    const delta = await sync(h);
    expect(delta.users.deleted).toBe(0);
    expect(await userOn(h, user.upn)).not.toBeNull();
    const full = await sync(h, { full: true });
    expect(full.error).toBeNull();
    expect(full.users.deleted).toBe(1);
    expect(await userOn(h, user.upn)).toBeNull();
    expect(await userOn(h, f.users.carol.mail)).not.toBeNull();
  });

  it('accidental-delete guard: SSPR_5104 and nothing deleted, until the admin allows it', async () => {
    const guarded = await hybridOn({ SSPR_SYNC_MAX_DELETES: '1' });
    const first = await createUser();
    const second = await createUser();
    expect((await sync(guarded, { full: true })).error).toBeNull();
    await moveToContractors(first);
    await moveToContractors(second);

    const refused = await sync(guarded, { full: true });
    expect(refused.error?.code).toBe('SSPR_5104');
    expect(refused.users.deleted).toBe(0);
    expect(refused.details.refusedDeletes).toEqual({ users: 2, groups: 0 });
    expect(await userOn(guarded, first.upn)).not.toBeNull();
    expect(await userOn(guarded, second.upn)).not.toBeNull();

    const allowed = await sync(guarded, { full: true, allowDeletes: true });
    expect(allowed.error).toBeNull();
    expect(allowed.users.deleted).toBe(2);
    expect(await userOn(guarded, first.upn)).toBeNull();
    expect(await userOn(guarded, second.upn)).toBeNull();
  });
});
