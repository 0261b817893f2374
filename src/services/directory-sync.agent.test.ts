/**
 * The ingest behind the real agent gateway, with a real agent scanning a fake directory: what
 * `sspr serve` wires (server-runtime.ts), minus LDAP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeDirectory } from '../../test/fakes/fake-directory.js';
import { createAgentHarness, type AgentHarness } from '../../test/support/agent-harness.js';
import { createNodeRandom } from '../adapters/crypto/node-random.js';
import { createSystemClock } from '../adapters/crypto/system-clock.js';
import { createSyncIngest, loadLastSummary } from './directory-sync.js';

let h: AgentHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('directory sync through the agent gateway', () => {
  it('stores a full scan, then applies a delta from the stored cookie', async () => {
    h = await createAgentHarness();
    const store = h.store;
    const ingest = createSyncIngest({
      store,
      clock: createSystemClock(),
      random: createNodeRandom(),
      log: { warn: () => undefined, info: () => undefined },
      maxDeletes: 500,
      prepopulateContacts: true,
    });
    await h.restartGateway({
      onSyncPage: ingest.onSyncPage,
      onSyncDone: ingest.onSyncDone,
      syncCookie: async () => (await store.directorySync.getState()).cookie,
    });
    const directory = createFakeDirectory();
    const alice = directory.addUser({ dn: 'CN=Alice,OU=Staff,DC=contoso,DC=test' });
    const bob = directory.addUser({ dn: 'CN=Bob,OU=Staff,DC=contoso,DC=test' });
    const staff = {
      dn: 'CN=Staff,OU=Groups,DC=contoso,DC=test',
      externalId: 'guid-staff',
      displayName: 'Staff',
      members: [alice.dn, bob.dn],
    };
    directory.pages = [
      { users: [alice], groups: [], deleted: [] },
      { users: [bob], groups: [staff], deleted: [] },
    ];
    directory.scanCookie = 'cookie-1';
    await h.addAgent({ directory });

    const full = await h.gateway.link.sync({ full: true });
    expect(full).toMatchObject({
      full: true,
      users: { added: 2, updated: 0, deleted: 0 },
      groups: { added: 1, updated: 0, deleted: 0 },
      error: null,
      details: { pages: 2 },
    });
    const group = await store.directorySync.findGroupByExternalId('guid-staff');
    const bobRow = await store.users.findByUpn('bob@contoso.test');
    expect(await store.groups.isMemberTransitive(group?.id ?? '', bobRow?.id ?? '')).toBe(true);
    expect((await store.directorySync.getState()).cookie).toBe('cookie-1');

    directory.pages = [{ users: [], groups: [], deleted: [bob.externalId] }];
    directory.scanCookie = 'cookie-2';
    const delta = await h.gateway.link.sync({ full: false });
    expect(delta).toMatchObject({ full: false, users: { deleted: 1 }, error: null });
    expect(directory.callsOf('scan').map((c) => c.args[0])).toEqual([null, 'cookie-1']);
    expect(await store.users.findByUpn('bob@contoso.test')).toBeNull();
    expect((await store.directorySync.getState()).cookie).toBe('cookie-2');
    expect(await loadLastSummary(store)).toEqual(delta);
    expect((await h.gateway.link.status()).agents[0]?.lastSync).toEqual(delta);
  });
});
