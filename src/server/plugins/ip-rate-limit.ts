import type { FastifyRequest } from 'fastify';
import { SsprError } from '../../domain/errors/sspr-error.js';

/**
 * Per-IP limit for anonymous routes (`rateLimit.perIpPerMinute`, 0 = off): a fixed one-minute
 * window per address, in this process. Behind a proxy, set `trustProxy` so request.ip is the client.
 */
export function createIpRateLimit(perMinute: number, now: () => number) {
  const windows = new Map<string, { start: number; count: number }>();
  return async function ipRateLimit(request: FastifyRequest): Promise<void> {
    if (perMinute <= 0) return;
    const t = now();
    if (windows.size > 50_000) {
      for (const [ip, w] of windows) if (t - w.start >= 60_000) windows.delete(ip);
    }
    const w = windows.get(request.ip);
    if (w === undefined || t - w.start >= 60_000) {
      windows.set(request.ip, { start: t, count: 1 });
      return;
    }
    w.count += 1;
    if (w.count > perMinute) {
      throw new SsprError('IP_RATE_LIMITED', {
        retryAfterSeconds: Math.ceil((w.start + 60_000 - t) / 1000),
      });
    }
  };
}
