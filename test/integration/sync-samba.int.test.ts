/**
 * Directory sync end to end against a real Samba AD DC (product.md P2): the production agent
 * (real AD adapter, delegated svc-sspr over LDAPS with certificate verification) sends users and
 * groups over a real WebSocket to the production server, driven through `POST /admin/sync`.
 * The directory is changed by an independent client (ldapts bound as Administrator) between
 * runs. The DC is private to this file (`isolated`), so users can be moved and deleted freely.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unicodePwd } from '../../src/adapters/ldap/active-directory.js';
import { decodeObjectGuid } from '../../src/adapters/ldap/presets.js';
import { useSamba, type SambaFacts } from '../support/directories.js';
import {
  hybridPool,
  sambaConnection,
  sync,
  userOn,
  type AdminUserView,
  type Hybrid,
  type SyncSummary,
} from '../support/hybrid.js';

const samba = useSamba({ isolated: true });
let f: SambaFacts;
let ca: string;
/** Administrator over LDAPS: the "other admin" changing the directory between syncs. */
let admin: Client;
let h: Hybrid;
const hybrids = hybridPool();

async function directoryUsers(on: Hybrid): Promise<AdminUserView[]> {
  const res = await on.request('GET', '/api/v1/admin/users?limit=200', { token: on.adminToken });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ items: AdminUserView[] }>().items.filter((u) => u.source === 'directory');
}

interface TestUser {
  dn: string;
  sam: string;
  upn: string;
}

const unique = () => `t${randomBytes(4).toString('hex')}`;

/** A new enabled user with a password, created as Administrator (the DC is private). */
async function createUser(ou = f.ous.staff): Promise<TestUser> {
  const sam = unique();
  const dn = `CN=${sam},${ou}`;
  const upn = `${sam}@${f.dnsDomain}`;
  await admin.add(dn, [
    new Attribute({ type: 'objectClass', values: ['user'] }),
    new Attribute({ type: 'sAMAccountName', values: [sam] }),
    new Attribute({ type: 'userPrincipalName', values: [upn] }),
    new Attribute({ type: 'displayName', values: [`Test ${sam}`] }),
    new Attribute({ type: 'mail', values: [upn] }),
    new Attribute({ type: 'unicodePwd', values: [unicodePwd('Initial!Passw0rd-1')] }),
    new Attribute({ type: 'userAccountControl', values: ['512'] }),
  ]);
  return { dn, sam, upn };
}

async function moveToContractors(user: TestUser): Promise<TestUser> {
  const dn = `CN=${user.sam},${f.ous.contractors}`;
  await admin.modifyDN(user.dn, dn);
  return { ...user, dn };
}

async function objectGuid(dn: string): Promise<string> {
  const { searchEntries } = await admin.search(dn, {
    scope: 'base',
    attributes: ['objectGUID'],
    explicitBufferAttributes: ['objectGUID'],
  });
  const value = searchEntries[0]?.['objectGUID'];
  if (!Buffer.isBuffer(value)) throw new Error(`no objectGUID on ${dn}`);
  return decodeObjectGuid(value);
}

function hybridOn(serverEnv: Record<string, string> = {}): Promise<Hybrid> {
  return hybrids.start(sambaConnection(f), { serverEnv });
}

beforeAll(async () => {
  f = samba();
  ca = await readFile(f.caFile, 'utf8');
  admin = new Client({ url: f.ldapsUrl, tlsOptions: { ca: [ca] } });
  await admin.bind(f.adminDn, f.adminPassword);
  h = await hybridOn();
}, 180_000);

afterAll(async () => {
  await hybrids.closeAll();
  await admin.unbind().catch(() => undefined);
});

describe('directory sync from Samba AD through the agent', () => {
  it('full sync: the users in scope with their state and contacts, not the out-of-scope ones', async () => {
    const summary = await sync(h, { full: true });
    expect(summary.error).toBeNull();
    expect(summary.full).toBe(true);
    // alice, bob, carol, dave, erin (frank is in OU=Contractors, svc-sspr is in OU=Service).
    expect(summary.users.added).toBe(5);
    expect(summary.groups.added).toBe(2); // SSPR-Enabled-Users, Finance-Team
    expect(summary.details.invalidContacts).toBe(0);

    const users = await directoryUsers(h);
    expect(users.map((u) => u.userPrincipalName).sort()).toEqual(
      (['alice', 'bob', 'carol', 'dave', 'erin'] as const)
        .map((k) => f.users[k].upn.toLowerCase())
        .sort(),
    );
    const byUpn = (upn: string) => users.find((u) => u.userPrincipalName === upn.toLowerCase());
    expect(byUpn(f.users.dave.upn)?.accountEnabled).toBe(false); // userAccountControl 514
    expect(byUpn(f.users.alice.upn)).toMatchObject({
      accountEnabled: true,
      displayName: f.users.alice.displayName,
      email: f.users.alice.mail,
      mobilePhone: f.users.alice.mobile,
      officePhone: f.users.alice.telephoneNumber,
    });
    expect(await userOn(h, f.users.frank.upn)).toBeNull();

    // Nothing changed: a second full sync adds, updates and deletes nothing.
    const again = await sync(h, { full: true });
    expect(again.error).toBeNull();
    expect(again.users).toEqual({ added: 0, updated: 0, deleted: 0 });
    expect(again.groups).toEqual({ added: 0, updated: 0, deleted: 0 });
  });

  it('nested group membership decides a "selected" policy: carol (via Finance-Team) may reset, bob may not', async () => {
    const group = await h.server.store.directorySync.findGroupByExternalId(
      await objectGuid(f.groups.ssprEnabledUsers.dn),
    );
    expect(group?.directoryDn?.toLowerCase()).toBe(f.groups.ssprEnabledUsers.dn.toLowerCase());
    const policy = await h.request('PATCH', '/api/v1/admin/policy', {
      token: h.adminToken,
      body: { enabledFor: 'selected', selectedGroupId: group?.id },
    });
    expect(policy.statusCode, policy.body).toBe(200);
    // carol is a member of Finance-Team only, which is a member of SSPR-Enabled-Users. Her
    // synced email (pre-populated) is the method that lets her start.
    const carol = await h.request('POST', '/api/v1/sspr/flows', {
      body: { userId: f.users.carol.upn },
    });
    expect(carol.statusCode, carol.body).toBe(201);
    const bob = await h.request('POST', '/api/v1/sspr/flows', {
      body: { userId: f.users.bob.upn },
    });
    expect(bob.statusCode, bob.body).toBe(403);
    expect(bob.json<{ error: { code: string } }>().error.code).toBe('SSPR_0013');

    // bob joins Finance-Team in the directory: DirSync returns the group, whose new member list
    // the next delta applies; the nested membership makes him eligible.
    await admin.modify(
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
    const again = await h.request('POST', '/api/v1/sspr/flows', {
      body: { userId: f.users.bob.upn },
    });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('delta sync: changed contact attributes are applied, a new user in OU=Staff is added', async () => {
    const alice = f.users.alice;
    const mail = `alice.renamed-${unique()}@${f.dnsDomain}`;
    await admin.modify(alice.dn, [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'mail', values: [mail] }),
      }),
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'telephoneNumber', values: ['+1 4255550277'] }),
      }),
    ]);
    const added = await createUser();

    const delta = await sync(h);
    expect(delta.error).toBeNull();
    expect(delta.full).toBe(false);
    expect(delta.users.updated).toBeGreaterThanOrEqual(1);
    expect(delta.users.added).toBe(1);
    expect(delta.users.deleted).toBe(0);
    expect(await userOn(h, alice.upn)).toMatchObject({ email: mail, officePhone: '+1 4255550277' });
    expect(await userOn(h, added.upn)).toMatchObject({
      source: 'directory',
      accountEnabled: true,
      displayName: `Test ${added.sam}`,
    });

    // Nothing changed since: an empty delta.
    const quiet = await sync(h);
    expect(quiet.error).toBeNull();
    expect(quiet.users).toEqual({ added: 0, updated: 0, deleted: 0 });
  });

  it('delta sync: disabling a user and moving one within scope are updates of the same user', async () => {
    const disabled = await createUser();
    const moved = await createUser();
    expect((await sync(h)).users.added).toBe(2);
    const before = await h.server.store.users.findByUpn(moved.upn);
    expect(before?.directoryDn).toBe(moved.dn);

    await admin.modify(
      disabled.dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'userAccountControl', values: ['514'] }),
      }),
    );
    const target = `CN=${moved.sam},${f.ous.finance}`;
    await admin.modifyDN(moved.dn, target);
    const delta = await sync(h);
    expect(delta.error).toBeNull();
    expect(delta.users).toEqual({ added: 0, updated: 2, deleted: 0 });
    expect((await userOn(h, disabled.upn))?.accountEnabled).toBe(false);
    const after = await h.server.store.users.findByUpn(moved.upn);
    expect(after?.id).toBe(before?.id); // the same user (methods, audit) at its new place
    expect(after?.directoryDn).toBe(target);

    await admin.modify(
      disabled.dn,
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'userAccountControl', values: ['512'] }),
      }),
    );
    expect((await sync(h)).users.updated).toBe(1);
    expect((await userOn(h, disabled.upn))?.accountEnabled).toBe(true);
  });

  it('delta sync: a user moved from OU=Staff to OU=Contractors is deleted (out of scope)', async () => {
    const user = await createUser();
    expect((await sync(h)).users.added).toBe(1);
    expect(await userOn(h, user.upn)).not.toBeNull();

    await moveToContractors(user);
    const delta = await sync(h);
    expect(delta.error).toBeNull();
    expect(delta.full).toBe(false);
    expect(delta.users.deleted).toBe(1);
    expect(await userOn(h, user.upn)).toBeNull();
  });

  it('a user deleted in the directory is deleted by the next full sync', async () => {
    const user = await createUser();
    expect((await sync(h)).users.added).toBe(1);
    await admin.del(user.dn);

    // svc-sspr is a delegated account: DirSync runs with the object-security flag (no
    // "Replicating Directory Changes" right) and it cannot read CN=Deleted Objects, so a
    // deleted object is invisible to it — the delta neither returns the tombstone nor can the
    // agent find the GUID any more. Only a full sync (the server compares what it received with
    // what it has) sees the deletion. The admin center says so (checkRights' delta detail).
    const delta = await sync(h);
    expect(delta.error).toBeNull();
    expect(delta.users.deleted).toBe(0);
    expect(await userOn(h, user.upn)).not.toBeNull();

    const full = await sync(h, { full: true });
    expect(full.error).toBeNull();
    expect(full.users.deleted).toBe(1);
    expect(await userOn(h, user.upn)).toBeNull();
    // Everyone else is still there.
    expect(await userOn(h, f.users.alice.upn)).not.toBeNull();
  });

  it('accidental-delete guard: more deletions than sync.maxDeletes are refused until allowed', async () => {
    const guarded = await hybridOn({ SSPR_SYNC_MAX_DELETES: '1' });
    const first = await createUser();
    const second = await createUser();
    const initial = await sync(guarded, { full: true });
    expect(initial.error).toBeNull();
    expect(await userOn(guarded, first.upn)).not.toBeNull();
    expect(await userOn(guarded, second.upn)).not.toBeNull();

    await moveToContractors(first);
    await moveToContractors(second);
    const refused = await sync(guarded, { full: true });
    expect(refused.error?.code).toBe('SSPR_5104');
    expect(refused.users.deleted).toBe(0);
    expect(refused.details.refusedDeletes).toEqual({ users: 2, groups: 0 });
    expect(await userOn(guarded, first.upn)).not.toBeNull();
    expect(await userOn(guarded, second.upn)).not.toBeNull();
    const overview = await guarded.request('GET', '/api/v1/admin/agents', {
      token: guarded.adminToken,
    });
    expect(overview.json<{ sync: { last: SyncSummary } }>().sync.last.error?.code).toBe(
      'SSPR_5104',
    );

    const allowed = await sync(guarded, { full: true, allowDeletes: true });
    expect(allowed.error).toBeNull();
    expect(allowed.users.deleted).toBe(2);
    expect(allowed.details.guardOverriddenBy).not.toBeNull();
    expect(await userOn(guarded, first.upn)).toBeNull();
    expect(await userOn(guarded, second.upn)).toBeNull();

    // The override served one run: the guard is on again.
    const third = await createUser();
    const fourth = await createUser();
    expect((await sync(guarded)).users.added).toBe(2);
    await moveToContractors(third);
    await moveToContractors(fourth);
    const again = await sync(guarded);
    expect(again.error?.code).toBe('SSPR_5104');
    expect(await userOn(guarded, third.upn)).not.toBeNull();
  });
});
