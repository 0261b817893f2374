/** The browser side of the JSON API (/api/v1): one fetch wrapper and its error type. */

export const API = '/api/v1';

/** An API error as the server sends it: `{error:{code,message,correlationId,details}}`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly correlationId: string | undefined,
    readonly details: unknown,
    readonly status = 0,
  ) {
    super(message);
  }
}

/** The message shown when the server cannot be reached at all (set once per page, translated). */
let networkMessage = 'Could not reach the server. Try again.';
export function setNetworkErrorMessage(message: string): void {
  networkMessage = message;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Calls the API; the caller names the answer's shape (same origin: the JSON is trusted to match). */
export async function api<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(API + path, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(networkMessage, 'NETWORK', undefined, undefined);
  }
  const text = await response.text();
  let data: unknown = undefined;
  try {
    data = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!response.ok) {
    const error = (
      data as
        | { error?: { code?: string; message?: string; correlationId?: string; details?: unknown } }
        | undefined
    )?.error;
    throw new ApiError(
      error?.message ?? `HTTP ${String(response.status)}`,
      error?.code ?? `HTTP_${String(response.status)}`,
      error?.correlationId ?? response.headers.get('x-correlation-id') ?? undefined,
      error?.details,
      response.status,
    );
  }
  return data as T;
}
