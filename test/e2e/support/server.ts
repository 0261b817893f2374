/**
 * The product as `sspr demo` runs it, for the browser tests: the production runtime on a free
 * loopback port, a temporary data directory (SQLite), the proof-of-work CAPTCHA on and the demo
 * users seeded (TOTP secrets returned, mail kept in the development outbox).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevOutbox, OutboxChannel } from '../../../src/adapters/mail/dev-outbox.js';
import SqliteDatabase from 'better-sqlite3';
import { loadConfig } from '../../../src/config/load.js';
import { sqlitePath } from '../../../src/config/schema.js';
import { seedDemo } from '../../../src/main/demo.js';
import { createAdminToken } from '../../../src/services/admin-service.js';
import { createServerRuntime, listen } from '../../../src/main/server-runtime.js';
import { startHybrid, type DirectoryConnection, type Hybrid } from '../../support/hybrid.js';

export interface E2eServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** TOTP secret (base32) of each demo user with an authenticator app, by UPN. */
  readonly secrets: ReadonlyMap<string, string>;
  /** An admin API token, for tests that change the policy. */
  readonly adminToken: string;
  /** Every mail and SMS the server "sent". */
  readonly outbox: DevOutbox;
  /**
   * Pretends the user's methods were registered (and last confirmed) `days` ago, as if time had
   * passed — for the "Is your security info still right?" re-confirmation prompt.
   */
  ageMethods(upn: string, days: number): void;
  close(): Promise<void>;
}

export async function startServer(): Promise<E2eServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sspr-e2e-'));
  const config = loadConfig({
    env: {
      SSPR_DATA_DIR: join(dir, 'data'),
      SSPR_LISTEN: '127.0.0.1:0',
      SSPR_CAPTCHA_ENABLED: 'true',
      SSPR_LOG_LEVEL: 'silent',
      SSPR_DEMO: 'true',
    },
    cwd: dir,
  });
  const runtime = await createServerRuntime(config);
  try {
    const address = await listen(runtime, config);
    const secrets = await seedDemo(runtime);
    if (runtime.outbox === undefined) throw new Error('demo mode should provide a dev outbox');
    const url = address.replace('://localhost:', '://127.0.0.1:').replace(/\/$/, '');
    const { token: adminToken } = await createAdminToken(runtime.services, 'e2e');
    return {
      url,
      secrets,
      adminToken,
      outbox: runtime.outbox,
      ageMethods: (upn, days) => {
        const file = sqlitePath(config.store.url);
        if (file === undefined || file === ':memory:') throw new Error('not a SQLite file store');
        const db = new SqliteDatabase(file);
        try {
          const user = db.prepare('SELECT id FROM users WHERE lower(upn) = lower(?)').get(upn) as
            { id: string } | undefined;
          if (user === undefined) throw new Error(`no user ${upn}`);
          const past = new Date(Date.now() - days * 24 * 60 * 60_000).toISOString();
          db.prepare(
            'UPDATE auth_methods SET created_at = ?, updated_at = ? WHERE user_id = ?',
          ).run(past, past, user.id);
          db.prepare('DELETE FROM settings WHERE key = ?').run(`methods-confirmed:${user.id}`);
        } finally {
          db.close();
        }
      },
      close: async () => {
        await runtime.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await runtime.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface CodeWait {
  /** Only what was sent at or after this time (ms since the epoch). */
  after?: number;
  timeoutMs?: number;
}

/**
 * The newest 8-digit code sent to `to` (a mail address, or a phone number for a code the
 * phone-method registration sent), waiting up to `timeoutMs` for it.
 */
export function waitForMailedCode(
  outbox: DevOutbox,
  to: string,
  wait: CodeWait = {},
): Promise<string> {
  return waitForCode(outbox, to, undefined, wait);
}

/** The newest code texted (SMS) to the phone number `to`, e.g. '+1 4255550123'. */
export function waitForTextedCode(
  outbox: DevOutbox,
  to: string,
  wait: CodeWait = {},
): Promise<string> {
  return waitForCode(outbox, to, 'sms', wait);
}

async function waitForCode(
  outbox: DevOutbox,
  to: string,
  channel: OutboxChannel | undefined,
  { after = 0, timeoutMs = 10_000 }: CodeWait,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = outbox
      .list()
      .find(
        (m) =>
          m.to === to &&
          (channel === undefined || m.channel === channel) &&
          Date.parse(m.sentAt) >= after &&
          /\b\d{8}\b/.test(m.text),
      );
    const code = mail && /\b(\d{8})\b/.exec(mail.text)?.[1];
    if (code) return code;
    if (Date.now() > deadline) throw new Error(`no code was mailed to ${to}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Signs in through the API; answers the status, the session cookie (name=value) and the body. */
export async function apiSignIn(
  baseUrl: string,
  userId: string,
  password: string,
): Promise<{ status: number; cookie: string; body: unknown }> {
  const response = await fetch(`${baseUrl}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, password }),
  });
  const cookie =
    response.headers
      .getSetCookie()
      .find((c) => c.startsWith('sspr_session='))
      ?.split(';')[0] ?? '';
  return { status: response.status, cookie, body: await response.json() };
}

/** Calls the API with the session cookie (or an admin token); answers status and JSON body. */
export async function apiCall(
  baseUrl: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  auth: { cookie?: string; token?: string },
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(auth.cookie === undefined ? {} : { cookie: auth.cookie }),
      ...(auth.token === undefined ? {} : { authorization: `Bearer ${auth.token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : null };
}

/** PATCHes the SSPR policy (deep merge) with the admin token; throws unless it answers 200. */
export async function patchPolicy(server: E2eServer, patch: unknown): Promise<void> {
  const answer = await apiCall(
    server.url,
    'PATCH',
    '/admin/policy',
    { token: server.adminToken },
    patch,
  );
  if (answer.status !== 200)
    throw new Error(
      `PATCH /admin/policy → ${String(answer.status)} ${JSON.stringify(answer.body)}`,
    );
}

export interface HybridE2eServer {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly adminToken: string;
  /** The server + agent pair (test/support/hybrid.ts), for API calls through `inject`. */
  readonly hybrid: Hybrid;
  close(): Promise<void>;
}

/**
 * A hybrid deployment for the browser tests: the production server on loopback with the
 * proof-of-work CAPTCHA on, and the production agent (real LDAP adapter) dialled in over a real
 * WebSocket to a real directory — what directory users (unlock, writeback) need.
 */
export async function startHybridServer(directory: DirectoryConnection): Promise<HybridE2eServer> {
  const hybrid = await startHybrid(directory, {
    serverEnv: { SSPR_CAPTCHA_ENABLED: 'true' },
  });
  return {
    url: hybrid.url.replace(/\/$/, ''),
    adminToken: hybrid.adminToken,
    hybrid,
    close: () => hybrid.close(),
  };
}
