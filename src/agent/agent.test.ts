/**
 * The agent against a scripted server (a bare WebSocketServer on loopback): registration,
 * the handshake, heartbeats, at-most-once jobs, expired jobs, sync streaming, protocol errors.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createFakeDirectory, type FakeDirectory } from '../../test/fakes/fake-directory.js';
import { eventually } from '../../test/support/agent-harness.js';
import { createSystemClock } from '../adapters/crypto/system-clock.js';
import { generateAgentKeys, seal, verifyHello } from '../protocol/envelope.js';
import {
  agentMessageSchema,
  closeCodes,
  type AgentMessage,
  type ServerMessage,
} from '../protocol/messages.js';
import { startAgent, type RunningAgent, type StartAgentOptions } from './agent.js';
import { AGENT_KEYS_FILE, loadAgentIdentity, saveAgentIdentity } from './agent-keys.js';
import { AgentSetupError, type AgentLogger } from './log.js';
import { serverEndpoints } from './registration.js';

const DN = 'CN=Alice,OU=Staff,DC=contoso,DC=test';

interface Peer {
  readonly ws: WebSocket;
  readonly url: string;
  readonly received: AgentMessage[];
  send(message: ServerMessage | string): void;
  next<T extends AgentMessage['type']>(
    type: T,
    where?: (m: Extract<AgentMessage, { type: T }>) => boolean,
  ): Promise<Extract<AgentMessage, { type: T }>>;
}

let dir: string;
let wss: WebSocketServer;
let url: string;
let peers: Peer[];
const running: RunningAgent[] = [];
const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
const log: AgentLogger = {
  info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
  warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
  error: (obj, msg) => lines.push({ level: 'error', msg, obj }),
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sspr-agent-test-'));
  peers = [];
  lines.length = 0;
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  url = `http://127.0.0.1:${String((wss.address() as AddressInfo).port)}`;
  wss.on('connection', (ws, request) => {
    const received: AgentMessage[] = [];
    ws.on('message', (data: Buffer) => {
      received.push(agentMessageSchema.parse(JSON.parse(data.toString('utf8'))));
    });
    peers.push({
      ws,
      url: request.url ?? '',
      received,
      send: (message) => {
        ws.send(typeof message === 'string' ? message : JSON.stringify(message));
      },
      async next(type, where = () => true) {
        let found: AgentMessage | undefined;
        await eventually(
          () => {
            found = received.find((m) => m.type === type && where(m as never));
            return found !== undefined;
          },
          5000,
          `a ${type} message`,
        );
        return found as never;
      },
    });
  });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
  for (const client of wss.clients) client.terminate();
  await new Promise<void>((resolve) => {
    wss.close(() => {
      resolve();
    });
  });
  await rm(dir, { recursive: true, force: true });
});

const keys = generateAgentKeys();

async function provisioned(): Promise<void> {
  await saveAgentIdentity(dir, {
    agentId: 'agent-1',
    serverUrl: url,
    registeredAt: '2030-01-01T00:00:00.000Z',
    keys,
  });
}

async function start(
  directory: FakeDirectory,
  extra: Partial<StartAgentOptions> = {},
): Promise<RunningAgent> {
  const agent = await startAgent({
    config: { dataDir: dir, server: { url }, directory: { kind: 'openldap' } },
    directory,
    log,
    clock: createSystemClock(),
    version: '9.9.9',
    backoff: { initialMs: 30, maxMs: 100 },
    ...extra,
  });
  running.push(agent);
  return agent;
}

/** Challenge → hello → welcome on the newest connection; returns the peer. */
async function handshake(heartbeatSeconds = 30): Promise<Peer> {
  await eventually(() => peers.length > 0, 5000, 'the agent to connect');
  const peer = peers[peers.length - 1]!;
  peer.send({ v: 1, type: 'challenge', nonce: 'n'.repeat(32) });
  const hello = await peer.next('hello');
  expect(verifyHello(keys.signing.publicKey, 'agent-1', 'n'.repeat(32), hello.signature)).toBe(
    true,
  );
  peer.send({
    v: 1,
    type: 'welcome',
    agentId: 'agent-1',
    heartbeatSeconds,
    syncIntervalSeconds: 60,
    serverTime: new Date().toISOString(),
  });
  return peer;
}

function jobMessage(jobId: string, password: string, deadlineMs = 10_000): ServerMessage {
  return {
    v: 1,
    type: 'job',
    jobId,
    op: 'resetPassword',
    params: { dn: DN, unlock: true, mustChange: false },
    secret: seal(
      keys.encryption.publicKey,
      new TextEncoder().encode(JSON.stringify({ newPassword: password })),
      jobId,
    ),
    deadline: new Date(Date.now() + deadlineMs).toISOString(),
  };
}

describe('first start', () => {
  it('explains what to do when it is not registered and has no token', async () => {
    await expect(start(createFakeDirectory())).rejects.toThrow(AgentSetupError);
    await expect(start(createFakeDirectory())).rejects.toThrow(/sspr admin agent-token create/);
  });

  it('registers with the token, keeps its keys (0600), and reuses them next time', async () => {
    const bodies: Record<string, string>[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      expect(input instanceof URL ? input.href : input).toBe(`${url}/api/v1/agent/register`);
      bodies.push(JSON.parse(init?.body as string) as Record<string, string>);
      return new Response(JSON.stringify({ agentId: 'agent-new' }), { status: 201 });
    };
    const config = {
      dataDir: dir,
      server: { url, registrationToken: 'sspr_ar_token' },
      directory: { kind: 'ad' as const },
    };
    const agent = await start(createFakeDirectory(), { config, fetchImpl, name: 'dc1' });
    expect(agent.agentId).toBe('agent-new');
    expect(bodies).toEqual([
      {
        registrationToken: 'sspr_ar_token',
        name: 'dc1',
        version: '9.9.9',
        signingPublicKey: expect.stringContaining('BEGIN PUBLIC KEY') as unknown,
        encryptionPublicKey: expect.stringContaining('BEGIN PUBLIC KEY') as unknown,
      },
    ]);
    const file = join(dir, AGENT_KEYS_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const identity = await loadAgentIdentity(dir);
    expect(identity?.agentId).toBe('agent-new');
    expect(identity?.keys.signing.publicKey).toBe(bodies[0]?.signingPublicKey);
    expect(await readFile(file, 'utf8')).toContain('PRIVATE KEY');
    await agent.stop();

    const again = await start(createFakeDirectory(), { config, fetchImpl });
    expect(again.agentId).toBe('agent-new');
    expect(bodies).toHaveLength(1);
    expect(lines.some((l) => l.msg.startsWith('already registered'))).toBe(true);
  });

  it("reports the server's refusal and writes no keys", async () => {
    const fetchImpl: typeof fetch = async () =>
      new Response(
        JSON.stringify({
          error: {
            code: 'SSPR_5101',
            message: 'The agent registration token is unknown, used or expired.',
          },
        }),
        { status: 401 },
      );
    const config = {
      dataDir: dir,
      server: { url, registrationToken: 'sspr_ar_x' },
      directory: { kind: 'ad' as const },
    };
    await expect(start(createFakeDirectory(), { config, fetchImpl })).rejects.toThrow(
      'the server refused the registration: SSPR_5101: The agent registration token is unknown, used or expired.',
    );
    expect(await loadAgentIdentity(dir)).toBeNull();
  });

  it('derives ws/wss endpoints from the server URL, keeping a path prefix', () => {
    expect(serverEndpoints('https://sspr.example.com/').connect.href).toBe(
      'wss://sspr.example.com/api/v1/agent/connect',
    );
    expect(serverEndpoints('http://h:8080/sspr').register.href).toBe(
      'http://h:8080/sspr/api/v1/agent/register',
    );
    expect(serverEndpoints('wss://h/x/').register.href).toBe('https://h/x/api/v1/agent/register');
    expect(() => serverEndpoints('ftp://h')).toThrow(AgentSetupError);
  });
});

describe('the link', () => {
  beforeEach(provisioned);

  it('signs the challenge, reports the directory, and sends heartbeats', async () => {
    const directory = createFakeDirectory();
    const agent = await start(directory);
    const peer = await handshake(1);
    await agent.connected();
    expect(peer.url).toBe('/api/v1/agent/connect?agentId=agent-1');
    expect(peer.received[0]).toMatchObject({
      type: 'hello',
      agentId: 'agent-1',
      version: '9.9.9',
      directory: { kind: 'openldap', reachable: true, rights: directory.rights },
    });
    await peer.next('heartbeat', (m) => m.directoryReachable);
    directory.reachable = false;
    await peer.next('heartbeat', (m) => !m.directoryReachable);
  });

  it('applies a job id once: a duplicate gets the first result again', async () => {
    const directory = createFakeDirectory();
    directory.addUser({ dn: DN });
    await start(directory);
    const peer = await handshake();
    const job = jobMessage('job-dup', 'First-Passw0rd!');
    peer.send(job);
    peer.send(job);
    await eventually(() => peer.received.filter((m) => m.type === 'job.result').length === 2);
    const results = peer.received.filter((m) => m.type === 'job.result');
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toMatchObject({ jobId: 'job-dup', ok: true });
    expect(directory.callsOf('resetPassword')).toHaveLength(1);
  });

  it('drops an expired job without touching the directory', async () => {
    const directory = createFakeDirectory();
    directory.addUser({ dn: DN });
    await start(directory);
    const peer = await handshake();
    peer.send(jobMessage('job-old', 'Old-Job-Passw0rd!', -1000));
    peer.send({
      v: 1,
      type: 'job',
      jobId: 'job-new',
      op: 'unlock',
      params: { dn: DN },
      deadline: new Date(Date.now() + 5000).toISOString(),
    });
    await peer.next('job.result', (m) => m.jobId === 'job-new');
    expect(peer.received.some((m) => m.type === 'job.result' && m.jobId === 'job-old')).toBe(false);
    expect(directory.callsOf('resetPassword')).toHaveLength(0);
  });

  it('streams a sync: pages in order, then done with the cookie', async () => {
    const directory = createFakeDirectory();
    const u = directory.addUser({ dn: DN });
    directory.pages = [
      { users: [u], groups: [], deleted: [] },
      { users: [], groups: [], deleted: ['gone-1'] },
    ];
    directory.scanCookie = 'usn:42';
    await start(directory);
    const peer = await handshake();
    peer.send({ v: 1, type: 'sync.request', syncId: 's1', full: false, cookie: 'usn:41' });
    const done = await peer.next('sync.done');
    expect(done).toEqual({
      v: 1,
      type: 'sync.done',
      syncId: 's1',
      ok: true,
      full: false,
      cookie: 'usn:42',
      pages: 2,
    });
    const pages = peer.received.filter((m) => m.type === 'sync.page');
    expect(pages.map((p) => p.seq)).toEqual([0, 1]);
    expect(pages[0]?.users).toEqual([u]);
    expect(directory.callsOf('scan')[0]?.args[0]).toBe('usn:41');
  });

  it('closes with 4400 on an invalid server message and reconnects with backoff', async () => {
    const agent = await start(createFakeDirectory());
    const peer = await handshake();
    await agent.connected();
    const closed = new Promise<number>((resolve) => {
      peer.ws.once('close', (code) => {
        resolve(code);
      });
    });
    peer.send('{"v":1,"type":"job","jobId":"x"}');
    expect(await closed).toBe(closeCodes.protocolError);
    await eventually(() => peers.length === 2, 5000, 'a second connection');
    await handshake();
    await eventually(() => agent.connections() === 2);
    expect(lines.some((l) => l.msg === 'the server sent an invalid message; reconnecting')).toBe(
      true,
    );
  });

  it('keeps retrying while the server is down, then connects', async () => {
    const port = (wss.address() as AddressInfo).port;
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => {
      wss.close(() => {
        resolve();
      });
    });
    const agent = await start(createFakeDirectory());
    await eventually(
      () => lines.filter((l) => l.msg === 'could not connect to the server; retrying').length >= 3,
    );
    const delays = lines
      .filter((l) => l.msg.startsWith('could not connect'))
      .map((l) => Number(l.obj.retryInMs));
    expect(delays.every((ms) => ms >= 15 && ms <= 100)).toBe(true);
    wss = new WebSocketServer({ port, host: '127.0.0.1' });
    wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ v: 1, type: 'challenge', nonce: 'm'.repeat(32) }));
      ws.on('message', () => {
        ws.send(
          JSON.stringify({
            v: 1,
            type: 'welcome',
            agentId: 'agent-1',
            heartbeatSeconds: 30,
            syncIntervalSeconds: 60,
          }),
        );
      });
    });
    await agent.connected();
    expect(agent.state()).toBe('connected');
  });
});
