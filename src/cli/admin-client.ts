import type { CliIo } from './io.js';

export interface AdminConnection {
  readonly server: string;
  readonly token: string;
}

/** Resolves --server/--token, falling back to SSPR_SERVER / SSPR_ADMIN_TOKEN. */
export function adminConnection(
  options: { server?: string | undefined; token?: string | undefined },
  io: CliIo,
): AdminConnection {
  const server = options.server ?? io.env.SSPR_SERVER ?? 'http://127.0.0.1:8080';
  const token = options.token ?? io.env.SSPR_ADMIN_TOKEN;
  if (token === undefined || token === '') {
    throw new CliError(
      'no admin token: pass --token or set SSPR_ADMIN_TOKEN (create one on the server host with `sspr admin token create`)',
    );
  }
  return { server: server.replace(/\/+$/, ''), token };
}

export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Calls the admin API; turns an error answer into a CliError that quotes code and support code. */
export async function adminRequest<T>(
  conn: AdminConnection,
  method: 'GET' | 'PATCH' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${conn.server}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${conn.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new CliError(
      `cannot reach ${conn.server} (${error instanceof Error ? error.message : String(error)}); is \`sspr serve\` running? Set --server or SSPR_SERVER.`,
    );
  }
  const text = await response.text();
  const json: unknown = text === '' ? null : JSON.parse(text);
  if (!response.ok) {
    const err = (
      json as {
        error?: { code?: string; message?: string; correlationId?: string; details?: unknown };
      } | null
    )?.error;
    const details = err?.details === undefined ? '' : `\n${JSON.stringify(err.details, null, 2)}`;
    throw new CliError(
      `${err?.code ?? `HTTP ${String(response.status)}`}: ${err?.message ?? text} (support code ${err?.correlationId ?? 'none'})${details}`,
    );
  }
  return json as T;
}
