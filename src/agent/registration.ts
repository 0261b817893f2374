import type { AgentKeyPairs } from '../protocol/envelope.js';
import {
  AGENT_CONNECT_PATH,
  AGENT_REGISTER_PATH,
  registrationResponseSchema,
  type RegistrationRequest,
} from '../protocol/messages.js';
import { AgentSetupError } from './log.js';

/**
 * The agent's two server URLs from `server.url` (http(s) or ws(s), with an optional path prefix
 * for a reverse proxy): registration over HTTP(S), the link over WS(S) — TLS when the server URL
 * is https/wss, verified by default.
 */
export function serverEndpoints(serverUrl: string): { register: URL; connect: URL } {
  let base: URL;
  try {
    base = new URL(serverUrl);
  } catch {
    throw new AgentSetupError(`server.url is not a URL: ${serverUrl}`);
  }
  const secure = base.protocol === 'https:' || base.protocol === 'wss:';
  if (!secure && base.protocol !== 'http:' && base.protocol !== 'ws:') {
    throw new AgentSetupError(`server.url must be http(s):// or ws(s)://, not ${base.protocol}`);
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  const register = new URL(base.href);
  register.protocol = secure ? 'https:' : 'http:';
  register.pathname = `${prefix}${AGENT_REGISTER_PATH}`;
  register.search = '';
  register.hash = '';
  const connect = new URL(base.href);
  connect.protocol = secure ? 'wss:' : 'ws:';
  connect.pathname = `${prefix}${AGENT_CONNECT_PATH}`;
  connect.search = '';
  connect.hash = '';
  return { register, connect };
}

/** Registers the agent's public keys with a one-time token; returns its agent id. */
export async function registerWithServer(options: {
  readonly serverUrl: string;
  readonly registrationToken: string;
  readonly name: string;
  readonly version: string;
  readonly keys: AgentKeyPairs;
  readonly fetchImpl: typeof fetch;
  readonly timeoutMs?: number;
}): Promise<string> {
  const url = serverEndpoints(options.serverUrl).register;
  const body: RegistrationRequest = {
    registrationToken: options.registrationToken,
    name: options.name.slice(0, 200),
    version: options.version.slice(0, 50),
    signingPublicKey: options.keys.signing.publicKey,
    encryptionPublicKey: options.keys.encryption.publicKey,
  };
  let response: Response;
  try {
    response = await options.fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause ?? error) : error;
    throw new AgentSetupError(
      `could not reach the server at ${url.origin} to register: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  const json: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : `HTTP ${String(response.status)}`;
    const message = typeof error?.message === 'string' ? error.message : response.statusText;
    throw new AgentSetupError(`the server refused the registration: ${code}: ${message}`);
  }
  const parsed = registrationResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new AgentSetupError(
      `the server at ${url.origin} answered the registration with something unexpected; is server.url the OpenSSPR server?`,
    );
  }
  return parsed.data.agentId;
}
