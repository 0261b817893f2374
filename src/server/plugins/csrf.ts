import type { FastifyInstance } from 'fastify';
import { SsprError } from '../../domain/errors/sspr-error.js';

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF defence for browsers (contract.md): a state-changing request whose Origin is not ours, or
 * whose Sec-Fetch-Site says cross-site, is refused. Requests with no Origin (scripts, the CLI) pass.
 * Only application/json bodies are parsed (text/plain, a "simple request" type, is not).
 */
export function installCsrfGuard(app: FastifyInstance, publicUrl: string): void {
  const ours = new URL(publicUrl).origin;
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request) => {
    if (!unsafe.has(request.method)) return;
    const site = request.headers['sec-fetch-site'];
    if (site === 'cross-site') throw new SsprError('CSRF_REJECTED');
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const host = request.headers.host;
    const sameHost =
      host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
    if (origin !== ours && !sameHost) throw new SsprError('CSRF_REJECTED');
  });
}
