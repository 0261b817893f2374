/**
 * A hybrid deployment in one test process: the production server runtime listening on loopback,
 * and the production agent runtime (real LDAP adapter) dialling out to it over a real WebSocket.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createServerRuntime, listen, type ServerRuntime } from '../../src/main/server-runtime.js';
import { createAgentRuntime, type AgentRuntime } from '../../src/main/agent-runtime.js';
import { createDirectoryFromConfig } from '../../src/main/directory-factory.js';
import { createAdminToken } from '../../src/services/admin-service.js';
import { createAgentRegistrationToken } from '../../src/services/agent-registration.js';

export interface DirectoryConnection {
  readonly kind: 'ad' | 'openldap';
  readonly url: string;
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly baseDn: string;
  readonly scope: readonly string[];
  readonly caFile: string;
}

export interface Hybrid {
  readonly server: ServerRuntime;
  readonly agent: AgentRuntime;
  readonly url: string;
  readonly adminToken: string;
  request(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    options?: { body?: unknown; cookie?: string; token?: string },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface HybridOptions {
  /**
   * Extra `SSPR_*` variables for the server's configuration (e.g. `SSPR_SYNC_MAX_DELETES`); they
   * override the defaults below.
   */
  readonly serverEnv?: Readonly<Record<string, string>>;
}

const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function startHybrid(
  directory: DirectoryConnection,
  options: HybridOptions = {},
): Promise<Hybrid> {
  const dir = await mkdtemp(join(tmpdir(), 'sspr-hybrid-'));
  const serverConfig = loadConfig({
    env: {
      SSPR_DATA_DIR: join(dir, 'server'),
      SSPR_LISTEN: '127.0.0.1:0',
      SSPR_CAPTCHA_ENABLED: 'false',
      SSPR_LOG_LEVEL: 'silent',
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
      SSPR_SYNC_INTERVAL_SECONDS: '0',
      ...options.serverEnv,
    },
    cwd: dir,
  });
  const server = await createServerRuntime(serverConfig, { timingFloorMs: 0 });
  const url = (await listen(server, serverConfig)).replace('localhost', '127.0.0.1');
  const registration = await createAgentRegistrationToken(server.services);
  const agentConfig = loadConfig({
    env: {
      SSPR_DATA_DIR: join(dir, 'agent'),
      SSPR_LOG_LEVEL: 'silent',
      SSPR_SERVER_URL: url,
      SSPR_SERVER_REGISTRATION_TOKEN: registration.token,
      SSPR_DIRECTORY_KIND: directory.kind,
      SSPR_DIRECTORY_URLS: directory.url,
      SSPR_DIRECTORY_BIND_DN: directory.bindDn,
      SSPR_DIRECTORY_BIND_PASSWORD: directory.bindPassword,
      SSPR_DIRECTORY_BASE_DN: directory.baseDn,
      SSPR_DIRECTORY_SCOPE: directory.scope.join(';'),
      SSPR_DIRECTORY_TLS_CA: directory.caFile,
    },
    cwd: dir,
  });
  const agent = await createAgentRuntime(agentConfig, {
    makeDirectory: createDirectoryFromConfig,
    log: silentLog,
  });
  await agent.agent.connected();
  const { token } = await createAdminToken(server.services, 'hybrid');
  const request: Hybrid['request'] = (method, path, options = {}) =>
    server.app.inject({
      method,
      url: path,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.cookie === undefined ? {} : { cookie: `sspr_session=${options.cookie}` }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      },
      ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
    });
  // Wait until the agent reported its directory reachable (hello) and writeback is ready.
  for (let i = 0; i < 50 && !(await server.agentLink.status()).ready; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const status = await server.agentLink.status();
  expect(status.reason, JSON.stringify(status.agents.map((a) => a.rights))).toBeNull();
  return {
    server,
    agent,
    url,
    adminToken: token,
    request,
    close: async () => {
      await agent.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
