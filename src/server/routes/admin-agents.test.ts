/**
 * GET /admin/agents and POST /admin/sync through the whole server, with a fake AgentLink whose
 * sync() feeds pages to the real ingest (as the agent gateway does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectedAgent,
  createFakeAgentLink,
  syncSummary,
  type FakeAgentLink,
} from '../../../test/fakes/fake-agent-link.js';
import { createSeededRandom } from '../../../test/fakes/seeded-random.js';
import { auditOf, createUser, signIn, signInWithRoles } from '../../../test/support/actions.js';
import { createTestApp, errorCode, type TestApp } from '../../../test/support/test-app.js';
import type { SyncSummary } from '../../domain/ports/agent-link.js';
import type { DirectoryUser } from '../../domain/ports/directory.js';
import { ALLOW_DELETES_KEY, createSyncIngest } from '../../services/directory-sync.js';

interface Overview {
  writeback: { ready: boolean; reason: string | null; agents: { agentId: string }[] };
  sync: {
    state: {
      deltaReady: boolean;
      lastFullAt: string | null;
      lastDeltaAt: string | null;
      users: number;
      groups: number;
    };
    last: SyncSummary | null;
  };
  warnings: string[];
}

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function app(link?: FakeAgentLink): Promise<TestApp> {
  t = await createTestApp(link === undefined ? {} : { agentLink: link });
  return t;
}

const dirUser = (name: string): DirectoryUser => ({
  dn: `CN=${name},OU=Staff,DC=contoso,DC=test`,
  externalId: `00000000-0000-4000-8000-${name.toLowerCase().padStart(12, '0').slice(-12)}`,
  userPrincipalName: `${name.toLowerCase()}@contoso.test`,
  accountName: name.toLowerCase(),
  displayName: name,
  givenName: null,
  surname: null,
  mail: null,
  mobile: null,
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
});

/** A link whose sync() runs the real ingest on `users` (one page), like the gateway would. */
function ingestingLink(
  test: () => TestApp,
  pages: () => DirectoryUser[][],
  options: { maxDeletes?: number } = {},
): FakeAgentLink {
  let n = 0;
  const link = createFakeAgentLink({ connected: true });
  link.onSync = async ({ full }) => {
    const { store, clock } = test();
    const ingest = createSyncIngest({
      store,
      clock,
      random: createSeededRandom(`http-${String((n += 1))}`),
      log: { warn: () => undefined, info: () => undefined },
      maxDeletes: options.maxDeletes ?? 500,
      prepopulateContacts: true,
    });
    clock.advance(60_000);
    const syncId = `sync-${String(n)}`;
    const context = { startedAt: clock.now().toISOString(), requestedFull: full };
    const all = pages();
    for (const [seq, users] of all.entries()) {
      clock.advance(1);
      await ingest.onSyncPage('agent-1', syncId, { seq, users, groups: [], deleted: [] }, context);
    }
    return ingest.onSyncDone(
      'agent-1',
      syncId,
      { ok: true, full, cookie: `cookie-${String(n)}`, pages: all.length },
      context,
    );
  };
  return link;
}

describe('GET /api/v1/admin/agents', () => {
  it('shows writeback not ready and an empty sync state on a server without agents', async () => {
    const test = await app();
    const res = await test.request('GET', '/api/v1/admin/agents', { token: test.adminToken });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Overview>()).toEqual({
      writeback: { ready: false, reason: 'No agent is connected.', agents: [] },
      sync: {
        state: { deltaReady: false, lastFullAt: null, lastDeltaAt: null, users: 0, groups: 0 },
        last: null,
      },
      warnings: [],
    });
  });

  it('shows the agents, the sync state and the last run after a sync', async () => {
    let users = [dirUser('Alice'), dirUser('Bob')];
    const link = ingestingLink(
      () => t as TestApp,
      () => [users],
    );
    const test = await app(link);
    const first = await test.request('POST', '/api/v1/admin/sync', {
      token: test.adminToken,
      body: { full: true },
    });
    expect(first.statusCode, first.body).toBe(200);
    users = [dirUser('Alice')];
    const second = await test.request('POST', '/api/v1/admin/sync', {
      token: test.adminToken,
      body: { full: true },
    });
    const summary = second.json<SyncSummary>();
    expect(summary).toMatchObject({ full: true, users: { deleted: 1 }, error: null });

    const res = await test.request('GET', '/api/v1/admin/agents', { token: test.adminToken });
    expect(res.statusCode, res.body).toBe(200);
    const overview = res.json<Overview>();
    expect(overview.writeback).toEqual({
      ready: true,
      reason: null,
      agents: [connectedAgent()],
    });
    expect(overview.sync.state).toEqual({
      deltaReady: true,
      lastFullAt: summary.finishedAt,
      lastDeltaAt: null,
      users: 1,
      groups: 0,
    });
    expect(overview.sync.last).toEqual(summary);
  });

  it('is open to every admin role, and to no one else', async () => {
    const test = await app();
    expect((await test.request('GET', '/api/v1/admin/agents')).statusCode).toBe(401);
    const reader = await signInWithRoles(test, 'reader@contoso.test', ['reportsReader']);
    expect((await test.request('GET', '/api/v1/admin/agents', { cookie: reader })).statusCode).toBe(
      200,
    );
    await createUser(test, 'plain@contoso.test');
    const plain = await signIn(test, 'plain@contoso.test');
    const res = await test.request('GET', '/api/v1/admin/agents', { cookie: plain });
    expect(res.statusCode).toBe(403);
  });
});

describe('POST /api/v1/admin/sync', () => {
  it('runs a delta by default, waits for it and answers its summary; the run is audited', async () => {
    const link = ingestingLink(
      () => t as TestApp,
      () => [[dirUser('Carol')], [dirUser('Dave')]],
    );
    const test = await app(link);
    // No body at all, and an empty object: both a delta.
    const res = await test.request('POST', '/api/v1/admin/sync', { token: test.adminToken });
    expect(res.statusCode, res.body).toBe(200);
    const empty = await test.request('POST', '/api/v1/admin/sync', {
      token: test.adminToken,
      body: {},
    });
    expect(empty.statusCode, empty.body).toBe(200);
    expect(link.syncCalls).toEqual([{ full: false }, { full: false }]);
    expect(res.json<SyncSummary>()).toMatchObject({
      full: false,
      users: { added: 2, updated: 0, deleted: 0 },
      groups: { added: 0, updated: 0, deleted: 0 },
      error: null,
      details: { pages: 2 },
    });
    const user = await test.store.users.findByUpn('carol@contoso.test');
    expect(user).toMatchObject({ source: 'directory', directoryDn: dirUser('Carol').dn });
    const events = await auditOf(test, 'Directory synchronization');
    expect(events.map((e) => e.result)).toEqual(['success', 'success']);
  });

  it('answers 200 with the summary and SSPR_5104 when the delete guard refuses', async () => {
    let users = [dirUser('Eve'), dirUser('Fay'), dirUser('Gus')];
    const link = ingestingLink(
      () => t as TestApp,
      () => [users],
      { maxDeletes: 1 },
    );
    const test = await app(link);
    await test.request('POST', '/api/v1/admin/sync', {
      token: test.adminToken,
      body: { full: true },
    });
    users = [];
    const res = await test.request('POST', '/api/v1/admin/sync', {
      token: test.adminToken,
      body: { full: true },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<SyncSummary>()).toMatchObject({
      users: { deleted: 0 },
      error: { code: 'SSPR_5104' },
      details: { refusedDeletes: { users: 3, groups: 0 } },
    });
    expect(await test.store.directorySync.countObjects()).toEqual({ users: 3, groups: 0 });
    const [event] = await auditOf(test, 'Directory synchronization');
    expect(event).toMatchObject({ result: 'failure', resultReason: 'SSPR_5104' });

    // The admin means it: one run may delete them, and who allowed it is audited.
    const allowed = await test.request('POST', '/api/v1/admin/sync', {
      token: test.adminToken,
      body: { full: true, allowDeletes: true },
    });
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect(allowed.json<SyncSummary>()).toMatchObject({
      users: { deleted: 3 },
      error: null,
      details: { guardOverriddenBy: 'token:tests' },
    });
    const [run, grant] = await auditOf(test, 'Directory synchronization');
    expect(run).toMatchObject({ result: 'success', actorUpn: 'agent:agent-1' });
    expect(grant).toMatchObject({
      result: 'success',
      actorUpn: 'token:tests',
      details: { action: 'allowDeletesOnce', full: true },
    });
  });

  it('drops an unused delete-guard override when no agent answers', async () => {
    const test = await app(createFakeAgentLink());
    const res = await test.request('POST', '/api/v1/admin/sync', {
      token: test.adminToken,
      body: { allowDeletes: true },
    });
    expect(errorCode(res)).toBe('SSPR_0030');
    expect(await test.store.settings.get(ALLOW_DELETES_KEY)).toBeNull();
  });

  it('answers 503 SSPR_0030 without an agent, with or without a gateway', async () => {
    for (const link of [undefined, createFakeAgentLink()]) {
      const test = await app(link);
      const res = await test.request('POST', '/api/v1/admin/sync', {
        token: test.adminToken,
        body: { full: true },
      });
      expect(res.statusCode).toBe(503);
      expect(errorCode(res)).toBe('SSPR_0030');
      await test.close();
      t = undefined;
    }
  });

  it('refuses bad bodies and admins without a sync role', async () => {
    const link = createFakeAgentLink({
      connected: true,
      onSync: () => Promise.resolve(syncSummary()),
    });
    const test = await app(link);
    for (const body of [{ full: 'yes' }, { full: true, extra: 1 }, []]) {
      const res = await test.request('POST', '/api/v1/admin/sync', {
        token: test.adminToken,
        body,
      });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect((await test.request('POST', '/api/v1/admin/sync', { body: {} })).statusCode).toBe(401);
    const helpdesk = await signInWithRoles(test, 'helpdesk@contoso.test', [
      'helpdeskAdministrator',
    ]);
    const refused = await test.request('POST', '/api/v1/admin/sync', {
      cookie: helpdesk,
      body: {},
    });
    expect(refused.statusCode).toBe(403);
    const hybrid = await signInWithRoles(test, 'hybrid@contoso.test', [
      'hybridIdentityAdministrator',
    ]);
    const allowed = await test.request('POST', '/api/v1/admin/sync', {
      cookie: hybrid,
      body: { full: true },
    });
    expect(allowed.statusCode, allowed.body).toBe(200);
    expect(link.syncCalls).toEqual([{ full: true }]);
  });

  it('is in the OpenAPI document', async () => {
    const test = await app();
    const doc = (await test.request('GET', '/api/v1/openapi.json')).json<{
      paths: Record<string, Record<string, { summary?: string }>>;
    }>();
    expect(doc.paths['/api/v1/admin/agents']?.get?.summary).toMatch(/agents/);
    expect(doc.paths['/api/v1/admin/sync']?.post?.summary).toMatch(/[Ss]ync/);
  });
});
