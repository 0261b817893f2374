import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SsprError } from '../../domain/errors/sspr-error.js';

/** The built portal (scripts/build-web.mjs): repo root/dist/web from both src/ and dist/ builds. */
const WEB_ROOT = new URL('../../../dist/web/', import.meta.url);

/** Asset names the portal build produces: one flat directory, no dot segments, known types. */
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(js|css|svg|png|ico|woff2)$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
};

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** The file's bytes, or undefined when it does not exist (other I/O errors propagate). */
async function readOrUndefined(url: URL): Promise<Buffer | undefined> {
  try {
    return await readFile(url);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * No error-registry entry exists for this (it is an operator mistake, not an API condition): the
 * answer keeps the SSPR error shape with a descriptive code.
 */
function notBuilt(): never {
  throw new SsprError('WEB_NOT_BUILT');
}

/** The same answer as any unknown route (SSPR_1004), so asset names cannot be probed. */
function notFound(): never {
  throw new SsprError('ROUTE_NOT_FOUND');
}

/**
 * The browser pages: `GET /` (self-service reset), `GET /account` (sign-in and security info),
 * `GET /admin` (admin center), and `GET /assets/:file` (their bundles and styles).
 */
export function webRoutes(): FastifyPluginAsyncZod {
  return async (app) => {
    const page = (url: string, file: string) => {
      app.get(url, { schema: { hide: true } }, async (request, reply) => {
        const html = await readOrUndefined(new URL(file, WEB_ROOT));
        if (html === undefined) return notBuilt();
        return reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-cache')
          .send(html);
      });
    };
    page('/', 'index.html');
    page('/account', 'account.html');
    page('/admin', 'admin.html');

    app.get<{ Params: { file: string } }>(
      '/assets/:file',
      { schema: { hide: true } },
      async (request, reply) => {
        const match = ASSET_NAME.exec(request.params.file);
        const type = match?.[1] === undefined ? undefined : CONTENT_TYPES[match[1]];
        if (match === null || type === undefined) return notFound();
        const body = await readOrUndefined(new URL(`assets/${match[0]}`, WEB_ROOT));
        if (body !== undefined) {
          return reply.type(type).header('cache-control', 'no-cache').send(body);
        }
        const built = await readOrUndefined(new URL('index.html', WEB_ROOT));
        return built === undefined ? notBuilt() : notFound();
      },
    );
  };
}
