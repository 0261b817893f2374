import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerDeps } from '../app.js';

/** Liveness and readiness (the store answers). */
export function opsRoutes(deps: ServerDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, () => ({
      status: 'ok',
      version: deps.http.version,
    }));
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      try {
        await deps.services.store.users.count();
        return { status: 'ready' };
      } catch {
        return reply.code(503).send({ status: 'not ready', reason: 'store unavailable' });
      }
    });
  };
}
