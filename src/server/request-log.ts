/**
 * What a request log line says about the request (Fastify's default fields), with the secrets a
 * URL can carry removed: the id of a self-service flow is its capability (whoever holds it may
 * finish a reset once the gates are passed), so it never reaches a log.
 */
export function redactUrl(url: string): string {
  return url.replace(/(\/sspr\/flows\/)[^/?#]+/u, '$1[redacted]');
}

interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  readonly host?: string;
  readonly ip?: string;
  readonly headers?: Record<string, string | string[] | undefined>;
  readonly socket?: { readonly remotePort?: number | undefined } | null;
}

/** The `req` serializer of the process logger (pino `serializers.req`). */
export function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: redactUrl(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
