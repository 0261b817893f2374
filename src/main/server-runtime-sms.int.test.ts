/**
 * `sms.provider: webhook` wired end to end: the production runtime, configured from the
 * environment like `sspr serve`, registers a phone through the API and the code reaches a real
 * HTTP webhook on loopback as `{to, channel, text, code}` with the bearer token read from a file.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { createCloudUser } from '../services/admin-service.js';
import { updatePolicy } from '../services/policy-service.js';
import { createServerRuntime, type ServerRuntime } from './server-runtime.js';

interface Hook {
  readonly authorization: string | undefined;
  readonly body: { to: string; channel: string; text: string; code?: string };
}

let dir: string;
let webhook: Server;
let runtime: ServerRuntime | undefined;
const hooks: Hook[] = [];
let answer = 200;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sspr-sms-runtime-'));
  webhook = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      hooks.push({
        authorization: request.headers.authorization,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Hook['body'],
      });
      response.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  hooks.length = 0;
  answer = 200;
  webhook.closeAllConnections();
  await new Promise<void>((resolve) =>
    webhook.close(() => {
      resolve();
    }),
  );
  await rm(dir, { recursive: true, force: true });
});

async function start(provider: 'webhook' | 'none'): Promise<ServerRuntime> {
  await writeFile(join(dir, 'sms-token'), 'relay-token-123\n');
  const { port } = webhook.address() as AddressInfo;
  const config = loadConfig({
    env: {
      SSPR_DATA_DIR: join(dir, 'data'),
      SSPR_STORE_URL: `sqlite:${join(dir, 'data', 'sspr.db')}`,
      SSPR_LOG_LEVEL: 'silent',
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
      SSPR_ORGANIZATION_NAME: 'Contoso',
      SSPR_SMS_PROVIDER: provider,
      SSPR_SMS_WEBHOOK_URL: `http://127.0.0.1:${String(port)}/sms`,
      SSPR_SMS_WEBHOOK_TOKEN_FILE: 'sms-token',
      SSPR_SMS_WEBHOOK_TIMEOUT_MS: '2000',
    },
    cwd: dir,
  });
  runtime = await createServerRuntime(config, { timingFloorMs: 0 });
  const s = runtime.services;
  const ctx = { correlationId: 'test', ip: null, userAgent: 'test' };
  await updatePolicy(
    s,
    ctx,
    { id: null, upn: 'test' },
    { methods: { sms: true, voice: true, officePhone: true } },
  );
  await createCloudUser(
    s,
    ctx,
    { id: null, upn: 'test' },
    { userPrincipalName: 'ann@contoso.com', displayName: 'Ann', password: 'Harbor-Kite-4821!' },
  );
  return runtime;
}

async function signedIn(r: ServerRuntime): Promise<string> {
  const res = await r.app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ userId: 'ann@contoso.com', password: 'Harbor-Kite-4821!' }),
  });
  expect(res.statusCode, res.body).toBe(200);
  const cookie = res.cookies.find((c) => c.name === 'sspr_session')?.value;
  if (cookie === undefined) throw new Error('no session cookie');
  return cookie;
}

const post = (r: ServerRuntime, url: string, cookie: string, body: unknown) =>
  r.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', cookie: `sspr_session=${cookie}` },
    payload: JSON.stringify(body),
  });

describe('sms.provider: webhook', () => {
  it('sends the registration code to the webhook and registers the phone with it', async () => {
    const r = await start('webhook');
    const cookie = await signedIn(r);
    const started = await post(r, '/api/v1/me/methods/phone', cookie, {
      type: 'mobile',
      phoneNumber: '+48601234567',
    });
    expect(started.statusCode, started.body).toBe(201);
    expect(hooks).toHaveLength(1);
    const [hook] = hooks;
    expect(hook?.authorization).toBe('Bearer relay-token-123');
    expect(hook?.body).toMatchObject({ to: '+48 601234567', channel: 'sms' });
    expect(hook?.body.code).toMatch(/^\d{8}$/);
    expect(hook?.body.text).toContain(hook?.body.code);
    expect(hook?.body.text).toContain('Contoso');

    const verified = await post(r, '/api/v1/me/methods/phone/verify', cookie, {
      code: hook?.body.code,
    });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json<{ methods: { method: string }[] }>().methods.map((m) => m.method)).toEqual(
      ['sms', 'voice'],
    );
  });

  it('answers SSPR_8002 when the webhook refuses', async () => {
    const r = await start('webhook');
    answer = 503;
    const res = await post(r, '/api/v1/me/methods/phone', await signedIn(r), {
      type: 'office',
      phoneNumber: '+1 4255550100',
    });
    expect(res.statusCode, res.body).toBe(502);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('SSPR_8002');
    expect(hooks.map((h) => h.body.channel)).toEqual(['voice']);
  });

  it('turns the phone methods off with provider none (SSPR_3506), calling nothing', async () => {
    const r = await start('none');
    const res = await post(r, '/api/v1/me/methods/phone', await signedIn(r), {
      type: 'mobile',
      phoneNumber: '+48 601234567',
    });
    expect(res.statusCode).toBe(501);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('SSPR_3506');
    expect(hooks).toEqual([]);
  });
});
