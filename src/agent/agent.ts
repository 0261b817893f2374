/**
 * The writeback agent (house-style § Agent link): it runs next to the directory, dials OUT to the
 * server (no inbound port), and carries out the server's jobs.
 *
 * First start: no `<dataDir>/agent-keys.json` yet → generate an Ed25519 (signing) and an X25519
 * (encryption) key pair, register their public halves with the one-time `server.registrationToken`
 * (POST /api/v1/agent/register), store the agent id and the private keys (mode 0600).
 * Then, forever: connect to `GET /api/v1/agent/connect?agentId=…` (ws, or wss when the server URL
 * is https; TLS verified by default) → answer the server's `challenge` with a signed `hello`
 * carrying the directory's kind, reachability and rights report → on `welcome`, send a `heartbeat`
 * every heartbeatSeconds (directory.ping()), run `job`s (job-runner.ts) and `sync.request`s
 * (sync-scanner.ts). A silent server (no ping for two intervals) or a closed socket → reconnect
 * with capped exponential backoff and jitter (1 s → 60 s).
 */
import { hostname } from 'node:os';
import { WebSocket, type RawData } from 'ws';
import type { Clock } from '../domain/ports/clock.js';
import type { Directory, RightsReport } from '../domain/ports/directory.js';
import { generateAgentKeys, signHello } from '../protocol/envelope.js';
import {
  PROTOCOL_VERSION,
  agentMessageSchema,
  closeCodes,
  serverMessageSchema,
  type AgentMessage,
  type ServerMessage,
} from '../protocol/messages.js';
import {
  agentKeysPath,
  loadAgentIdentity,
  saveAgentIdentity,
  type AgentIdentity,
} from './agent-keys.js';
import { backoffDelay, cryptoJitter, type BackoffOptions } from './backoff.js';
import { createJobRunner } from './job-runner.js';
import { AgentSetupError, LinkClosedError, type AgentLogger } from './log.js';
import { registerWithServer, serverEndpoints } from './registration.js';
import { createSyncScanner } from './sync-scanner.js';

/** The configuration keys the agent reads (the shared Config satisfies it). */
export interface AgentConfig {
  readonly dataDir: string;
  readonly server: {
    readonly url?: string | undefined;
    readonly registrationToken?: string | undefined;
  };
  readonly directory: { readonly kind?: 'ad' | 'openldap' | undefined };
}

export interface StartAgentOptions {
  readonly config: AgentConfig;
  readonly directory: Directory;
  readonly log: AgentLogger;
  readonly clock: Clock;
  /** For registration (default: the global fetch). */
  readonly fetchImpl?: typeof fetch;
  /** Shown in the admin center (default: the host name). */
  readonly name?: string;
  readonly version?: string;
  readonly backoff?: BackoffOptions;
  /** Uniform in [0, 1) (default: node:crypto). */
  readonly jitter?: () => number;
  /** TLS for wss:// beyond the system CAs (NODE_EXTRA_CA_CERTS also works). Verified by default. */
  readonly tls?: { readonly ca?: string; readonly rejectUnauthorized?: boolean };
  /** Objects per sync page (default 500). */
  readonly pageSize?: number;
  /** How long ping / checkRights may take when answering the challenge (default 5 s). */
  readonly directoryCheckTimeoutMs?: number;
}

export type AgentState = 'connecting' | 'connected' | 'stopped';

export interface RunningAgent {
  readonly agentId: string;
  state(): AgentState;
  /** Resolves once the server has welcomed the agent (at once when it is connected now). */
  connected(): Promise<void>;
  /** How many times the server has welcomed it since the start. */
  connections(): number;
  /** Closes the link and stops reconnecting (the directory is the caller's to close). */
  stop(): Promise<void>;
}

interface Outcome {
  readonly welcomed: boolean;
  readonly code: number;
  readonly reason: string;
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${String(ms)} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function ensureIdentity(
  options: StartAgentOptions,
  serverUrl: string,
): Promise<AgentIdentity> {
  const { config, log, clock } = options;
  const file = agentKeysPath(config.dataDir);
  const existing = await loadAgentIdentity(config.dataDir);
  if (existing !== null) {
    if (config.server.registrationToken !== undefined) {
      log.info(
        { agentId: existing.agentId },
        'already registered: server.registrationToken is not used any more and can be removed',
      );
    }
    return existing;
  }
  const token = config.server.registrationToken;
  if (token === undefined) {
    throw new AgentSetupError(
      `this agent is not registered yet (${file} does not exist). On the server host run \`sspr admin agent-token create\`, then give the token to this agent as server.registrationToken (or SSPR_SERVER_REGISTRATION_TOKEN_FILE) and start it again.`,
    );
  }
  const keys = generateAgentKeys();
  const agentId = await registerWithServer({
    serverUrl,
    registrationToken: token,
    name: options.name ?? hostname(),
    version: options.version ?? '0.0.0',
    keys,
    fetchImpl: options.fetchImpl ?? fetch,
  });
  const identity: AgentIdentity = {
    agentId,
    serverUrl,
    registeredAt: clock.now().toISOString(),
    keys,
  };
  await saveAgentIdentity(config.dataDir, identity);
  log.info(
    { agentId, file },
    'registered with the server; the token is spent: remove server.registrationToken from the configuration',
  );
  return identity;
}

/** Registers if needed, then keeps the link to the server up until `stop()`. */
export async function startAgent(options: StartAgentOptions): Promise<RunningAgent> {
  const { config, directory, log, clock } = options;
  const serverUrl = config.server.url;
  if (serverUrl === undefined) {
    throw new AgentSetupError(
      'server.url is not set: point it at the OpenSSPR server (its publicUrl), e.g. https://sspr.example.com',
    );
  }
  const configuredKind = config.directory.kind;
  if (configuredKind === undefined) {
    throw new AgentSetupError(
      'directory.kind is not set: ad (Active Directory, Samba) or openldap',
    );
  }
  const kind: 'ad' | 'openldap' = configuredKind;
  const endpoints = serverEndpoints(serverUrl);
  const identity = await ensureIdentity(options, serverUrl);
  const { agentId } = identity;
  const connectUrl = new URL(endpoints.connect);
  connectUrl.searchParams.set('agentId', agentId);
  const version = options.version ?? '0.0.0';
  const jitter = options.jitter ?? cryptoJitter;
  const checkMs = options.directoryCheckTimeoutMs ?? 5000;

  let stopped = false;
  /** Read through a function: TypeScript would otherwise narrow it across the awaits below. */
  const isStopped = (): boolean => stopped;
  let state: AgentState = 'connecting';
  let welcomes = 0;
  let socket: WebSocket | undefined;
  let wake: (() => void) | undefined;
  /** Server clock minus ours, from the last welcome: job deadlines are the server's. */
  let offsetMs = 0;
  const waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  const runner = createJobRunner({
    directory,
    encryptionPrivateKey: identity.keys.encryption.privateKey,
    clock,
    log,
    serverClockOffsetMs: () => offsetMs,
  });
  const scanner = createSyncScanner({
    directory,
    log,
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  });

  async function reachable(): Promise<boolean> {
    try {
      await withTimeout(directory.ping(), checkMs);
      return true;
    } catch {
      return false;
    }
  }

  async function rights(): Promise<RightsReport | null> {
    try {
      return await withTimeout(directory.checkRights(), checkMs);
    } catch (error) {
      log.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'could not check the service account rights',
      );
      return null;
    }
  }

  function connectOnce(): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const ws = new WebSocket(connectUrl, {
        handshakeTimeout: 10_000,
        maxPayload: 1024 * 1024,
        perMessageDeflate: false,
        rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
        ...(options.tls?.ca === undefined ? {} : { ca: options.tls.ca }),
      });
      socket = ws;
      let helloSent = false;
      let welcomed = false;
      let beating = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let liveness: NodeJS.Timeout | undefined;
      /** Until the welcome: the challenge and welcome must come within this. */
      let livenessMs = 30_000;

      const alive = (): void => {
        clearTimeout(liveness);
        liveness = setTimeout(() => {
          log.warn({ silentMs: livenessMs }, 'the server went silent; reconnecting');
          ws.terminate();
        }, livenessMs);
      };

      const send = (message: AgentMessage): Promise<void> => {
        const checked = agentMessageSchema.parse(message);
        return new Promise<void>((done, fail) => {
          if (ws.readyState !== WebSocket.OPEN) {
            fail(new LinkClosedError('the connection to the server is closed'));
            return;
          }
          ws.send(JSON.stringify(checked), (error) => {
            if (error) fail(new LinkClosedError(error.message));
            else done();
          });
        });
      };

      const protocolError = (problem: string): void => {
        log.warn({ problem }, 'the server sent an invalid message; reconnecting');
        ws.close(closeCodes.protocolError, `AGENT_PROTOCOL_ERROR: ${problem}`.slice(0, 120));
      };

      const beat = async (): Promise<void> => {
        if (beating) return;
        beating = true;
        try {
          const directoryReachable = await reachable();
          await send({
            v: PROTOCOL_VERSION,
            type: 'heartbeat',
            at: clock.now().toISOString(),
            directoryReachable,
          });
        } catch {
          // The link is gone; the close handler reconnects.
        } finally {
          beating = false;
        }
      };

      const onChallenge = async (nonce: string): Promise<void> => {
        const [isReachable, report] = await Promise.all([reachable(), rights()]);
        await send({
          v: PROTOCOL_VERSION,
          type: 'hello',
          agentId,
          signature: signHello(identity.keys.signing.privateKey, agentId, nonce),
          version,
          directory: {
            kind,
            reachable: isReachable,
            rights:
              report === null
                ? null
                : { ok: report.ok, checks: report.checks.map((check) => ({ ...check })) },
          },
        });
        if (!isReachable) log.warn({}, 'the directory is not reachable (reported to the server)');
        if (report?.ok === false) {
          log.warn(
            { failing: report.checks.filter((c) => !c.ok).map((c) => c.check) },
            'the service account lacks rights (reported to the server)',
          );
        }
      };

      const handle = (message: ServerMessage): void => {
        switch (message.type) {
          case 'challenge':
            if (helloSent) {
              protocolError('a second challenge');
              return;
            }
            helloSent = true;
            onChallenge(message.nonce).catch((error: unknown) => {
              log.warn(
                { error: error instanceof Error ? error.message : String(error) },
                'could not answer the challenge',
              );
              ws.terminate();
            });
            return;
          case 'welcome':
            if (!helloSent || welcomed || message.agentId !== agentId) {
              protocolError('an unexpected welcome');
              return;
            }
            welcomed = true;
            state = 'connected';
            welcomes += 1;
            offsetMs =
              message.serverTime === undefined
                ? 0
                : Date.parse(message.serverTime) - clock.now().getTime();
            if (Number.isNaN(offsetMs)) offsetMs = 0;
            if (Math.abs(offsetMs) > 5000) {
              log.warn({ offsetMs }, "this host's clock differs from the server's; check NTP");
            }
            livenessMs = message.heartbeatSeconds * 2000 + 5000;
            alive();
            heartbeat = setInterval(() => {
              void beat();
            }, message.heartbeatSeconds * 1000);
            log.info(
              { agentId, server: connectUrl.origin, heartbeatSeconds: message.heartbeatSeconds },
              'connected to the server',
            );
            for (const waiter of waiters.splice(0)) waiter.resolve();
            return;
          case 'job':
            if (!welcomed) {
              protocolError('a job before the welcome');
              return;
            }
            runner
              .run(message)
              .then((result) => (result === null ? undefined : send(result)))
              .catch((error: unknown) => {
                log.warn(
                  {
                    jobId: message.jobId,
                    error: error instanceof Error ? error.message : String(error),
                  },
                  'could not send a job result',
                );
              });
            return;
          case 'sync.request':
            if (!welcomed) {
              protocolError('a sync request before the welcome');
              return;
            }
            scanner.handle(message, send).catch((error: unknown) => {
              log.warn(
                {
                  syncId: message.syncId,
                  error: error instanceof Error ? error.message : String(error),
                },
                'sync request failed',
              );
            });
            return;
        }
      };

      ws.on('open', () => {
        alive();
      });
      ws.on('ping', alive);
      ws.on('message', (data, isBinary) => {
        alive();
        if (isBinary) {
          protocolError('a binary message');
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(rawText(data));
        } catch {
          protocolError('not JSON');
          return;
        }
        const parsed = serverMessageSchema.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          protocolError(
            issue === undefined
              ? 'invalid message'
              : `${issue.path.map(String).join('.')}: ${issue.message}`,
          );
          return;
        }
        handle(parsed.data);
      });
      ws.on('error', (error) => {
        log.warn(
          { server: connectUrl.origin, error: error.message },
          'connection to the server failed',
        );
      });
      ws.on('close', (code, reason) => {
        clearInterval(heartbeat);
        clearTimeout(liveness);
        if (socket === ws) socket = undefined;
        if (state === 'connected') state = stopped ? 'stopped' : 'connecting';
        resolve({ welcomed, code, reason: reason.toString('utf8') });
      });
    });
  }

  function sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function loop(): Promise<void> {
    let attempt = 0;
    while (!stopped) {
      const outcome = await connectOnce();
      if (isStopped()) break;
      if (outcome.welcomed) attempt = 0;
      if (outcome.code === closeCodes.unauthorized) {
        log.error(
          { agentId, reason: outcome.reason },
          `the server refused this agent. If it was revoked or the server's data was reset: delete ${agentKeysPath(config.dataDir)}, create a token with \`sspr admin agent-token create\`, set server.registrationToken and restart the agent`,
        );
      }
      const delayMs = backoffDelay(attempt, options.backoff ?? {}, jitter());
      attempt += 1;
      log.warn(
        { code: outcome.code, reason: outcome.reason, retryInMs: delayMs },
        outcome.welcomed
          ? 'disconnected from the server; reconnecting'
          : 'could not connect to the server; retrying',
      );
      await sleep(delayMs);
    }
    state = 'stopped';
  }

  const running = loop();

  return {
    agentId,
    state: () => state,
    connections: () => welcomes,
    connected: () =>
      state === 'connected'
        ? Promise.resolve()
        : state === 'stopped'
          ? Promise.reject(new Error('the agent is stopped'))
          : new Promise<void>((resolve, reject) => {
              waiters.push({ resolve, reject });
            }),
    async stop() {
      if (stopped) {
        await running;
        return;
      }
      stopped = true;
      wake?.();
      const ws = socket;
      if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
        const force = setTimeout(() => {
          ws.terminate();
        }, 2000);
        ws.once('close', () => {
          clearTimeout(force);
        });
        ws.close(closeCodes.goingAway, 'agent stopping');
      }
      await running;
      state = 'stopped';
      for (const waiter of waiters.splice(0)) waiter.reject(new Error('the agent stopped'));
    },
  };
}
