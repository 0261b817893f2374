import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isSsprError, type SsprError } from '../../domain/errors/sspr-error.js';
import { createWebhookSmsSender, webhookUrlProblem } from './webhook-sms-sender.js';

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

let server: Server | undefined;
const received: Received[] = [];

/** A real HTTP server on loopback; `answer` decides what it does with each request. */
async function startWebhook(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<string> {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${String(port)}/hooks/sms`;
}

afterEach(async () => {
  received.length = 0;
  const s = server;
  server = undefined;
  if (s !== undefined) {
    s.closeAllConnections();
    await new Promise<void>((resolve) =>
      s.close(() => {
        resolve();
      }),
    );
  }
});

async function failureOf(promise: Promise<unknown>): Promise<SsprError> {
  try {
    await promise;
  } catch (error) {
    if (isSsprError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const message = {
  to: '+48 601234567',
  channel: 'sms',
  text: 'Your Contoso code is 12345678',
  code: '12345678',
} as const;

describe('createWebhookSmsSender', () => {
  it('POSTs {to, channel, text, code} as JSON with the bearer token, and accepts a 2xx', async () => {
    const url = await startWebhook((_req, res) => res.writeHead(202).end('{"queued":true}'));
    const sender = createWebhookSmsSender({ url, token: 's3cr3t-token', timeoutMs: 2000 });
    await sender.send(message);
    await sender.send({ to: '+1 4255550100', channel: 'voice', text: 'Call text' });

    expect(received).toHaveLength(2);
    const [first, second] = received;
    expect(first?.method).toBe('POST');
    expect(first?.url).toBe('/hooks/sms');
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers.authorization).toBe('Bearer s3cr3t-token');
    expect(first?.body).toEqual(message);
    // No code: the field is absent, not null.
    expect(second?.body).toEqual({ to: '+1 4255550100', channel: 'voice', text: 'Call text' });
  });

  it('sends the secret in a named header instead, when one is configured', async () => {
    const url = await startWebhook((_req, res) => res.writeHead(200).end());
    const sender = createWebhookSmsSender({
      url,
      token: 'header-secret',
      header: 'X-Api-Key',
      timeoutMs: 2000,
    });
    await sender.send(message);
    expect(received[0]?.headers['x-api-key']).toBe('header-secret');
    expect(received[0]?.headers.authorization).toBeUndefined();
  });

  it.each([400, 401, 500, 503])(
    'maps an HTTP %i answer to SSPR_8002 without leaking the message',
    async (status) => {
      const url = await startWebhook((_req, res) => res.writeHead(status).end('nope'));
      const sender = createWebhookSmsSender({ url, token: 's3cr3t-token', timeoutMs: 2000 });
      const error = await failureOf(sender.send(message));
      expect(error.code).toBe('SSPR_8002');
      expect(error.status).toBe(502);
      const cause = error.cause as Error & { status: number };
      expect(cause.message).toBe(`SMS webhook answered HTTP ${String(status)}`);
      expect(cause.status).toBe(status);
      const everything = `${cause.message} ${JSON.stringify(Object.entries(cause))}`;
      for (const secret of ['12345678', '601234567', 's3cr3t-token'])
        expect(everything).not.toContain(secret);
    },
  );

  it('does not follow a redirect (the token must not travel elsewhere)', async () => {
    const url = await startWebhook((_req, res) =>
      res.writeHead(307, { location: 'http://127.0.0.1:9/elsewhere' }).end(),
    );
    const error = await failureOf(
      createWebhookSmsSender({ url, token: 't', timeoutMs: 2000 }).send(message),
    );
    expect(error.code).toBe('SSPR_8002');
    expect((error.cause as Error).message).toBe('SMS webhook answered HTTP 307');
    expect(received).toHaveLength(1);
  });

  it('gives up after the timeout with SSPR_8002', async () => {
    // Reads the request, never answers.
    const url = await startWebhook(() => undefined);
    const sender = createWebhookSmsSender({ url, timeoutMs: 150 });
    const started = Date.now();
    const error = await failureOf(sender.send(message));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.code).toBe('SSPR_8002');
    expect((error.cause as Error).message).toBe('SMS webhook did not answer within 150 ms');
    expect(received).toHaveLength(1);
  });

  it('maps an unreachable webhook to SSPR_8002 with the network error code', async () => {
    const url = await startWebhook(() => undefined);
    const s = server;
    server = undefined;
    await new Promise<void>((resolve) =>
      s?.close(() => {
        resolve();
      }),
    );
    const error = await failureOf(createWebhookSmsSender({ url, timeoutMs: 2000 }).send(message));
    expect(error.code).toBe('SSPR_8002');
    expect((error.cause as Error).message).toBe('SMS webhook unreachable (ECONNREFUSED)');
  });

  it('refuses plain http except to loopback, and credentials in the URL', () => {
    expect(webhookUrlProblem('https://sms.example.com/send')).toBeUndefined();
    expect(webhookUrlProblem('http://127.0.0.1:8099/send')).toBeUndefined();
    expect(webhookUrlProblem('http://localhost:8099/send')).toBeUndefined();
    expect(webhookUrlProblem('http://[::1]:8099/send')).toBeUndefined();
    expect(webhookUrlProblem('http://sms.example.com/send')).toMatch(/https/);
    expect(webhookUrlProblem('http://10.0.0.5/send')).toMatch(/https/);
    expect(webhookUrlProblem('https://user:pw@sms.example.com/')).toMatch(/credentials/);
    expect(webhookUrlProblem('ftp://sms.example.com/')).toMatch(/https/);
    expect(webhookUrlProblem('not a url')).toMatch(/URL/);
    expect(() =>
      createWebhookSmsSender({ url: 'http://sms.example.com/', timeoutMs: 1000 }),
    ).toThrow(RangeError);
    expect(() =>
      createWebhookSmsSender({
        url: 'https://sms.example.com/',
        header: 'bad header',
        timeoutMs: 1,
      }),
    ).toThrow(RangeError);
  });
});
