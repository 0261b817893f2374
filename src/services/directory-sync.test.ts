import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFixedClock, type FixedClock } from '../../test/fakes/fixed-clock.js';
import { createSeededRandom } from '../../test/fakes/seeded-random.js';
import { createStore, type SqlStore } from '../adapters/store/create-store.js';
import type { AgentLink, SyncSummary, WritebackStatus } from '../domain/ports/agent-link.js';
import type { DirectoryGroup, DirectoryUser } from '../domain/ports/directory.js';
import {
  ALLOW_DELETES_KEY,
  allowDeletesOnce,
  createSyncIngest,
  loadLastSummary,
  startSyncScheduler,
  type SchedulerTimers,
  type SyncIngest,
  type SyncIngestOptions,
} from './directory-sync.js';

const BASE = 'DC=contoso,DC=test';
const AGENT = 'agent-1';

let store: SqlStore;
let clock: FixedClock;
let warnings: { obj: Record<string, unknown>; msg: string }[];
let counter = 0;

beforeEach(async () => {
  store = await createStore({ url: 'sqlite::memory:' });
  await store.migrate();
  clock = createFixedClock('2030-01-01T00:00:00.000Z');
  warnings = [];
});
afterEach(async () => {
  await store.close();
});

function ingest(options: Partial<SyncIngestOptions> = {}): SyncIngest {
  return createSyncIngest({
    store,
    clock,
    random: createSeededRandom(`ingest-${String((counter += 1))}`),
    log: {
      warn: (obj, msg) => warnings.push({ obj, msg }),
      info: () => undefined,
    },
    maxDeletes: 500,
    prepopulateContacts: true,
    ...options,
  });
}

/** A stable externalId per name, so the same person is the same object across runs. */
const guid = (name: string): string => {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

function user(name: string, overrides: Partial<DirectoryUser> = {}): DirectoryUser {
  const lower = name.toLowerCase();
  return {
    dn: `CN=${name},OU=Staff,${BASE}`,
    externalId: guid(`u:${name}`),
    userPrincipalName: `${lower}@contoso.test`,
    accountName: lower,
    displayName: name,
    givenName: name,
    surname: null,
    mail: `${lower}@contoso.test`,
    mobile: '+1 4255550100',
    telephoneNumber: null,
    state: {
      disabled: false,
      locked: false,
      expired: false,
      mustChange: false,
      protected: false,
      criticalSystemObject: false,
      passwordLastSet: null,
    },
    memberOf: [],
    ...overrides,
  };
}

function group(name: string, members: readonly string[]): DirectoryGroup {
  return {
    dn: `CN=${name},OU=Groups,${BASE}`,
    externalId: guid(`g:${name}`),
    displayName: name,
    members,
  };
}

interface Page {
  users?: readonly DirectoryUser[];
  groups?: readonly DirectoryGroup[];
  deleted?: readonly string[];
}

let syncSeq = 0;
/** One run: pages in order, then done. Each run starts a minute after the previous one. */
async function run(
  target: SyncIngest,
  pages: readonly Page[],
  done: { full: boolean; cookie?: string | null; ok?: boolean },
): Promise<SyncSummary> {
  clock.advance(60_000);
  const syncId = `sync-${String((syncSeq += 1))}`;
  const context = { startedAt: clock.now().toISOString(), requestedFull: done.full };
  for (const [seq, page] of pages.entries()) {
    clock.advance(10);
    await target.onSyncPage(
      AGENT,
      syncId,
      { seq, users: page.users ?? [], groups: page.groups ?? [], deleted: page.deleted ?? [] },
      context,
    );
  }
  clock.advance(10);
  return target.onSyncDone(
    AGENT,
    syncId,
    {
      ok: done.ok ?? true,
      full: done.full,
      cookie: done.cookie === undefined ? `cookie-${syncId}` : done.cookie,
      pages: pages.length,
      ...(done.ok === false
        ? { error: { code: 'SSPR_5011', message: 'The on-premises directory cannot be reached.' } }
        : {}),
    },
    context,
  );
}

const byUpn = (upn: string) => store.users.findByUpn(upn);
async function idOf(upn: string): Promise<string> {
  const found = await byUpn(upn);
  if (found === null) throw new Error(`${upn} not stored`);
  return found.id;
}
async function groupIdOf(name: string): Promise<string> {
  const found = await store.directorySync.findGroupByExternalId(guid(`g:${name}`));
  if (found === null) throw new Error(`group ${name} not stored`);
  return found.id;
}
async function syncAudit() {
  const page = await store.audit.query({ activity: 'Directory synchronization', limit: 50 });
  return page.items;
}

describe('createSyncIngest', () => {
  it('applies a full sync, then a delta with changes, a move, a disabled user and a deletion', async () => {
    const sync = ingest();
    const alice = user('Alice');
    const bob = user('Bob');
    const carol = user('Carol');
    const staff = group('Staff', [alice.dn, bob.dn]);
    const full = await run(sync, [{ users: [alice, bob] }, { users: [carol], groups: [staff] }], {
      full: true,
      cookie: 'c1',
    });
    expect(full).toMatchObject({
      full: true,
      users: { added: 3, updated: 0, deleted: 0 },
      groups: { added: 1, updated: 0, deleted: 0 },
      error: null,
      details: { pages: 2, conflicts: { count: 0, items: [] } },
    });
    const state1 = await store.directorySync.getState();
    expect(state1).toEqual({ cookie: 'c1', lastFullAt: full.finishedAt, lastDeltaAt: null });
    const aliceRow = await byUpn('alice@contoso.test');
    expect(aliceRow).toMatchObject({
      source: 'directory',
      externalId: alice.externalId,
      directoryDn: alice.dn,
      accountName: 'alice',
      accountEnabled: true,
      email: 'alice@contoso.test',
      mobilePhone: '+1 4255550100',
      passwordHash: null,
    });
    const staffId = await groupIdOf('Staff');
    expect(await store.groups.isMemberTransitive(staffId, await idOf('bob@contoso.test'))).toBe(
      true,
    );

    // Delta: Alice moves, Bob is disabled and locked, Carol is deleted, Dave arrives.
    const movedAlice = { ...alice, dn: `CN=Alice,OU=Sales,${BASE}` };
    const disabledBob = { ...bob, state: { ...bob.state, disabled: true, locked: true } };
    const dave = user('Dave');
    const delta = await run(
      sync,
      [{ users: [movedAlice, disabledBob] }, { users: [dave], deleted: [carol.externalId] }],
      { full: false, cookie: 'c2' },
    );
    expect(delta).toMatchObject({
      full: false,
      users: { added: 1, updated: 2, deleted: 1 },
      groups: { added: 0, updated: 0, deleted: 0 },
      error: null,
    });
    expect(await byUpn('alice@contoso.test')).toMatchObject({
      id: aliceRow?.id,
      directoryDn: movedAlice.dn,
    });
    expect(await byUpn('bob@contoso.test')).toMatchObject({
      accountEnabled: false,
      directoryState: { locked: true, expired: false, mustChange: false, protected: false },
    });
    expect(await byUpn('carol@contoso.test')).toBeNull();
    expect(await store.directorySync.getState()).toEqual({
      cookie: 'c2',
      lastFullAt: full.finishedAt,
      lastDeltaAt: delta.finishedAt,
    });
    // A moved member stays a member (the group was not sent again).
    expect(await store.groups.isMemberTransitive(staffId, aliceRow?.id ?? '')).toBe(true);

    const events = await syncAudit();
    expect(events.map((e) => [e.result, e.category, e.actorUpn])).toEqual([
      ['success', 'DirectoryManagement', `agent:${AGENT}`],
      ['success', 'DirectoryManagement', `agent:${AGENT}`],
    ]);
    expect(events[0]).toMatchObject({
      correlationId: delta.syncId,
      details: { full: false, users: { added: 1, updated: 2, deleted: 1 } },
    });
    expect(sync.lastSummary()).toEqual(delta);
    expect(sync.history()).toEqual([delta, full]);
    expect(await loadLastSummary(store)).toEqual(delta);
  });

  it('resolves nested group membership whatever the page order', async () => {
    const sync = ingest();
    const erin = user('Erin');
    const frank = user('Frank', { memberOf: [`cn=pilot,ou=groups,${BASE.toLowerCase()}`] });
    const inner = group('Inner', [erin.dn]);
    const pilot = group('Pilot', []);
    const outer = group('Outer', [inner.dn, pilot.dn]);
    // Outer first (its members unknown), then Inner, then the users.
    await run(sync, [{ groups: [outer] }, { groups: [inner, pilot] }, { users: [erin, frank] }], {
      full: true,
    });
    const outerId = await groupIdOf('Outer');
    const erinId = await idOf('erin@contoso.test');
    const frankId = await idOf('frank@contoso.test');
    expect(await store.groups.isMemberTransitive(await groupIdOf('Inner'), erinId)).toBe(true);
    expect(await store.groups.isMemberTransitive(outerId, erinId)).toBe(true);
    expect(await store.groups.isMemberTransitive(outerId, frankId)).toBe(true);
    expect(await store.groups.isMemberTransitive(await groupIdOf('Inner'), frankId)).toBe(false);

    // Outer drops Inner: Erin is no longer a member through it.
    const delta = await run(sync, [{ groups: [{ ...outer, members: [pilot.dn] }] }], {
      full: false,
    });
    expect(delta.groups).toEqual({ added: 0, updated: 1, deleted: 0 });
    expect(await store.groups.isMemberTransitive(outerId, erinId)).toBe(false);
    expect(await store.groups.isMemberTransitive(outerId, frankId)).toBe(true);
  });

  it('deletes what a later full sync does not see, users and groups', async () => {
    const sync = ingest();
    const [a, b, c] = [user('Ann'), user('Ben'), user('Cid')];
    await run(sync, [{ users: [a, b, c], groups: [group('Old', [a.dn]), group('Kept', [])] }], {
      full: true,
    });
    const second = await run(sync, [{ users: [a, c], groups: [group('Kept', [c.dn])] }], {
      full: true,
      cookie: 'c-full-2',
    });
    expect(second).toMatchObject({
      users: { added: 0, updated: 0, deleted: 1 },
      groups: { added: 0, updated: 1, deleted: 1 },
      details: { unchanged: { users: 2, groups: 0 } },
    });
    expect(await byUpn('ben@contoso.test')).toBeNull();
    expect(await store.directorySync.findGroupByExternalId(guid('g:Old'))).toBeNull();
    expect(await store.directorySync.countObjects()).toEqual({ users: 2, groups: 1 });
    expect((await store.directorySync.getState()).cookie).toBe('c-full-2');
  });

  it('refuses 600 deletions with maxDeletes 500: nothing deleted, cookie kept, audited', async () => {
    const sync = ingest({ maxDeletes: 500 });
    const many = Array.from({ length: 600 }, (_, i) => user(`User${String(i).padStart(3, '0')}`));
    await run(sync, [{ users: many.slice(0, 300) }, { users: many.slice(300) }], {
      full: true,
      cookie: 'c-before',
    });
    expect(await store.directorySync.countObjects()).toEqual({ users: 600, groups: 0 });
    const before = await store.directorySync.getState();

    // A delta deleting all 600 (an OU renamed out of scope, say).
    const refused = await run(sync, [{ deleted: many.map((u) => u.externalId) }], {
      full: false,
      cookie: 'c-after',
    });
    expect(refused.error).toEqual({
      code: 'SSPR_5104',
      message: expect.stringContaining('nothing was deleted') as unknown,
    });
    expect(refused.users.deleted).toBe(0);
    expect(refused.details?.refusedDeletes).toEqual({ users: 600, groups: 0 });
    expect(await store.directorySync.countObjects()).toEqual({ users: 600, groups: 0 });
    expect(await store.directorySync.getState()).toEqual(before);
    const [event] = await syncAudit();
    expect(event).toMatchObject({
      result: 'failure',
      resultReason: 'SSPR_5104',
      details: { refusedDeletes: { users: 600, groups: 0 } },
    });
    expect(warnings.map((w) => w.msg)).toContainEqual(
      expect.stringContaining('accidental-delete guard'),
    );

    // An empty full scan trips it too.
    const emptyFull = await run(sync, [], { full: true, cookie: 'c-empty' });
    expect(emptyFull.error?.code).toBe('SSPR_5104');
    expect(await store.directorySync.countObjects()).toEqual({ users: 600, groups: 0 });
    expect((await store.directorySync.getState()).cookie).toBe('c-before');

    // An admin's one-time override (sspr admin sync --allow-deletes) lets one run through; a
    // stale one (over an hour old) does not count.
    await allowDeletesOnce(store, { by: 'old@contoso.test', at: '2029-12-31T00:00:00.000Z' });
    const stale = await run(
      sync,
      [{ deleted: [many[0]?.externalId ?? ''] }, { deleted: many.map((u) => u.externalId) }],
      {
        full: false,
      },
    );
    expect(stale.error?.code).toBe('SSPR_5104');
    await allowDeletesOnce(store, { by: 'admin@contoso.test', at: clock.now().toISOString() });
    const allowed = await run(sync, [{ deleted: many.slice(0, 550).map((u) => u.externalId) }], {
      full: false,
      cookie: 'c-allowed',
    });
    expect(allowed).toMatchObject({
      error: null,
      users: { deleted: 550 },
      details: { refusedDeletes: null, guardOverriddenBy: 'admin@contoso.test' },
    });
    expect(await store.settings.get(ALLOW_DELETES_KEY)).toBeNull();
    expect((await syncAudit())[0]?.details).toMatchObject({
      guardOverriddenBy: 'admin@contoso.test',
    });
    await store.directorySync.setState(before, clock.now().toISOString());
    const restored = many.slice(0, 550);
    await run(sync, [{ users: restored }], { full: false, cookie: 'c-before' });
    expect(await store.directorySync.countObjects()).toEqual({ users: 600, groups: 0 });

    // Exactly at the limit passes; with the guard off (0) everything goes.
    const atLimit = await run(
      ingest({ maxDeletes: 500 }),
      [{ deleted: many.slice(0, 500).map((u) => u.externalId) }],
      {
        full: false,
      },
    );
    expect(atLimit).toMatchObject({ error: null, users: { deleted: 500 } });
    const off = await run(ingest({ maxDeletes: 0 }), [{ deleted: many.map((u) => u.externalId) }], {
      full: false,
      cookie: 'c-off',
    });
    expect(off).toMatchObject({ error: null, users: { deleted: 100 } });
    expect((await store.directorySync.getState()).cookie).toBe('c-off');
  });

  it('skips a directory user whose UPN a cloud user holds, and reports the conflict', async () => {
    const sync = ingest();
    const cloud = await store.users.create(
      {
        id: 'cloud-1',
        userPrincipalName: 'gina@contoso.test',
        displayName: 'Gina (cloud)',
        givenName: null,
        surname: null,
        source: 'cloud',
        accountEnabled: true,
        passwordHash: '$argon2id$x',
        email: null,
        mobilePhone: null,
        officePhone: null,
        externalId: null,
        directoryDn: null,
        accountName: null,
        directoryState: null,
      },
      clock.now().toISOString(),
    );
    const gina = user('Gina');
    const summary = await run(sync, [{ users: [gina, user('Hank')] }], { full: true });
    expect(summary.users.added).toBe(1);
    expect(summary.error).toBeNull();
    expect(summary.details?.conflicts).toEqual({
      count: 1,
      items: [
        {
          externalId: gina.externalId,
          userPrincipalName: 'gina@contoso.test',
          dn: gina.dn,
          conflictWith: { id: 'cloud-1', source: 'cloud' },
        },
      ],
    });
    expect(await store.users.findById(cloud.id)).toEqual(cloud);
    const [event] = await syncAudit();
    expect(event?.details).toMatchObject({ conflicts: 1 });
  });

  it('takes over a UPN freed by a deletion in the same delta', async () => {
    const sync = ingest();
    const old = user('Ivan');
    await run(sync, [{ users: [old] }], { full: true });
    // Ivan's account was deleted and recreated: a new objectGUID with the same UPN, listed
    // before the deletion reaches the server.
    const recreated = { ...old, externalId: guid('u:Ivan-2') };
    const delta = await run(sync, [{ users: [recreated] }, { deleted: [old.externalId] }], {
      full: false,
    });
    expect(delta).toMatchObject({
      users: { added: 1, updated: 0, deleted: 1 },
      details: { conflicts: { count: 0 } },
    });
    expect((await byUpn('ivan@contoso.test'))?.externalId).toBe(recreated.externalId);
  });

  it('never stores critical system objects and removes an older copy', async () => {
    const sync = ingest();
    const admin = user('Administrator');
    await run(sync, [{ users: [admin] }], { full: true });
    expect(await byUpn('administrator@contoso.test')).not.toBeNull();
    const critical = { ...admin, state: { ...admin.state, criticalSystemObject: true } };
    const krbtgt = user('Krbtgt', { state: { ...admin.state, criticalSystemObject: true } });
    const delta = await run(sync, [{ users: [critical, krbtgt] }], { full: false });
    expect(delta).toMatchObject({
      users: { added: 0, updated: 0, deleted: 1 },
      details: { skipped: { criticalSystemObjects: 2, invalid: 0 } },
    });
    expect(await byUpn('administrator@contoso.test')).toBeNull();
    expect(await byUpn('krbtgt@contoso.test')).toBeNull();
  });

  it('pre-populates valid contacts only when told to, and never touches registered methods', async () => {
    const withContacts = ingest({ prepopulateContacts: true });
    const jane = user('Jane', {
      mail: ' Jane@Contoso.TEST ',
      mobile: '+44 7911 123456',
      telephoneNumber: '(425) 555-0100',
    });
    const first = await run(withContacts, [{ users: [jane] }], { full: true });
    expect(first.details?.invalidContacts).toBe(1);
    const row = await byUpn('jane@contoso.test');
    expect(row).toMatchObject({
      email: 'Jane@contoso.test',
      mobilePhone: '+44 7911123456',
      officePhone: null,
    });
    const method = await store.methods.create(
      {
        id: 'm-1',
        userId: row?.id ?? '',
        kind: 'email',
        status: 'active',
        data: { kind: 'email', email: 'jane.private@example.test' },
      },
      clock.now().toISOString(),
    );

    const without = ingest({ prepopulateContacts: false });
    const changed = { ...jane, mail: 'other@contoso.test', mobile: null, displayName: 'Jane D' };
    const second = await run(without, [{ users: [changed] }], { full: false });
    expect(second.users.updated).toBe(1);
    expect(await byUpn('jane@contoso.test')).toMatchObject({
      displayName: 'Jane D',
      email: 'Jane@contoso.test',
      mobilePhone: '+44 7911123456',
    });
    expect(await store.methods.listByUser(row?.id ?? '')).toEqual([method]);
  });

  it('records a failed run without deleting or moving the cookie', async () => {
    const sync = ingest();
    const kim = user('Kim');
    await run(sync, [{ users: [kim, user('Lou')] }], { full: true, cookie: 'c1' });
    const failed = await run(sync, [{ users: [kim] }], { full: true, ok: false, cookie: null });
    expect(failed.error).toEqual({
      code: 'SSPR_5011',
      message: 'The on-premises directory cannot be reached.',
    });
    expect(await byUpn('lou@contoso.test')).not.toBeNull();
    expect((await store.directorySync.getState()).cookie).toBe('c1');
    expect((await syncAudit())[0]).toMatchObject({ result: 'failure', resultReason: 'SSPR_5011' });
  });

  it('refuses pages of one run from another agent', async () => {
    const sync = ingest();
    await sync.onSyncPage(AGENT, 's-x', { users: [user('Max')], groups: [], deleted: [] });
    await expect(
      sync.onSyncPage('agent-2', 's-x', { users: [], groups: [], deleted: [] }),
    ).rejects.toMatchObject({ code: 'SSPR_5103' });
  });
});

describe('startSyncScheduler', () => {
  interface FakeTimers extends SchedulerTimers {
    readonly pending: { fn: () => void; ms: number }[];
    fire(): void;
  }
  function fakeTimers(): FakeTimers {
    const pending: { fn: () => void; ms: number }[] = [];
    return {
      pending,
      setTimeout: (fn, ms) => {
        const entry = { fn, ms };
        pending.push(entry);
        return entry;
      },
      clearTimeout: (handle) => {
        const i = pending.indexOf(handle as { fn: () => void; ms: number });
        if (i >= 0) pending.splice(i, 1);
      },
      fire() {
        const next = pending.shift();
        if (next === undefined) throw new Error('no timer pending');
        next.fn();
      },
    };
  }

  const status = (connected: boolean): WritebackStatus => ({
    ready: connected,
    reason: connected ? null : 'No agent is connected.',
    agents: connected
      ? [
          {
            agentId: AGENT,
            name: 'dc1',
            version: '1',
            connected: true,
            connectedAt: null,
            lastHeartbeatAt: null,
            directoryKind: 'ad',
            directoryReachable: true,
            rights: null,
            lastSync: null,
          },
        ]
      : [],
  });

  function fakeLink(connected: () => boolean) {
    const calls: { full: boolean }[] = [];
    let release: (() => void) | undefined;
    let fail = false;
    const link: Pick<AgentLink, 'status' | 'sync'> = {
      status: () => Promise.resolve(status(connected())),
      sync: async (options) => {
        calls.push(options);
        if (fail) throw new Error('agent went away');
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        await store.directorySync.setState(
          { cookie: 'c', lastFullAt: null, lastDeltaAt: null },
          clock.now().toISOString(),
        );
        return {
          syncId: `s${String(calls.length)}`,
          full: options.full,
          startedAt: '',
          finishedAt: '',
          users: { added: 0, updated: 0, deleted: 0 },
          groups: { added: 0, updated: 0, deleted: 0 },
          error: null,
        };
      },
    };
    return {
      link,
      calls,
      finish: () => release?.(),
      failNext: () => {
        fail = true;
      },
    };
  }

  const flush = () => new Promise((resolve) => setImmediate(resolve));

  it('asks for a full sync first, then deltas, one at a time, only with an agent connected', async () => {
    let connected = false;
    const fake = fakeLink(() => connected);
    const timers = fakeTimers();
    const scheduler = startSyncScheduler({
      link: fake.link,
      store,
      intervalSeconds: 60,
      firstDelayMs: 1000,
      log: { warn: (obj, msg) => warnings.push({ obj, msg }), info: () => undefined },
      timers,
    });
    expect(timers.pending.map((t) => t.ms)).toEqual([1000]);
    timers.fire();
    await flush();
    expect(fake.calls).toEqual([]); // no agent yet
    expect(timers.pending.map((t) => t.ms)).toEqual([60_000]);

    connected = true;
    timers.fire();
    await flush();
    expect(fake.calls).toEqual([{ full: true }]); // no cookie yet
    // While it runs, nothing else starts and no timer is pending.
    await scheduler.tick();
    expect(fake.calls).toHaveLength(1);
    expect(timers.pending).toEqual([]);
    fake.finish();
    await flush();
    await flush();
    expect(timers.pending.map((t) => t.ms)).toEqual([60_000]);

    timers.fire();
    await flush();
    expect(fake.calls).toEqual([{ full: true }, { full: false }]);
    fake.finish();
    await flush();
    await flush();

    // A failure is logged and the next run is still scheduled.
    fake.failNext();
    timers.fire();
    await flush();
    await flush();
    expect(warnings.map((w) => w.msg)).toContain('scheduled directory sync failed');
    expect(timers.pending.map((t) => t.ms)).toEqual([60_000]);

    scheduler.stop();
    expect(timers.pending).toEqual([]);
  });

  it('does nothing with an interval of 0', () => {
    const timers = fakeTimers();
    const scheduler = startSyncScheduler({
      link: fakeLink(() => true).link,
      store,
      intervalSeconds: 0,
      log: { warn: () => undefined, info: () => undefined },
      timers,
    });
    expect(timers.pending).toEqual([]);
    scheduler.stop();
  });
});
