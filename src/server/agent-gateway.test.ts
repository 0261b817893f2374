import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import {
  createAgentHarness,
  eventually,
  type AgentHarness,
} from '../../test/support/agent-harness.js';
import { createFakeDirectory, fakePolicy } from '../../test/fakes/fake-directory.js';
import { createNodeRandom } from '../adapters/crypto/node-random.js';
import { createSystemClock } from '../adapters/crypto/system-clock.js';
import { SsprError, isSsprError } from '../domain/errors/sspr-error.js';
import { generateAgentKeys, signHello, type AgentKeyPairs } from '../protocol/envelope.js';
import { AGENT_CONNECT_PATH, closeCodes, serverMessageSchema } from '../protocol/messages.js';
import { createAgentRegistrationToken, registerAgent } from '../services/agent-registration.js';
import { statusReasons, type SyncContext } from './agent-gateway.js';

const DN = 'CN=Alice,OU=Staff,DC=contoso,DC=test';
const harnesses: AgentHarness[] = [];

async function harness(overrides: Parameters<typeof createAgentHarness>[0] = {}) {
  const h = await createAgentHarness(overrides);
  harnesses.push(h);
  return h;
}

afterEach(async () => {
  vi.restoreAllMocks();
  for (const h of harnesses.splice(0)) await h.close();
});

async function rejection(promise: Promise<unknown>): Promise<SsprError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SsprError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** Registers an agent through the service with fresh keys (for hand-driven WebSocket clients). */
async function registered(h: AgentHarness): Promise<{ agentId: string; keys: AgentKeyPairs }> {
  const deps = { store: h.store, clock: createSystemClock(), random: createNodeRandom() };
  const { token } = await createAgentRegistrationToken(deps);
  const keys = generateAgentKeys();
  const { agentId } = await registerAgent(deps, {
    registrationToken: token,
    name: 'raw',
    version: 'test',
    signingPublicKey: keys.signing.publicKey,
    encryptionPublicKey: keys.encryption.publicKey,
  });
  return { agentId, keys };
}

interface RawClient {
  readonly ws: WebSocket;
  readonly messages: unknown[];
  readonly closed: Promise<{ code: number; reason: string }>;
  next(type: string): Promise<Record<string, unknown>>;
}

function rawClient(
  h: AgentHarness,
  agentId: string,
  options: { autoPong?: boolean } = {},
): RawClient {
  const ws = new WebSocket(
    `${h.url.replace('http', 'ws')}${AGENT_CONNECT_PATH}?agentId=${agentId}`,
    { autoPong: options.autoPong ?? true },
  );
  const messages: unknown[] = [];
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8'))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString('utf8') });
    });
  });
  ws.on('error', () => undefined);
  return {
    ws,
    messages,
    closed,
    async next(type) {
      let found: Record<string, unknown> | undefined;
      await eventually(
        () => {
          found = messages.find((m) => (m as { type: string }).type === type) as
            Record<string, unknown> | undefined;
          return found !== undefined;
        },
        5000,
        `a ${type} message`,
      );
      return found as Record<string, unknown>;
    },
  };
}

function hello(agentId: string, keys: AgentKeyPairs, nonce: string) {
  return JSON.stringify({
    v: 1,
    type: 'hello',
    agentId,
    signature: signHello(keys.signing.privateKey, agentId, nonce),
    version: 'test',
    directory: { kind: 'ad', reachable: true, rights: null },
  });
}

describe('jobs over a real WebSocket', () => {
  it('resets a password: decrypted only in the agent, never in a frame', async () => {
    const frames: string[] = [];
    // Every frame either end sends goes through WebSocket#send (server and agent share `ws`).
    const send = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'send')?.value as (
      this: WebSocket,
      ...args: Parameters<WebSocket['send']>
    ) => void;
    vi.spyOn(WebSocket.prototype, 'send').mockImplementation(function (
      this: WebSocket,
      ...args: Parameters<WebSocket['send']>
    ) {
      frames.push(
        typeof args[0] === 'string' ? args[0] : Buffer.from(args[0] as Buffer).toString(),
      );
      send.apply(this, args);
    });
    const h = await harness();
    const { directory } = await h.addAgent();
    directory.addUser({ dn: DN });
    const password = 'Brand-New-Passw0rd!';

    await h.gateway.link.resetPassword(DN, password, { unlock: true, mustChange: false });

    expect(directory.passwordOf(DN)).toBe(password);
    expect(directory.callsOf('resetPassword')).toEqual([
      { op: 'resetPassword', args: [DN, password, { unlock: true, mustChange: false }] },
    ]);
    const jobs = frames
      .map((f) => JSON.parse(f) as { type: string; secret?: unknown; op?: string })
      .filter((m) => m.type === 'job');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.op).toBe('resetPassword');
    expect(serverMessageSchema.parse(jobs[0])).toMatchObject({
      secret: { epk: expect.any(String) as unknown },
    });
    expect(frames.some((f) => f.includes(password))).toBe(false);
    expect(frames.some((f) => f.includes(Buffer.from(password).toString('base64')))).toBe(false);
    expect(JSON.stringify(h.logs)).not.toContain(password);
  });

  it('carries every operation and its result', async () => {
    const h = await harness();
    const { directory } = await h.addAgent();
    const alice = directory.addUser({ dn: DN, mail: 'alice@contoso.test' }, 'Old-Passw0rd!');

    expect(await h.gateway.link.findUser({ by: 'mail', value: 'alice@contoso.test' })).toEqual(
      alice,
    );
    expect(await h.gateway.link.findUser({ by: 'upn', value: 'nobody@contoso.test' })).toBeNull();
    await h.gateway.link.verifyPassword(DN, 'Old-Passw0rd!');
    await h.gateway.link.changePassword(DN, 'Old-Passw0rd!', 'Changed-Passw0rd!');
    expect(directory.passwordOf(DN)).toBe('Changed-Passw0rd!');
    await h.gateway.link.setMustChange(DN, true);
    expect((await h.gateway.link.readAccountState(DN)).mustChange).toBe(true);
    await h.gateway.link.unlock(DN);
    expect(await h.gateway.link.readPasswordPolicy(DN)).toEqual(fakePolicy);
  });

  it('maps the directory refusal back to the same SsprError', async () => {
    const h = await harness();
    const { directory } = await h.addAgent();
    directory.addUser({ dn: DN }, 'Current-Passw0rd!');
    directory.failNext(
      'resetPassword',
      new SsprError('DIRECTORY_PASSWORD_IN_HISTORY', { details: { historyCount: 24 } }),
    );

    const error = await rejection(
      h.gateway.link.resetPassword(DN, 'Whatever-Passw0rd!', { unlock: true, mustChange: false }),
    );
    expect(error.errorName).toBe('DIRECTORY_PASSWORD_IN_HISTORY');
    expect(error.code).toBe('SSPR_5003');
    expect(error.details).toEqual({ historyCount: 24 });

    // A real refusal of the fake (the current password is in its history) travels the same way.
    expect(
      (
        await rejection(
          h.gateway.link.resetPassword(DN, 'Current-Passw0rd!', {
            unlock: true,
            mustChange: false,
          }),
        )
      ).errorName,
    ).toBe('DIRECTORY_PASSWORD_IN_HISTORY');
    // A non-SsprError in the agent becomes DIRECTORY_ERROR.
    directory.failNext('unlock', new Error('socket hang up'));
    expect((await rejection(h.gateway.link.unlock(DN))).errorName).toBe('DIRECTORY_ERROR');
  });

  it('answers SSPR_0030 at once when no agent is connected', async () => {
    const h = await harness();
    const started = Date.now();
    const error = await rejection(
      h.gateway.link.resetPassword(DN, 'Brand-New-Passw0rd!', { unlock: true, mustChange: false }),
    );
    expect(error.code).toBe('SSPR_0030');
    expect(error.details).toEqual({ reason: 'no-agent' });
    expect(Date.now() - started).toBeLessThan(200);
    expect((await rejection(h.gateway.link.sync({ full: true }))).code).toBe('SSPR_0030');
  });

  it('expires a job the agent does not answer in time, ignores the late result, applies once', async () => {
    const h = await harness({ jobTimeoutMs: 400 });
    const { directory } = await h.addAgent();
    directory.addUser({ dn: DN });
    const release = directory.hold();

    const started = Date.now();
    const error = await rejection(
      h.gateway.link.resetPassword(DN, 'Late-Passw0rd-1!', { unlock: true, mustChange: false }),
    );
    expect(error.code).toBe('SSPR_0030');
    expect(error.details).toEqual({ reason: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);

    release();
    await eventually(
      () => h.logs.some((l) => l.msg.startsWith('late agent job result ignored')),
      3000,
      'the late result to be logged',
    );
    expect(directory.callsOf('resetPassword')).toHaveLength(1);
    // The link still works afterwards.
    await h.gateway.link.unlock(DN);
    expect(directory.callsOf('resetPassword')).toHaveLength(1);
  });

  it('never resends a password job when its agent leaves; retries a read once elsewhere', async () => {
    const h = await harness();
    const a = await h.addAgent({ name: 'a' });
    const b = await h.addAgent({ name: 'b' });
    for (const x of [a, b]) x.directory.addUser({ dn: DN });
    const releases = [a.directory.hold(), b.directory.hold()];

    const reset = h.gateway.link.resetPassword(DN, 'Once-Only-Passw0rd!', {
      unlock: true,
      mustChange: false,
    });
    await eventually(
      () =>
        a.directory.callsOf('resetPassword').length +
          b.directory.callsOf('resetPassword').length ===
        1,
    );
    const chosen = a.directory.callsOf('resetPassword').length === 1 ? a : b;
    const other = chosen === a ? b : a;
    h.gateway.disconnect(chosen.agent.agentId);
    const error = await rejection(reset);
    expect(error.code).toBe('SSPR_0030');
    expect(error.details).toEqual({ reason: 'agent-disconnected' });
    expect(other.directory.callsOf('resetPassword')).toHaveLength(0);

    await chosen.agent.connected();
    await eventually(() => chosen.agent.connections() === 2);
    const find = h.gateway.link.findUser({ by: 'upn', value: 'alice@contoso.test' });
    await eventually(
      () => a.directory.callsOf('findUser').length + b.directory.callsOf('findUser').length === 1,
    );
    const reader = a.directory.callsOf('findUser').length === 1 ? a : b;
    h.gateway.disconnect(reader.agent.agentId);
    for (const release of releases) release();
    expect((await find)?.dn).toBe(DN);
    expect((reader === a ? b : a).directory.callsOf('findUser')).toHaveLength(1);
  });

  it('reconnects after the server drops the socket, and after a gateway restart', async () => {
    const h = await harness();
    const { agent, directory } = await h.addAgent();
    directory.addUser({ dn: DN });

    expect(h.gateway.disconnect(agent.agentId)).toBe(true);
    await eventually(() => agent.connections() === 2, 5000, 'the agent to reconnect');
    await h.gateway.link.unlock(DN);

    await h.restartGateway();
    await eventually(() => agent.connections() === 3, 5000, 'the agent to reconnect');
    await h.gateway.link.unlock(DN);
    expect(directory.callsOf('unlock')).toHaveLength(2);
    expect(h.logs.some((l) => l.msg === 'disconnected from the server; reconnecting')).toBe(true);
  });

  it('shares jobs round-robin and skips an agent that cannot reach its directory', async () => {
    const h = await harness();
    const a = await h.addAgent({ name: 'a' });
    const b = await h.addAgent({ name: 'b' });
    for (const x of [a, b]) x.directory.addUser({ dn: DN });

    for (let i = 0; i < 4; i += 1) await h.gateway.link.readAccountState(DN);
    expect(a.directory.callsOf('readAccountState')).toHaveLength(2);
    expect(b.directory.callsOf('readAccountState')).toHaveLength(2);

    b.directory.reachable = false;
    await eventually(
      async () => {
        const status = await h.gateway.link.status();
        return (
          status.agents.find((s) => s.agentId === b.agent.agentId)?.directoryReachable === false
        );
      },
      5000,
      'the heartbeat to report b unreachable',
    );
    for (let i = 0; i < 4; i += 1) await h.gateway.link.readAccountState(DN);
    expect(a.directory.callsOf('readAccountState')).toHaveLength(6);
    expect(b.directory.callsOf('readAccountState')).toHaveLength(2);
    expect((await h.gateway.link.status()).ready).toBe(true);
  });
});

describe('status', () => {
  it('gives the reason writeback is not ready', async () => {
    const h = await harness();
    expect(await h.gateway.link.status()).toEqual({
      ready: false,
      reason: statusReasons.noAgent,
      agents: [],
    });

    const directory = createFakeDirectory();
    directory.rights = {
      ok: false,
      checks: [
        {
          check: 'reset password on OU=Staff,DC=contoso,DC=test',
          ok: false,
          detail: 'no Reset Password right',
        },
        { check: 'read users', ok: true },
      ],
    };
    const { agent } = await h.addAgent({ directory, name: 'dc1' });
    const status = await h.gateway.link.status();
    expect(status.ready).toBe(false);
    expect(status.reason).toBe(
      "The agent's service account lacks rights: reset password on OU=Staff,DC=contoso,DC=test (no Reset Password right).",
    );
    expect(status.agents).toEqual([
      expect.objectContaining({
        agentId: agent.agentId,
        name: 'dc1',
        version: 'test',
        connected: true,
        directoryKind: 'ad',
        directoryReachable: true,
        rights: directory.rights,
        lastSync: null,
      }),
    ]);

    directory.rights = { ok: true, checks: [] };
    h.gateway.disconnect(agent.agentId);
    await eventually(() => agent.connections() === 2);
    expect(await h.gateway.link.status()).toMatchObject({ ready: true, reason: null });

    directory.reachable = false;
    await eventually(
      async () => (await h.gateway.link.status()).reason === statusReasons.unreachable,
    );

    await agent.stop();
    await eventually(async () => (await h.gateway.link.status()).reason === statusReasons.noAgent);
    const [offline] = (await h.gateway.link.status()).agents;
    expect(offline).toMatchObject({
      connected: false,
      lastHeartbeatAt: expect.any(String) as unknown,
    });
  });
});

describe('authentication and protocol', () => {
  it('refuses a bad signature, an unknown agent and a revoked agent with 4401', async () => {
    const h = await harness();
    const { agentId, keys } = await registered(h);

    const forged = rawClient(h, agentId);
    const challenge = await forged.next('challenge');
    forged.ws.send(hello(agentId, generateAgentKeys(), String(challenge.nonce)));
    expect(await forged.closed).toEqual({
      code: closeCodes.unauthorized,
      reason: 'AGENT_AUTHENTICATION_FAILED: bad signature',
    });

    const unknownKeys = generateAgentKeys();
    const unknown = rawClient(h, 'no-such-agent');
    unknown.ws.send(
      hello('no-such-agent', unknownKeys, String((await unknown.next('challenge')).nonce)),
    );
    expect((await unknown.closed).code).toBe(closeCodes.unauthorized);

    const good = rawClient(h, agentId);
    good.ws.send(hello(agentId, keys, String((await good.next('challenge')).nonce)));
    expect(await good.next('welcome')).toMatchObject({ agentId, heartbeatSeconds: 1 });
    good.ws.close();

    await h.store.agents.revoke(agentId, new Date().toISOString());
    const revoked = rawClient(h, agentId);
    revoked.ws.send(hello(agentId, keys, String((await revoked.next('challenge')).nonce)));
    expect(await revoked.closed).toEqual({
      code: closeCodes.unauthorized,
      reason: 'AGENT_AUTHENTICATION_FAILED: the agent was revoked',
    });
  });

  it('tells a revoked running agent how to re-register', async () => {
    const h = await harness();
    const { agent } = await h.addAgent({ name: 'gone' });
    await h.store.agents.revoke(agent.agentId, new Date().toISOString());
    h.gateway.disconnect(agent.agentId);
    await eventually(() =>
      h.logs.some(
        (l) =>
          l.source === 'gone' &&
          l.level === 'error' &&
          l.msg.includes('sspr admin agent-token create'),
      ),
    );
    expect(agent.state()).toBe('connecting');
  });

  it('closes with 4400 on an invalid message, and 4401 without a hello in time', async () => {
    const h = await harness({ helloTimeoutMs: 300 });
    const { agentId, keys } = await registered(h);

    const garbage = rawClient(h, agentId);
    await garbage.next('challenge');
    garbage.ws.send('{"v":1,"type":"hello"');
    expect(await garbage.closed).toEqual({
      code: closeCodes.protocolError,
      reason: 'AGENT_PROTOCOL_ERROR: not JSON',
    });

    const wrong = rawClient(h, agentId);
    wrong.ws.send(hello(agentId, keys, String((await wrong.next('challenge')).nonce)));
    await wrong.next('welcome');
    wrong.ws.send(JSON.stringify({ v: 1, type: 'job.result', jobId: 'x', ok: 'yes' }));
    expect((await wrong.closed).code).toBe(closeCodes.protocolError);

    const silent = rawClient(h, agentId);
    await silent.next('challenge');
    expect(await silent.closed).toEqual({
      code: closeCodes.unauthorized,
      reason: 'AGENT_AUTHENTICATION_FAILED: no hello within 0.3 s',
    });
  });

  it('terminates a connection that stops answering pings', async () => {
    const h = await harness();
    const { agentId, keys } = await registered(h);
    const deaf = rawClient(h, agentId, { autoPong: false });
    deaf.ws.send(hello(agentId, keys, String((await deaf.next('challenge')).nonce)));
    await deaf.next('welcome');
    const started = Date.now();
    expect((await deaf.closed).code).toBe(1006);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(h.logs.some((l) => l.msg.startsWith('agent missed two heartbeats'))).toBe(true);
  });
});

describe('sync', () => {
  it('streams pages to onSyncPage in order and resolves with onSyncDone', async () => {
    const pages: { agentId: string; syncId: string; seq: number; users: number }[] = [];
    const contexts: SyncContext[] = [];
    const h = await harness({
      syncCookie: async () => 'cookie-from-store',
      onSyncPage: async (agentId, syncId, page, context) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        pages.push({ agentId, syncId, seq: page.seq, users: page.users.length });
        contexts.push(context);
      },
      onSyncDone: async (agentId, syncId, done, context) => ({
        syncId,
        full: done.full,
        startedAt: context.startedAt,
        finishedAt: new Date().toISOString(),
        users: { added: pages.reduce((n, p) => n + p.users, 0), updated: 0, deleted: 0 },
        groups: { added: 0, updated: 0, deleted: 0 },
        error: null,
      }),
    });
    const directory = createFakeDirectory();
    const user = (i: number) =>
      directory.addUser({ dn: `CN=U${String(i)},OU=Staff,DC=contoso,DC=test` });
    directory.pages = [
      { users: [user(1), user(2)], groups: [], deleted: [] },
      {
        users: [user(3)],
        groups: [{ dn: 'CN=G,DC=contoso,DC=test', externalId: 'g', displayName: 'G', members: [] }],
        deleted: [],
      },
      { users: [], groups: [], deleted: ['guid-old'] },
    ];
    const { agent } = await h.addAgent({ directory });

    const summary = await h.gateway.link.sync({ full: true });
    expect(summary).toMatchObject({ full: true, users: { added: 3 }, error: null });
    expect(pages.map((p) => p.seq)).toEqual([0, 1, 2]);
    expect(pages.every((p) => p.agentId === agent.agentId && p.syncId === summary.syncId)).toBe(
      true,
    );
    expect(contexts[0]).toEqual({ startedAt: summary.startedAt, requestedFull: true });
    expect(directory.callsOf('scan')[0]?.args[0]).toBeNull();

    const delta = await h.gateway.link.sync({ full: false });
    expect(delta.full).toBe(false);
    expect(directory.callsOf('scan')[1]?.args[0]).toBe('cookie-from-store');
    const status = await h.gateway.link.status();
    expect(status.agents[0]?.lastSync).toEqual(delta);
  });

  it('fails the run with SYNC_FAILED when the directory scan fails', async () => {
    const h = await harness();
    const directory = createFakeDirectory();
    directory.failNext('scan', new SsprError('DIRECTORY_UNREACHABLE'));
    await h.addAgent({ directory });
    const error = await rejection(h.gateway.link.sync({ full: true }));
    expect(error.errorName).toBe('SYNC_FAILED');
    expect(error.details).toEqual({ agentError: 'SSPR_5011' });
    expect(isSsprError(error.cause, 'DIRECTORY_UNREACHABLE')).toBe(true);
  });
});
