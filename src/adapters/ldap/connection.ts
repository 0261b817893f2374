/**
 * Connections to the directory: failover across `urls`, TLS always (LDAPS, or StartTLS on
 * ldap://), one long-lived client bound as the service account, and fresh clients for user binds.
 *
 * Nothing is ever sent in clear text: an ldap:// URL gets StartTLS before its bind, and a client
 * never reconnects silently. ldapts would otherwise re-open a dropped ldap:// socket *without*
 * StartTLS on the next operation (and send, say, a `unicodePwd` modify over it); each client's
 * socket factories therefore hand out exactly one socket, and any later attempt fails at once
 * without touching the network. A dropped service client is replaced by a new, fully
 * established one (failover order, StartTLS, bind).
 */
import { isIP } from 'node:net';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Client, ResultCodeError, type Control } from 'ldapts';
import { SsprError } from '../../domain/errors/sspr-error.js';
import { isTransportError, mapLdapError, mapTransportError, type LdapOperation } from './errors.js';

export interface LdapTlsOptions {
  /** CA certificate(s) as PEM text (the composition root reads a configured file). */
  readonly ca?: string | undefined;
  /** Verify the server's certificate and name (default in the config: true). */
  readonly rejectUnauthorized: boolean;
}

export interface LdapConnectorOptions {
  /** Servers in failover order: `ldaps://host:636` or `ldap://host:389` (StartTLS). */
  readonly urls: readonly string[];
  readonly bindDn: string;
  readonly bindPassword: string;
  readonly tls: LdapTlsOptions;
  /** Per LDAP operation (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Per TCP (and LDAPS handshake) connection attempt, per URL (default 5 000 ms). */
  readonly connectTimeoutMs?: number;
}

/** A connected, TLS-protected client and the URL it reached. */
export interface LdapSession {
  readonly client: Client;
  readonly url: string;
}

/**
 * Whether a client's sockets are still open. ldapts notices a closed socket only for the socket
 * it opened first: after StartTLS it keeps believing a dropped session is connected, and the next
 * request waits for its timeout. Our socket factories watch every socket they hand out instead.
 */
interface SocketState {
  readonly sockets: net.Socket[];
  closed: boolean;
}
const socketsOf = new WeakMap<Client, SocketState>();

function isAlive(client: Client): boolean {
  const state = socketsOf.get(client);
  return state !== undefined && !state.closed && client.isConnected;
}

export type UserBindResult =
  | { readonly ok: true; readonly session: LdapSession; close(): Promise<void> }
  /** The server answered the bind with an error (the raw ldapts error, for the caller to map). */
  | { readonly ok: false; readonly error: ResultCodeError; readonly url: string };

export interface LdapConnector {
  /**
   * Runs `fn` on the service-bound client, connecting (with failover) when needed. A transport
   * failure discards the client and is thrown as DIRECTORY_UNREACHABLE / DIRECTORY_TIMEOUT;
   * with `retry` (reads only: never for writes, whose outcome is then unknown) `fn` runs once
   * more on a new connection. LDAP result errors are rethrown as they are, for the caller to map.
   */
  withService<T>(
    operation: LdapOperation,
    fn: (session: LdapSession) => Promise<T>,
    options?: { readonly retry?: boolean },
  ): Promise<T>;
  /** Opens a new connection (failover, TLS) and binds as `dn`; the caller closes the session. */
  bindAs(
    dn: string,
    password: string,
    options?: { readonly controls?: Control[]; readonly operation?: LdapOperation },
  ): Promise<UserBindResult>;
  /** The URLs, for reports. */
  readonly urls: readonly string[];
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

const REFUSED = 'reconnect refused: a dropped directory connection is re-established in full';

/** A socket that is already destroyed: connecting through it fails at once, offline. */
function refusedSocket(): net.Socket {
  const socket = new net.Socket();
  socket.destroy(new Error(REFUSED));
  return socket;
}

/** The same for the TLS factory (a TLSSocket around a destroyed socket). */
function refusedTlsSocket(): tls.TLSSocket {
  const socket = new tls.TLSSocket(new net.Socket());
  socket.destroy(new Error(REFUSED));
  return socket;
}

function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function createLdapConnector(options: LdapConnectorOptions): LdapConnector {
  if (options.urls.length === 0) throw new Error('directory.urls is empty');
  for (const url of options.urls) {
    const protocol = new URL(url).protocol;
    if (protocol !== 'ldap:' && protocol !== 'ldaps:') {
      throw new Error(`not an ldap:// or ldaps:// URL: ${url}`);
    }
  }
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;

  /** A new client for one URL with TLS established (LDAPS handshake or StartTLS), not bound. */
  async function open(url: string): Promise<Client> {
    const parsed = new URL(url);
    const host = hostOf(parsed);
    const secure = parsed.protocol === 'ldaps:';
    const tlsOptions: tls.ConnectionOptions = {
      rejectUnauthorized: options.tls.rejectUnauthorized,
      minVersion: 'TLSv1.2',
      ...(options.tls.ca !== undefined ? { ca: options.tls.ca } : {}),
      // SNI only for names: an IP address as servername is not allowed (RFC 6066).
      ...(isIP(host) === 0 ? { servername: host } : {}),
    };
    let tcpUsed = false;
    let tlsUsed = false;
    const state: SocketState = { sockets: [], closed: false };
    const watch = <S extends net.Socket>(socket: S): S => {
      state.sockets.push(socket);
      const gone = (): void => {
        state.closed = true;
      };
      socket.once('close', gone);
      socket.once('end', gone);
      return socket;
    };
    const createConnection = ((port: number, connectHost: string) => {
      if (tcpUsed) return refusedSocket();
      tcpUsed = true;
      return watch(net.connect(port, connectHost));
    }) as typeof net.connect;
    const createSecureConnection = ((...args: unknown[]) => {
      if (tlsUsed) return refusedTlsSocket();
      tlsUsed = true;
      return watch((tls.connect as (...a: unknown[]) => tls.TLSSocket)(...args));
    }) as typeof tls.connect;
    const client = new Client({
      url,
      timeout,
      connectTimeout,
      // tlsOptions only for ldaps://: with them, ldapts would speak TLS at once on port 389 too.
      ...(secure ? { tlsOptions } : {}),
      createConnection,
      createSecureConnection,
    });
    socketsOf.set(client, state);
    if (!secure) {
      try {
        await client.startTLS({ ...tlsOptions, host });
      } catch (error) {
        await discard(client);
        // Refused or failed StartTLS: this URL is unusable (we never fall back to clear text).
        if (error instanceof ResultCodeError) {
          throw new Error(`StartTLS refused by the server: ${error.message}`, { cause: error });
        }
        throw error;
      }
    }
    return client;
  }

  /**
   * Ends a client: an unbind when the session is alive (bounded: never waits for a timeout),
   * then its sockets are destroyed, which also fails any request still waiting on them.
   */
  async function discard(client: Client): Promise<void> {
    if (isAlive(client)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client.unbind().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, 1_000))),
      ]);
      clearTimeout(timer);
    }
    for (const socket of socketsOf.get(client)?.sockets ?? []) socket.destroy();
  }

  /**
   * Tries each URL in order: connect, TLS, bind. Transport failures move on to the next URL; a
   * bind refused by the server stops there (another DC would refuse it too) and is returned.
   */
  async function connectAndBind(
    dn: string,
    password: string,
    controls: Control[] | undefined,
    operation: LdapOperation,
  ): Promise<
    { ok: true; session: LdapSession } | { ok: false; error: ResultCodeError; url: string }
  > {
    const failures: { url: string; reason: string; timeout: boolean }[] = [];
    for (const url of options.urls) {
      let client: Client | undefined;
      try {
        client = await open(url);
        await client.bind(dn, password, controls);
        return { ok: true, session: { client, url } };
      } catch (error) {
        if (client !== undefined) await discard(client);
        if (error instanceof ResultCodeError) {
          // 51 busy / 52 unavailable: this server cannot serve now; try the next one.
          if (error.code === 51 || error.code === 52) {
            failures.push({ url, reason: `LDAP ${String(error.code)}`, timeout: false });
            continue;
          }
          return { ok: false, error, url };
        }
        const mapped = mapTransportError(error, { operation, url });
        failures.push({
          url,
          reason:
            typeof mapped.details?.['reason'] === 'string'
              ? mapped.details['reason']
              : mapped.message,
          timeout: mapped.errorName === 'DIRECTORY_TIMEOUT',
        });
      }
    }
    const allTimedOut = failures.length > 0 && failures.every((failure) => failure.timeout);
    throw new SsprError(allTimedOut ? 'DIRECTORY_TIMEOUT' : 'DIRECTORY_UNREACHABLE', {
      details: {
        operation,
        reason: failures.map((failure) => `${failure.url}: ${failure.reason}`).join('; '),
        attempts: failures.map(({ url, reason }) => ({ url, reason })),
      },
    });
  }

  let service: LdapSession | undefined;
  let connecting: Promise<LdapSession> | undefined;
  let closed = false;

  async function serviceSession(): Promise<LdapSession> {
    if (closed) throw new Error('the directory connector is closed');
    if (service?.client.isBound === true && isAlive(service.client)) return service;
    if (service !== undefined) {
      const stale = service;
      service = undefined;
      await discard(stale.client);
    }
    connecting ??= (async () => {
      const result = await connectAndBind(
        options.bindDn,
        options.bindPassword,
        undefined,
        'serviceBind',
      );
      if (!result.ok) {
        throw mapLdapError(result.error, { operation: 'serviceBind', url: result.url });
      }
      service = result.session;
      return result.session;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  function drop(session: LdapSession): void {
    if (service === session) service = undefined;
    void discard(session.client);
  }

  return {
    urls: options.urls,

    async withService(operation, fn, runOptions) {
      const attempts = runOptions?.retry === true ? 2 : 1;
      for (let attempt = 1; ; attempt += 1) {
        const session = await serviceSession();
        try {
          return await fn(session);
        } catch (error) {
          if (!isTransportError(error)) throw error;
          drop(session);
          if (attempt >= attempts) throw mapTransportError(error, { operation, url: session.url });
        }
      }
    },

    async bindAs(dn, password, bindOptions) {
      const result = await connectAndBind(
        dn,
        password,
        bindOptions?.controls,
        bindOptions?.operation ?? 'verifyPassword',
      );
      if (!result.ok) return result;
      const { session } = result;
      return { ok: true, session, close: () => discard(session.client) };
    },

    async close() {
      closed = true;
      const current = service ?? (await connecting?.catch(() => undefined));
      service = undefined;
      if (current !== undefined) await discard(current.client);
    },
  };
}
