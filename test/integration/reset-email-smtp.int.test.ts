/**
 * The production composition root (`createServerRuntime`) with the real SMTP mailer, delivering to
 * a real SMTP server on loopback: the reset code is read from the mail that arrived, as a user would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createServerRuntime, type ServerRuntime } from '../../src/main/server-runtime.js';
import { createAdminToken } from '../../src/services/admin-service.js';
import { parseMessage, startSmtpSink, type SmtpSink } from '../fixtures/smtp-sink.js';
import { closedPort } from '../support/net.js';

const FROM = 'sspr@contoso.test';
const UPN = 'megan.bowen@contoso.test';
const ADDRESS = 'megan@example.org';
const OLD_PASSWORD = 'Xk9#mq2!Lp4v';
const NEW_PASSWORD = 'Velvet-Lamp-93!x';

interface FlowBody {
  flowId: string;
  state: string;
  gatesRequired: number;
  methods: { method: string; hint: string }[];
}

let dir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sspr-int-smtp-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** The server as `sspr serve` builds it, with mail going to 127.0.0.1:`port`. */
async function startRuntime(port: number): Promise<{ runtime: ServerRuntime; token: string }> {
  const config = loadConfig({
    env: {
      SSPR_DATA_DIR: dir,
      SSPR_MAIL_SMTP_HOST: '127.0.0.1',
      SSPR_MAIL_SMTP_PORT: String(port),
      SSPR_MAIL_SMTP_FROM: FROM,
      SSPR_CAPTCHA_ENABLED: 'false',
      SSPR_LOG_LEVEL: 'silent',
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
    },
    cwd: dir,
  });
  const runtime = await createServerRuntime(config, { timingFloorMs: 0 });
  cleanups.push(() => runtime.close());
  const { token } = await createAdminToken(runtime.services, 'integration');
  return { runtime, token };
}

function request(
  runtime: ServerRuntime,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  options: { body?: unknown; cookie?: string; token?: string } = {},
): Promise<LightMyRequestResponse> {
  return runtime.app.inject({
    method,
    url,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.cookie === undefined ? {} : { cookie: `sspr_session=${options.cookie}` }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
  });
}

const errorCode = (res: LightMyRequestResponse): string | undefined =>
  res.json<{ error?: { code?: string } }>().error?.code;

/** Enables SSPR for everyone and creates a cloud user whose email address is on file. */
async function userWithEmail(runtime: ServerRuntime, token: string): Promise<void> {
  const policy = await request(runtime, 'PATCH', '/api/v1/admin/policy', {
    token,
    body: { enabledFor: 'all' },
  });
  expect(policy.statusCode, policy.body).toBe(200);
  const user = await request(runtime, 'POST', '/api/v1/admin/users', {
    token,
    body: {
      userPrincipalName: UPN,
      displayName: 'Megan Bowen',
      password: OLD_PASSWORD,
      email: ADDRESS,
    },
  });
  expect(user.statusCode, user.body).toBe(201);
}

async function startEmailFlow(runtime: ServerRuntime): Promise<FlowBody> {
  const start = await request(runtime, 'POST', '/api/v1/sspr/flows', { body: { userId: UPN } });
  expect(start.statusCode, start.body).toBe(201);
  const flow = start.json<FlowBody>();
  expect(flow.methods.map((m) => m.method)).toEqual(['email']);
  return flow;
}

/** The server mailing to 127.0.0.1:`port`, a user with an email, and that user's flow started. */
async function startWithEmailFlow(
  port: number,
): Promise<{ runtime: ServerRuntime; token: string; flow: FlowBody }> {
  const { runtime, token } = await startRuntime(port);
  await userWithEmail(runtime, token);
  const flow = await startEmailFlow(runtime);
  return { runtime, token, flow };
}

/** Asks the server to mail the flow's email code. */
function challengeEmail(runtime: ServerRuntime, flowId: string): Promise<LightMyRequestResponse> {
  return request(runtime, 'POST', `/api/v1/sspr/flows/${flowId}/challenge`, {
    body: { method: 'email' },
  });
}

function codeIn(text: string): string {
  const code = /\b(\d{8})\b/.exec(text)?.[1];
  if (code === undefined) throw new Error(`no 8-digit code in the mail:\n${text}`);
  return code;
}

/** An SMTP relay that reads every message in full and then refuses it (554 after DATA). */
async function startRejectingRelay(): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    closeTimeout: 1_000,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        seen.push(Buffer.concat(chunks).toString('utf8'));
        callback(Object.assign(new Error('Message refused by policy'), { responseCode: 554 }));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  return { port: (server.server.address() as net.AddressInfo).port, seen };
}

/** True when the flow has no email code that a verify could still match. */
async function noUsableEmailCode(runtime: ServerRuntime, flowId: string): Promise<boolean> {
  const flow = await runtime.store.flows.findById(flowId);
  const codeId = flow?.context.challenges.email?.codeId;
  if (codeId === undefined) return true;
  const code = await runtime.store.codes.findById(codeId);
  return code === null || code.usedAt !== null;
}

describe('self-service reset with the code mailed over SMTP', () => {
  let sink: SmtpSink;
  beforeEach(async () => {
    sink = await startSmtpSink();
    cleanups.push(() => sink.stop());
  });

  it('mails the code, accepts it, resets, notifies the user; the new password signs in', async () => {
    const { runtime, flow } = await startWithEmailFlow(sink.port);

    const challenge = await challengeEmail(runtime, flow.flowId);
    expect(challenge.statusCode, challenge.body).toBe(200);
    const mail = await sink.waitFor((m) => m.to.includes(ADDRESS) && /\b\d{8}\b/.test(m.text));
    expect(mail.from).toBe(FROM);
    expect(mail.raw).toMatch(new RegExp(`^From: .*${FROM}`, 'm'));
    expect(mail.subject).toMatch(/verification code/i);
    const code = codeIn(mail.text);

    const wrong = await request(runtime, 'POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'email', code: code === '00000000' ? '11111111' : '00000000' },
    });
    expect(errorCode(wrong)).toBe('SSPR_3004');
    const verify = await request(runtime, 'POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'email', code },
    });
    expect(verify.statusCode, verify.body).toBe(200);
    expect(verify.json<FlowBody>().state).toBe('new_password');

    const reset = await request(runtime, 'POST', `/api/v1/sspr/flows/${flow.flowId}/reset`, {
      body: { newPassword: NEW_PASSWORD },
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json<FlowBody>().state).toBe('completed');

    const notice = await sink.waitFor(
      (m) => m.to.includes(ADDRESS) && m.subject.includes('password was reset'),
    );
    expect(notice.from).toBe(FROM);
    expect(notice.text).toContain(UPN);
    expect(sink.messages.filter((m) => m.to.includes(ADDRESS))).toHaveLength(2);

    const signIn = await request(runtime, 'POST', '/api/v1/auth/sign-in', {
      body: { userId: UPN, password: NEW_PASSWORD },
    });
    expect(signIn.statusCode, signIn.body).toBe(200);
    expect(signIn.json<{ userPrincipalName: string }>().userPrincipalName).toBe(UPN);
    expect(signIn.cookies.some((c) => c.name === 'sspr_session' && c.value !== '')).toBe(true);
    const old = await request(runtime, 'POST', '/api/v1/auth/sign-in', {
      body: { userId: UPN, password: OLD_PASSWORD },
    });
    expect(errorCode(old)).toBe('SSPR_2003');

    // The mailed code was consumed with the reset.
    const replay = await request(runtime, 'POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'email', code },
    });
    expect(replay.statusCode).toBeGreaterThanOrEqual(400);
  });
});

describe('SMTP delivery failure', () => {
  it('answers like a success when the relay cannot be reached (no enumeration), leaving no usable code', async () => {
    const { runtime, token, flow } = await startWithEmailFlow(await closedPort());

    const challenge = await challengeEmail(runtime, flow.flowId);
    // An error here would tell a real account (mail attempted) from an unknown one (nothing sent).
    expect(challenge.statusCode, challenge.body).toBe(200);
    expect(await noUsableEmailCode(runtime, flow.flowId)).toBe(true);
    // The failure is in the audit log for the admin.
    const audit = await request(runtime, 'GET', '/api/v1/admin/audit?result=failure', { token });
    expect(audit.body).toContain('Could not deliver the email verification code');
    // The flow itself is still there: the user may try again or pick another method.
    const state = await request(runtime, 'GET', `/api/v1/sspr/flows/${flow.flowId}`);
    expect(state.statusCode, state.body).toBe(200);
    expect(state.json<FlowBody>().state).toBe('choose_method');
  });

  it('does not honour a code whose mail the relay refused', async () => {
    const relay = await startRejectingRelay();
    const { runtime, flow } = await startWithEmailFlow(relay.port);

    const challenge = await challengeEmail(runtime, flow.flowId);
    expect(challenge.statusCode, challenge.body).toBe(200);
    // The relay saw the code before refusing the message; the delivery failed, so that code must
    // not open the flow.
    expect(relay.seen).toHaveLength(1);
    const leaked = codeIn(parseMessage(relay.seen[0] ?? '').text);
    const verify = await request(runtime, 'POST', `/api/v1/sspr/flows/${flow.flowId}/verify`, {
      body: { method: 'email', code: leaked },
    });
    expect(verify.statusCode, verify.body).toBeGreaterThanOrEqual(400);
    expect(await noUsableEmailCode(runtime, flow.flowId)).toBe(true);
  });
});

describe('SMTP delivery failure for a signed-in user', () => {
  it('answers 502 SSPR_8001 when registering an email, and the mailed code is void', async () => {
    const relay = await startRejectingRelay();
    const { runtime, token } = await startRuntime(relay.port);
    await userWithEmail(runtime, token);
    const signIn = await request(runtime, 'POST', '/api/v1/auth/sign-in', {
      body: { userId: UPN, password: OLD_PASSWORD },
    });
    expect(signIn.statusCode, signIn.body).toBe(200);
    const cookie = signIn.cookies.find((c) => c.name === 'sspr_session')?.value ?? '';
    const start = await request(runtime, 'POST', '/api/v1/me/methods/email', {
      cookie,
      body: { email: 'new-address@contoso.test' },
    });
    expect(start.statusCode, start.body).toBe(502);
    expect(errorCode(start)).toBe('SSPR_8001');
    const leaked = codeIn(parseMessage(relay.seen[0] ?? '').text);
    const verify = await request(runtime, 'POST', '/api/v1/me/methods/email/verify', {
      cookie,
      body: { code: leaked },
    });
    expect(verify.statusCode, verify.body).toBeGreaterThanOrEqual(400);
    expect(errorCode(verify)).toBe('SSPR_3502');
  });
});
