import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../services/audit-log.js';

/** The audit context of a request: its correlation id (the support code), client IP and agent. */
export function contextOf(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return {
    correlationId: request.id,
    ip: request.ip,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
  };
}
