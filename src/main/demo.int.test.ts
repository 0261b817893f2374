/**
 * The demo as `sspr demo` builds it: the production runtime with SSPR_DEMO=true on a SQLite file,
 * seeded twice, then used the way the banner tells a visitor to use it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { totpCodeAt } from '../domain/methods/totp.js';
import { demoUsers, printDemoBanner, seedDemo } from './demo.js';
import { createServerRuntime, type ServerRuntime } from './server-runtime.js';

const NEW_PASSWORD = 'Lantern-Reef-5082!';
const URL_BASE = 'http://127.0.0.1:8080';

interface FlowBody {
  flowId: string;
  state: string;
  methods: { method: string; hint: string }[];
}

let dir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sspr-demo-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

function demoConfig(demo: boolean): Config {
  return loadConfig({
    env: {
      SSPR_DATA_DIR: join(dir, 'data'),
      SSPR_STORE_URL: `sqlite:${join(dir, 'data', 'demo.db')}`,
      SSPR_DEMO: String(demo),
      SSPR_CAPTCHA_ENABLED: 'false',
      SSPR_LOG_LEVEL: 'silent',
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
    },
    cwd: dir,
  });
}

async function start(demo = true): Promise<ServerRuntime> {
  const runtime = await createServerRuntime(demoConfig(demo), { timingFloorMs: 0 });
  let open = true;
  const close = async (): Promise<void> => {
    if (!open) return;
    open = false;
    await runtime.close();
  };
  cleanups.push(close);
  return { ...runtime, close };
}

function post(runtime: ServerRuntime, url: string, body: unknown): Promise<LightMyRequestResponse> {
  return runtime.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

/** The banner as printed, and what a visitor reads off it. */
async function banner(runtime: ServerRuntime, secrets: Map<string, string>) {
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: () => undefined, env: {}, cwd: dir };
  await printDemoBanner(runtime, demoConfig(true), URL_BASE, secrets, io);
  const text = lines.join('\n');
  const secretOf = (upn: string): string => {
    const match = new RegExp(`TOTP secret of ${upn.replace(/\./g, '\\.')}: ([A-Z2-7]+)`).exec(text);
    if (match?.[1] === undefined)
      throw new Error(`no TOTP secret for ${upn} in the banner:\n${text}`);
    return match[1];
  };
  const token = /Admin token: +(sspr_at_\S+)/.exec(text)?.[1];
  if (token === undefined) throw new Error(`no admin token in the banner:\n${text}`);
  return { text, secretOf, token };
}

async function snapshot(runtime: ServerRuntime) {
  const users = [];
  for (const d of demoUsers) {
    const user = await runtime.store.users.findByUpn(d.upn);
    expect(user, d.upn).not.toBeNull();
    const methods = user === null ? [] : await runtime.store.methods.listByUser(user.id);
    users.push({
      upn: d.upn,
      id: user?.id,
      methods: methods.map((m) => `${m.kind}:${m.status}`).sort(),
    });
  }
  return { users, count: await runtime.store.users.count() };
}

async function resetWith(
  runtime: ServerRuntime,
  upn: string,
  prove: (flow: FlowBody) => Promise<{ method: string; code: string }>,
): Promise<void> {
  const started = await post(runtime, '/api/v1/sspr/flows', { userId: upn });
  expect(started.statusCode, started.body).toBe(201);
  const flow = started.json<FlowBody>();
  const proof = await prove(flow);
  const verify = await post(runtime, `/api/v1/sspr/flows/${flow.flowId}/verify`, proof);
  expect(verify.statusCode, verify.body).toBe(200);
  expect(verify.json<FlowBody>().state).toBe('new_password');
  const reset = await post(runtime, `/api/v1/sspr/flows/${flow.flowId}/reset`, {
    newPassword: NEW_PASSWORD,
  });
  expect(reset.statusCode, reset.body).toBe(200);
  const signIn = await post(runtime, '/api/v1/auth/sign-in', {
    userId: upn,
    password: NEW_PASSWORD,
  });
  expect(signIn.statusCode, signIn.body).toBe(200);
}

describe('sspr demo', () => {
  it('seeds idempotently: the same users, methods and TOTP secrets on a second start', async () => {
    const first = await start();
    const secrets = await seedDemo(first);
    expect([...secrets.keys()].sort()).toEqual(
      demoUsers
        .filter((d) => d.totp === true)
        .map((d) => d.upn)
        .sort(),
    );
    const before = await snapshot(first);
    expect(before.count).toBe(demoUsers.length);
    expect(before.users.find((u) => u.upn === 'adele.vance@contoso.com')?.methods).toEqual([
      'email:active',
    ]);
    expect(before.users.find((u) => u.upn === 'alex.wilber@contoso.com')?.methods).toEqual([
      'totp:active',
    ]);
    expect(before.users.find((u) => u.upn === 'lynne.robbins@contoso.com')?.methods).toEqual([
      'sms:active',
      'voice:active',
    ]);
    await first.close();

    const second = await start();
    const again = await seedDemo(second);
    expect(again).toEqual(secrets);
    expect(await snapshot(second)).toEqual(before);
    // The banner shows the same secret the second time.
    const { secretOf } = await banner(second, again);
    expect(secretOf('alex.wilber@contoso.com')).toBe(secrets.get('alex.wilber@contoso.com'));
  });

  it('resets Alex with the printed secret, Adele and Lynne (text) with codes from the dev outbox', async () => {
    const runtime = await start();
    const printed = await banner(runtime, await seedDemo(runtime));
    expect(printed.text).toContain(`${URL_BASE}/dev/outbox`);
    // The pages the banner names are served (the web build runs at `npm ci`).
    for (const label of ['Portal', 'Account', 'Admin center']) {
      const url = new RegExp(`${label}: +(\\S+)`).exec(printed.text)?.[1] ?? '';
      expect(url.startsWith(URL_BASE), `${label} in the banner`).toBe(true);
      const page = await runtime.app.inject({ method: 'GET', url: url.slice(URL_BASE.length) });
      expect(page.statusCode, label).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
    }

    await resetWith(runtime, 'alex.wilber@contoso.com', (flow) => {
      expect(flow.methods.map((m) => m.method)).toEqual(['totp']);
      const secret = printed.secretOf('alex.wilber@contoso.com');
      return Promise.resolve({ method: 'totp', code: totpCodeAt(secret, new Date()) });
    });

    await resetWith(runtime, 'adele.vance@contoso.com', async (flow) => {
      expect(flow.methods.map((m) => m.method)).toEqual(['email']);
      const sent = await post(runtime, `/api/v1/sspr/flows/${flow.flowId}/challenge`, {
        method: 'email',
      });
      expect(sent.statusCode, sent.body).toBe(200);
      const outbox = await runtime.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' });
      expect(outbox.statusCode).toBe(200);
      const mail = outbox
        .json<{ messages: { to: string; text: string }[] }>()
        .messages.filter((m) => m.to === 'adele@example.org');
      expect(mail).toHaveLength(1);
      const code = /\b(\d{8})\b/.exec(mail[0]?.text ?? '')?.[1];
      expect(code).toBeDefined();
      return { method: 'email', code: code ?? '' };
    });

    await resetWith(runtime, 'lynne.robbins@contoso.com', async (flow) => {
      expect(flow.methods).toEqual([
        { method: 'sms', hint: '+1 •••••••• 23' },
        { method: 'voice', hint: '+1 •••••••• 23' },
      ]);
      const sent = await post(runtime, `/api/v1/sspr/flows/${flow.flowId}/challenge`, {
        method: 'sms',
      });
      expect(sent.statusCode, sent.body).toBe(200);
      const outbox = await runtime.app.inject({ method: 'GET', url: '/api/v1/dev/outbox' });
      const texts = outbox
        .json<{ messages: { to: string; channel: string; text: string }[] }>()
        .messages.filter((m) => m.to === '+1 4255550123');
      expect(texts.map((m) => m.channel)).toEqual(['sms']);
      const code = /\b(\d{8})\b/.exec(texts[0]?.text ?? '')?.[1];
      expect(code).toBeDefined();
      return { method: 'sms', code: code ?? '' };
    });

    // The outbox page shows the notification too, and the audit has the three resets.
    const page = await runtime.app.inject({ method: 'GET', url: '/dev/outbox' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('adele@example.org');
    expect(runtime.outbox?.list().some((m) => m.subject?.includes('password was reset'))).toBe(
      true,
    );
    const audit = await runtime.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit?activity=${encodeURIComponent('Reset password (self-service)')}`,
      headers: { authorization: `Bearer ${printed.token}` },
    });
    expect(audit.statusCode, audit.body).toBe(200);
    const targets = audit.json<{ items: { targetUpn: string }[] }>().items.map((e) => e.targetUpn);
    expect(targets.sort()).toEqual([
      'adele.vance@contoso.com',
      'alex.wilber@contoso.com',
      'lynne.robbins@contoso.com',
    ]);
  });

  it('has no dev outbox when demo mode is off', async () => {
    const runtime = await start(false);
    expect(runtime.outbox).toBeUndefined();
    for (const url of ['/dev/outbox', '/api/v1/dev/outbox']) {
      const res = await runtime.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
    }
  });
});
