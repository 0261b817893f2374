/**
 * A gateway on a real loopback HTTP server (port 0) over an in-memory SQLite store, and real
 * agents (src/agent) with fake directories connecting to it. Agents register through the real
 * registration service; `fetchImpl` hands their POST straight to it (the HTTP route has its own
 * tests).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent, type StartAgentOptions } from '../../src/agent/agent.js';
import type { AgentLogger } from '../../src/agent/log.js';
import { createNodeRandom } from '../../src/adapters/crypto/node-random.js';
import { createSystemClock } from '../../src/adapters/crypto/system-clock.js';
import { createStore, type SqlStore } from '../../src/adapters/store/create-store.js';
import { isSsprError } from '../../src/domain/errors/sspr-error.js';
import { registrationRequestSchema } from '../../src/protocol/messages.js';
import {
  createAgentGateway,
  type AgentGateway,
  type AgentGatewayOptions,
} from '../../src/server/agent-gateway.js';
import {
  createAgentRegistrationToken,
  registerAgent,
} from '../../src/services/agent-registration.js';
import { createFakeDirectory, type FakeDirectory } from '../fakes/fake-directory.js';

export interface LogLine {
  readonly source: string;
  readonly level: 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

export interface HarnessAgent {
  readonly agent: RunningAgent;
  readonly directory: FakeDirectory;
  readonly dataDir: string;
}

export type GatewayOverrides = Partial<
  Omit<AgentGatewayOptions, 'store' | 'clock' | 'random' | 'log'>
>;

export interface AgentHarness {
  readonly store: SqlStore;
  readonly server: Server;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly gateway: AgentGateway;
  readonly logs: LogLine[];
  logger(source: string): AgentLogger;
  /** Registers and starts an agent, and waits until the server has welcomed it. */
  addAgent(options?: {
    directory?: FakeDirectory;
    name?: string;
    start?: Partial<StartAgentOptions>;
  }): Promise<HarnessAgent>;
  /** Closes the gateway and attaches a new one to the same HTTP server. */
  restartGateway(overrides?: GatewayOverrides): Promise<void>;
  close(): Promise<void>;
}

/** A fetch that answers POST /api/v1/agent/register from the registration service. */
function registrationFetch(store: SqlStore): typeof fetch {
  const deps = { store, clock: createSystemClock(), random: createNodeRandom() };
  return async (_input, init) => {
    const body = registrationRequestSchema.parse(JSON.parse(init?.body as string));
    try {
      const result = await registerAgent(deps, body);
      return new Response(JSON.stringify(result), { status: 201 });
    } catch (error) {
      if (!isSsprError(error)) throw error;
      return new Response(JSON.stringify({ error: { code: error.code, message: error.message } }), {
        status: error.status,
      });
    }
  };
}

/** Polls `check` until it returns true (or throws on timeout). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function createAgentHarness(overrides: GatewayOverrides = {}): Promise<AgentHarness> {
  const store = await createStore({ url: 'sqlite::memory:' });
  await store.migrate();
  const clock = createSystemClock();
  const random = createNodeRandom();
  const logs: LogLine[] = [];
  const logger = (source: string): AgentLogger => ({
    info: (obj, msg) => logs.push({ source, level: 'info', obj, msg }),
    warn: (obj, msg) => logs.push({ source, level: 'warn', obj, msg }),
    error: (obj, msg) => logs.push({ source, level: 'error', obj, msg }),
  });
  const server = createServer((_request, response) => {
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${String(port)}`;

  const makeGateway = (extra: GatewayOverrides): AgentGateway => {
    const gateway = createAgentGateway({
      store,
      clock,
      random,
      log: logger('gateway'),
      heartbeatSeconds: 1,
      jobTimeoutMs: 3000,
      ...overrides,
      ...extra,
    });
    gateway.attach(server);
    return gateway;
  };
  let gateway = makeGateway({});
  const agents: HarnessAgent[] = [];
  const fetchImpl = registrationFetch(store);

  return {
    store,
    server,
    url,
    get gateway() {
      return gateway;
    },
    logs,
    logger,
    async addAgent(options = {}) {
      const { token } = await createAgentRegistrationToken({ store, clock, random });
      const dataDir = await mkdtemp(join(tmpdir(), 'sspr-agent-'));
      const directory = options.directory ?? createFakeDirectory();
      const name = options.name ?? `agent-${String(agents.length + 1)}`;
      const agent = await startAgent({
        config: { dataDir, server: { url, registrationToken: token }, directory: { kind: 'ad' } },
        directory,
        log: logger(name),
        clock,
        fetchImpl,
        name,
        version: 'test',
        backoff: { initialMs: 50, maxMs: 200 },
        ...options.start,
      });
      const added = { agent, directory, dataDir };
      agents.push(added);
      await agent.connected();
      return added;
    },
    async restartGateway(extra = {}) {
      await gateway.close();
      gateway = makeGateway(extra);
    },
    async close() {
      await Promise.all(agents.map((a) => a.agent.stop()));
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await store.close();
      await Promise.all(agents.map((a) => rm(a.dataDir, { recursive: true, force: true })));
    },
  };
}
