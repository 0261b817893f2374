import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { redactUrl, serializeRequest } from './request-log.js';

describe('request log lines', () => {
  it('never carry a flow id (the capability of a reset flow)', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info', serializers: { req: serializeRequest } },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const app = Fastify({ loggerInstance: logger });
    app.post('/api/v1/sspr/flows/:flowId/verify', () => ({ ok: true }));
    const flowId = 'Hk3v9QmZ0b1xYw2c8RtU5nPq7sLdE4fA6gJiK-_oMzN';
    const res = await app.inject({ method: 'POST', url: `/api/v1/sspr/flows/${flowId}/verify` });
    expect(res.statusCode).toBe(200);
    await app.close();
    const incoming = lines.map((l) => JSON.parse(l) as Record<string, unknown>)[0];
    expect(incoming?.req).toMatchObject({
      method: 'POST',
      url: '/api/v1/sspr/flows/[redacted]/verify',
      remoteAddress: '127.0.0.1',
    });
    expect(lines.join('')).not.toContain(flowId);
  });

  it('keeps every other URL as it is', () => {
    expect(redactUrl('/api/v1/sspr/flows/abc?x=1')).toBe('/api/v1/sspr/flows/[redacted]?x=1');
    expect(redactUrl('/api/v1/sspr/flows')).toBe('/api/v1/sspr/flows');
    expect(redactUrl('/api/v1/admin/users/ann@contoso.com')).toBe(
      '/api/v1/admin/users/ann@contoso.com',
    );
  });
});
