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
import { totpCodeAt } from '../../src/domain/methods/totp.js';
import type { OpenLdapFacts, SambaFacts } from './directories.js';

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

/** Several hybrids started by one file, closed together in its `afterAll`. */
export interface HybridPool {
  start(directory: DirectoryConnection, options?: HybridOptions): Promise<Hybrid>;
  closeAll(): Promise<void>;
}

export function hybridPool(): HybridPool {
  const started: Hybrid[] = [];
  return {
    start: (directory, options) =>
      startHybrid(directory, options).then((hybrid) => {
        started.push(hybrid);
        return hybrid;
      }),
    closeAll: async () => {
      for (const hybrid of started) await hybrid.close();
    },
  };
}

/** The agent's connection to the test slapd: cn=sspr-svc over LDAPS, ou=staff and ou=groups. */
export function openLdapConnection(f: OpenLdapFacts): DirectoryConnection {
  return {
    kind: 'openldap',
    url: f.ldapsUrl,
    bindDn: f.serviceDn,
    bindPassword: f.servicePassword,
    baseDn: f.baseDn,
    scope: [f.ous.staff, f.ous.groups],
    caFile: f.caFile,
  };
}

/** The agent's connection to the test Samba DC: the delegated svc-sspr over LDAPS, OU=Staff. */
export function sambaConnection(f: SambaFacts): DirectoryConnection {
  return {
    kind: 'ad',
    url: f.ldapsUrl,
    bindDn: f.serviceDn,
    bindPassword: f.servicePassword,
    baseDn: f.baseDn,
    // The SSPR groups live in OU=Staff (SSPR-Enabled-Users) and OU=Finance,OU=Staff.
    scope: [f.ous.staff],
    caFile: f.caFile,
  };
}

/** What `POST /admin/sync` answers. */
export interface SyncSummary {
  full: boolean;
  users: { added: number; updated: number; deleted: number };
  groups: { added: number; updated: number; deleted: number };
  error: { code: string; message: string } | null;
  details: {
    invalidContacts: number;
    refusedDeletes: { users: number; groups: number } | null;
    guardOverriddenBy: string | null;
  };
}

/** The server's copy of a user, as `GET /admin/users/{upn}` shows it. */
export interface AdminUserView {
  id: string;
  userPrincipalName: string;
  source: string;
  accountEnabled: boolean;
  displayName: string;
  email: string | null;
  mobilePhone: string | null;
  officePhone: string | null;
}

/** Runs a sync through `POST /admin/sync` and answers its summary. */
export async function sync(
  on: Hybrid,
  body: { full?: boolean; allowDeletes?: boolean } = {},
): Promise<SyncSummary> {
  const res = await on.request('POST', '/api/v1/admin/sync', { token: on.adminToken, body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<SyncSummary>();
}

/** The server's copy of a user (GET /admin/users/{upn}), or null when it has none. */
export async function userOn(on: Hybrid, upn: string): Promise<AdminUserView | null> {
  const res = await on.request('GET', `/api/v1/admin/users/${encodeURIComponent(upn)}`, {
    token: on.adminToken,
  });
  if (res.statusCode === 404) return null;
  expect(res.statusCode, res.body).toBe(200);
  return res.json<AdminUserView>();
}

/**
 * SSPR for everyone (unlock without reset allowed), then a full sync; answers the sync's response
 * (its status already checked) for the caller to inspect.
 */
export async function enableAllAndSync(h: Hybrid): Promise<LightMyRequestResponse> {
  const policy = await h.request('PATCH', '/api/v1/admin/policy', {
    token: h.adminToken,
    body: { enabledFor: 'all', onPremises: { allowUnlockWithoutReset: true } },
  });
  expect(policy.statusCode, policy.body).toBe(200);
  const synced = await h.request('POST', '/api/v1/admin/sync', {
    token: h.adminToken,
    body: { full: true },
  });
  expect(synced.statusCode, synced.body).toBe(200);
  return synced;
}

/** Signs a user in with a password; answers the session cookie's value. */
export async function signIn(h: Hybrid, upn: string, password: string): Promise<string> {
  const res = await h.request('POST', '/api/v1/auth/sign-in', { body: { userId: upn, password } });
  expect(res.statusCode, res.body).toBe(200);
  return res.cookies.find((c) => c.name === 'sspr_session')?.value ?? '';
}

/** Registers an authenticator for a directory user (signed in with the directory password). */
export async function registerTotp(h: Hybrid, upn: string, password: string): Promise<string> {
  const cookie = await signIn(h, upn, password);
  const start = await h.request('POST', '/api/v1/me/methods/totp', { cookie });
  expect(start.statusCode, start.body).toBe(201);
  const { secret } = start.json<{ secret: string }>();
  const verify = await h.request('POST', '/api/v1/me/methods/totp/verify', {
    cookie,
    body: { code: totpCodeAt(secret, new Date()) },
  });
  expect(verify.statusCode, verify.body).toBe(200);
  return secret;
}

/** A flow past its gate: ready for a new password (or an unlock). */
export interface PassedGate {
  flowId: string;
  state: string;
  allowUnlock: boolean;
  passwordPolicy: { id: string; params?: Record<string, unknown> }[];
}

/** Starts a flow and passes the TOTP gate with the next step's code (never reused). */
export async function passGate(h: Hybrid, upn: string, secret: string): Promise<PassedGate> {
  const start = await h.request('POST', '/api/v1/sspr/flows', { body: { userId: upn } });
  expect(start.statusCode, start.body).toBe(201);
  const { flowId } = start.json<{ flowId: string }>();
  const verify = await h.request('POST', `/api/v1/sspr/flows/${flowId}/verify`, {
    body: { method: 'totp', code: totpCodeAt(secret, new Date(Date.now() + 30_000)) },
  });
  expect(verify.statusCode, verify.body).toBe(200);
  return verify.json<PassedGate>();
}
