/**
 * The server end of the agent link (house-style § Agent link, product.md P3).
 *
 * Agents dial out to `GET /api/v1/agent/connect?agentId=…` (a WebSocket upgrade on the fastify
 * HTTP server). The gateway sends a random `challenge`; the agent answers with a `hello` signed by
 * its registered Ed25519 key within 10 s, or the socket closes with 4401. A welcomed agent gets
 * `job`s: each AgentLink call is one job with a fresh id sent to ONE healthy agent (round-robin
 * among those whose directory is reachable), passwords sealed to that agent's X25519 key with the
 * job id as AAD. A job ends applied (ok result), rejected (the directory's SsprError) or expired
 * (no answer before the deadline, or the agent left): expired jobs are never resent when they carry
 * a password (at most once) and answer ON_PREMISES_CONNECTIVITY (SSPR_0030). Heartbeat: WebSocket
 * ping/pong (two missed intervals terminate the socket) plus `heartbeat` messages carrying the
 * directory's reachability. Every incoming message is validated; anything else closes with 4400.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { z } from 'zod';
import { errorRegistry, type ErrorName } from '../domain/errors/registry.js';
import { SsprError } from '../domain/errors/sspr-error.js';
import type {
  AgentLink,
  AgentStatus,
  SyncSummary,
  WritebackStatus,
} from '../domain/ports/agent-link.js';
import type { AgentRecord } from '../domain/ports/agent-store.js';
import type { Clock } from '../domain/ports/clock.js';
import type { RightsReport } from '../domain/ports/directory.js';
import type { Random } from '../domain/ports/random.js';
import type { Store } from '../domain/ports/store.js';
import { seal, verifyHello } from '../protocol/envelope.js';
import {
  AGENT_CONNECT_PATH,
  PROTOCOL_VERSION,
  accountStateSchema,
  agentMessageSchema,
  closeCodes,
  directoryUserSchema,
  passwordPolicySchema,
  rightsReportSchema,
  serverMessageSchema,
  type AgentMessage,
  type HelloMessage,
  type JobOp,
  type JobResultMessage,
  type JobSecret,
  type ServerMessage,
  type SyncDoneMessage,
  type SyncPageMessage,
  type WireError,
} from '../protocol/messages.js';

export interface GatewayLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** What the sync handlers learn about the run besides its pages. */
export interface SyncContext {
  /** Server time the run was requested (full-sync deletion detection compares against it). */
  readonly startedAt: string;
  /** What was asked for; `done.full` says what the agent actually did (a stale cookie → full). */
  readonly requestedFull: boolean;
}

/** Applies one page of a sync to the store (pages of a run arrive in order, one at a time). */
export type SyncPageHandler = (
  agentId: string,
  syncId: string,
  page: SyncPageMessage,
  context: SyncContext,
) => Promise<void>;

/** Finishes a run (deletion detection, cookie) and returns its summary; called for failed runs too. */
export type SyncDoneHandler = (
  agentId: string,
  syncId: string,
  done: SyncDoneMessage,
  context: SyncContext,
) => Promise<SyncSummary>;

export interface AgentGatewayOptions {
  readonly store: Pick<Store, 'agents'>;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: GatewayLogger;
  /** How long a job may take end to end before SSPR_0030 (default 10 s). */
  readonly jobTimeoutMs?: number;
  /** Ping / heartbeat interval told to agents (default 30 s); two missed intervals disconnect. */
  readonly heartbeatSeconds?: number;
  /**
   * The server's sync interval, told to agents in the welcome (default 60 s; 0 = on request).
   * The gateway does not schedule syncs: services/directory-sync.ts's scheduler calls `sync()`.
   */
  readonly syncIntervalSeconds?: number;
  /** How long a connecting agent has to answer the challenge (default 10 s). */
  readonly helloTimeoutMs?: number;
  /** How long a sync may run before it fails with SYNC_FAILED (default 10 min). */
  readonly syncTimeoutMs?: number;
  /** The cookie for a delta sync (default: none, so every sync is full). */
  readonly syncCookie?: () => Promise<string | null>;
  readonly onSyncPage?: SyncPageHandler;
  readonly onSyncDone?: SyncDoneHandler;
  /** Largest accepted WebSocket message (default 64 MiB: a sync page of 5000 users). */
  readonly maxPayloadBytes?: number;
}

export interface AgentGateway {
  /** The AgentLink port the services use. */
  readonly link: AgentLink;
  /** Serves agent WebSocket upgrades on `server` (fastify's `app.server`). */
  attach(server: HttpServer): void;
  /** Drops an agent's connection at once (e.g. after revocation); true if it was connected. */
  disconnect(agentId: string): boolean;
  /** Fails in-flight jobs, closes every agent connection and stops serving upgrades. */
  close(): Promise<void>;
}

const DEFAULTS = {
  jobTimeoutMs: 10_000,
  heartbeatSeconds: 30,
  syncIntervalSeconds: 60,
  helloTimeoutMs: 10_000,
  syncTimeoutMs: 10 * 60_000,
  maxPayloadBytes: 64 * 1024 * 1024,
} as const;

/** Before the hello is verified, no message may be larger than this. */
const UNAUTHENTICATED_MAX_BYTES = 64 * 1024;
/** How many expired job ids are remembered, to recognise (and ignore) late results. */
const EXPIRED_MEMORY = 10_000;

/** Reads carrying no password may be retried once on another agent if the first one leaves. */
const retryableOps: ReadonlySet<JobOp> = new Set([
  'findUser',
  'readAccountState',
  'readPasswordPolicy',
]);

const resultSchemas: Partial<Record<JobOp, z.ZodType>> = {
  findUser: directoryUserSchema.nullable(),
  readAccountState: accountStateSchema,
  readPasswordPolicy: passwordPolicySchema,
  checkRights: rightsReportSchema,
};

export const statusReasons = {
  noAgent: 'No agent is connected.',
  unreachable: 'Agents are connected but none can reach the directory.',
  rights: "The agent's service account lacks rights: ",
} as const;

type JobParams = Extract<ServerMessage, { type: 'job' }>['params'];

interface PendingJob {
  readonly op: JobOp;
  readonly sentAt: number;
  readonly timer: NodeJS.Timeout;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface PendingSync {
  readonly syncId: string;
  readonly context: SyncContext;
  readonly timer: NodeJS.Timeout;
  nextSeq: number;
  /** Pages handed to onSyncPage but not finished yet (the socket is paused meanwhile). */
  queued: number;
  chain: Promise<void>;
  failed: boolean;
  resolve(summary: SyncSummary): void;
  reject(error: Error): void;
}

interface Connection {
  readonly socket: WebSocket;
  readonly claimedId: string;
  readonly remote: string | undefined;
  readonly nonce: string;
  readonly connectedAt: string;
  readonly helloTimer: NodeJS.Timeout;
  helloSeen: boolean;
  agent: AgentRecord | null;
  version: string;
  lastHeartbeatAt: string | null;
  directoryKind: 'ad' | 'openldap' | null;
  directoryReachable: boolean;
  rights: RightsReport | null;
  alive: boolean;
  missed: number;
  closed: boolean;
  readonly jobs: Map<string, PendingJob>;
  sync: PendingSync | null;
  /** Syncs given up on (failed, timed out): their remaining pages are ignored quietly. */
  readonly abandoned: Set<string>;
}

/** The agent left with the job in flight: no result will come. */
class AgentGone extends Error {
  override readonly name = 'AgentGone';
}

const connectivity = (reason: 'no-agent' | 'timeout' | 'agent-disconnected'): SsprError =>
  new SsprError('ON_PREMISES_CONNECTIVITY', { details: { reason } });

const isErrorName = (name: string): name is ErrorName => Object.hasOwn(errorRegistry, name);

/** The SsprError an agent's wire error stands for (unknown names: DIRECTORY_ERROR). */
export function errorFromWire(error: WireError | undefined): SsprError {
  if (error === undefined) return new SsprError('DIRECTORY_ERROR');
  if (isErrorName(error.name)) {
    return new SsprError(error.name, error.details === undefined ? {} : { details: error.details });
  }
  return new SsprError('DIRECTORY_ERROR', { details: { agentError: error.name.slice(0, 100) } });
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

/** The first schema problem, for logs and the close reason (no values, only paths). */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid message';
  const path = issue.path.map(String).join('.');
  return `${path === '' ? 'message' : path}: ${issue.message}`.slice(0, 100);
}

/** Counts pages and objects; the summary reports every user and group as added. */
export function createCountingSyncHandlers(): {
  onSyncPage: SyncPageHandler;
  onSyncDone: SyncDoneHandler;
} {
  const counts = new Map<string, { users: number; groups: number; deleted: number }>();
  return {
    onSyncPage: async (_agentId, syncId, page) => {
      const c = counts.get(syncId) ?? { users: 0, groups: 0, deleted: 0 };
      c.users += page.users.length;
      c.groups += page.groups.length;
      c.deleted += page.deleted.length;
      counts.set(syncId, c);
    },
    onSyncDone: async (_agentId, syncId, done, context) => {
      const c = counts.get(syncId) ?? { users: 0, groups: 0, deleted: 0 };
      counts.delete(syncId);
      return {
        syncId,
        full: done.full,
        startedAt: context.startedAt,
        finishedAt: new Date().toISOString(),
        users: { added: c.users, updated: 0, deleted: c.deleted },
        groups: { added: c.groups, updated: 0, deleted: 0 },
        error:
          done.error === undefined ? null : { code: done.error.code, message: done.error.message },
      };
    },
  };
}

export function createAgentGateway(options: AgentGatewayOptions): AgentGateway {
  const { store, clock, random, log } = options;
  const jobTimeoutMs = options.jobTimeoutMs ?? DEFAULTS.jobTimeoutMs;
  const heartbeatSeconds = options.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds;
  const syncIntervalSeconds = options.syncIntervalSeconds ?? DEFAULTS.syncIntervalSeconds;
  const helloTimeoutMs = options.helloTimeoutMs ?? DEFAULTS.helloTimeoutMs;
  const syncTimeoutMs = options.syncTimeoutMs ?? DEFAULTS.syncTimeoutMs;
  const syncCookie = options.syncCookie ?? (() => Promise.resolve(null));
  const counting = createCountingSyncHandlers();
  const onSyncPage = options.onSyncPage ?? counting.onSyncPage;
  const onSyncDone = options.onSyncDone ?? counting.onSyncDone;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
    perMessageDeflate: false,
  });
  /** Every open socket, authenticated or not. */
  const connections = new Set<Connection>();
  /** Welcomed agents by id (one connection each: a newer one replaces the older). */
  const agents = new Map<string, Connection>();
  const lastSync = new Map<string, SyncSummary>();
  /** Expired job ids (insertion-ordered, bounded): a result arriving later is logged and ignored. */
  const expired = new Set<string>();
  let roundRobin = 0;
  let closing = false;
  let syncInFlight: { full: boolean; promise: Promise<SyncSummary> } | null = null;

  const nowIso = (): string => clock.now().toISOString();

  function rememberExpired(jobId: string): void {
    expired.add(jobId);
    if (expired.size > EXPIRED_MEMORY) {
      const oldest = expired.values().next();
      if (oldest.done !== true) expired.delete(oldest.value);
    }
  }

  function send(conn: Connection, message: ServerMessage): boolean {
    // Our own messages are validated too: a bug here must not reach an agent.
    const checked = serverMessageSchema.parse(message);
    if (conn.socket.readyState !== WebSocket.OPEN) return false;
    conn.socket.send(JSON.stringify(checked));
    return true;
  }

  function closeWith(conn: Connection, code: number, reason: string): void {
    if (
      conn.socket.readyState === WebSocket.OPEN ||
      conn.socket.readyState === WebSocket.CONNECTING
    ) {
      conn.socket.close(code, reason.slice(0, 120));
    }
  }

  function protocolError(conn: Connection, problem: string): void {
    log.warn(
      { agentId: conn.agent?.id ?? conn.claimedId, remote: conn.remote, problem },
      'agent sent an invalid message; closing the connection',
    );
    closeWith(conn, closeCodes.protocolError, `AGENT_PROTOCOL_ERROR: ${problem}`);
  }

  function unauthorized(conn: Connection, problem: string): void {
    log.warn(
      { agentId: conn.claimedId, remote: conn.remote, problem },
      'agent refused: authentication failed',
    );
    closeWith(conn, closeCodes.unauthorized, `AGENT_AUTHENTICATION_FAILED: ${problem}`);
  }

  const isHealthy = (conn: Connection): boolean =>
    conn.agent !== null &&
    !conn.closed &&
    conn.directoryReachable &&
    conn.socket.readyState === WebSocket.OPEN;

  /** The next healthy agent, round-robin in agent-id order, skipping `excluded`. */
  function pick(excluded: ReadonlySet<Connection>): Connection | undefined {
    const healthy = [...agents.values()]
      .filter((c) => isHealthy(c) && !excluded.has(c))
      .sort((a, b) => a.claimedId.localeCompare(b.claimedId));
    if (healthy.length === 0) return undefined;
    const chosen = healthy[roundRobin % healthy.length];
    roundRobin = (roundRobin + 1) % 1_000_000;
    return chosen;
  }

  // -------------------------------------------------------------------------------------------
  // Jobs

  function runOn(
    conn: Connection,
    op: JobOp,
    params: JobParams,
    secret: JobSecret | undefined,
  ): Promise<unknown> {
    const agent = conn.agent;
    if (agent === null) return Promise.reject(new AgentGone());
    const jobId = random.uuid();
    const deadline = new Date(clock.now().getTime() + jobTimeoutMs).toISOString();
    const sealed =
      secret === undefined
        ? undefined
        : seal(agent.encryptionPublicKey, new TextEncoder().encode(JSON.stringify(secret)), jobId);
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.jobs.delete(jobId);
        rememberExpired(jobId);
        log.warn(
          { jobId, op, agentId: agent.id, timeoutMs: jobTimeoutMs },
          'agent job expired: no answer in time',
        );
        reject(connectivity('timeout'));
      }, jobTimeoutMs);
      conn.jobs.set(jobId, { op, sentAt: Date.now(), timer, resolve, reject });
      let sent = false;
      try {
        sent = send(conn, {
          v: PROTOCOL_VERSION,
          type: 'job',
          jobId,
          op,
          params,
          ...(sealed === undefined ? {} : { secret: sealed }),
          deadline,
        });
      } catch (error) {
        clearTimeout(timer);
        conn.jobs.delete(jobId);
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (!sent) {
        clearTimeout(timer);
        conn.jobs.delete(jobId);
        reject(new AgentGone());
      }
    });
  }

  async function dispatch(op: JobOp, params: JobParams, secret?: JobSecret): Promise<unknown> {
    const retryable = secret === undefined && retryableOps.has(op);
    const tried = new Set<Connection>();
    for (;;) {
      const conn = pick(tried);
      if (conn === undefined) {
        if (tried.size === 0) log.warn({ op, agents: agents.size }, 'no healthy agent for a job');
        throw connectivity(tried.size === 0 ? 'no-agent' : 'agent-disconnected');
      }
      tried.add(conn);
      try {
        return await runOn(conn, op, params, secret);
      } catch (error) {
        if (!(error instanceof AgentGone)) throw error;
        if (!retryable || tried.size > 1) throw connectivity('agent-disconnected');
        log.info(
          { op, agentId: conn.claimedId },
          'agent left during a read job; retrying once on another agent',
        );
      }
    }
  }

  function onJobResult(conn: Connection, message: JobResultMessage): void {
    const agentId = conn.agent?.id;
    const pending = conn.jobs.get(message.jobId);
    if (pending === undefined) {
      const late = expired.has(message.jobId);
      log.warn(
        { jobId: message.jobId, agentId, ok: message.ok, code: message.error?.code },
        late
          ? 'late agent job result ignored: the job had already expired'
          : 'agent job result for an unknown job ignored',
      );
      return;
    }
    conn.jobs.delete(message.jobId);
    clearTimeout(pending.timer);
    const ms = Date.now() - pending.sentAt;
    if (!message.ok) {
      const error = errorFromWire(message.error);
      log.info(
        { jobId: message.jobId, op: pending.op, agentId, ms, code: error.code },
        'agent job rejected',
      );
      pending.reject(error);
      return;
    }
    const schema = resultSchemas[pending.op];
    if (schema === undefined) {
      log.info({ jobId: message.jobId, op: pending.op, agentId, ms }, 'agent job applied');
      pending.resolve(undefined);
      return;
    }
    const parsed = schema.safeParse(message.result);
    if (!parsed.success) {
      log.warn(
        { jobId: message.jobId, op: pending.op, agentId, problem: firstIssue(parsed.error) },
        'agent job result does not match its operation',
      );
      pending.reject(
        new SsprError('DIRECTORY_ERROR', { details: { reason: 'invalid agent result' } }),
      );
      return;
    }
    log.info({ jobId: message.jobId, op: pending.op, agentId, ms }, 'agent job done');
    pending.resolve(parsed.data);
  }

  // -------------------------------------------------------------------------------------------
  // Sync

  function finishSync(conn: Connection, pending: PendingSync): void {
    clearTimeout(pending.timer);
    if (conn.sync === pending) conn.sync = null;
  }

  function failSync(conn: Connection, pending: PendingSync, error: Error): void {
    if (pending.failed) return;
    pending.failed = true;
    finishSync(conn, pending);
    conn.abandoned.add(pending.syncId);
    if (pending.queued > 0 && !conn.closed) conn.socket.resume();
    log.warn(
      {
        syncId: pending.syncId,
        agentId: conn.claimedId,
        code: error instanceof SsprError ? error.code : undefined,
        error: error.message,
      },
      'directory sync failed',
    );
    pending.reject(error);
  }

  function onSyncPageMessage(conn: Connection, page: SyncPageMessage): void {
    const pending = conn.sync;
    if (pending?.syncId !== page.syncId || pending.failed) {
      if (!conn.abandoned.has(page.syncId)) {
        log.warn(
          { syncId: page.syncId, agentId: conn.claimedId },
          'sync page for an unknown sync ignored',
        );
      }
      return;
    }
    if (page.seq !== pending.nextSeq) {
      failSync(
        conn,
        pending,
        new SsprError('SYNC_FAILED', {
          details: { reason: `page ${String(page.seq)} arrived out of order` },
        }),
      );
      return;
    }
    pending.nextSeq += 1;
    // Backpressure: stop reading while the store applies the page; TCP slows the agent down.
    pending.queued += 1;
    conn.socket.pause();
    const agentId = conn.claimedId;
    pending.chain = pending.chain
      .then(async () => {
        if (!pending.failed) await onSyncPage(agentId, pending.syncId, page, pending.context);
      })
      .catch((error: unknown) => {
        failSync(conn, pending, error instanceof Error ? error : new Error(String(error)));
      })
      .finally(() => {
        pending.queued -= 1;
        if (pending.queued === 0 && !conn.closed) conn.socket.resume();
      });
  }

  function onSyncDoneMessage(conn: Connection, done: SyncDoneMessage): void {
    const pending = conn.sync;
    if (pending?.syncId !== done.syncId || pending.failed) {
      if (!conn.abandoned.delete(done.syncId)) {
        log.warn(
          { syncId: done.syncId, agentId: conn.claimedId },
          'sync done for an unknown sync ignored',
        );
      }
      return;
    }
    const agentId = conn.claimedId;
    pending.chain = pending.chain.then(async () => {
      if (pending.failed) return;
      if (done.ok && done.pages !== pending.nextSeq) {
        failSync(
          conn,
          pending,
          new SsprError('SYNC_FAILED', {
            details: {
              reason: `${String(done.pages)} pages announced, ${String(pending.nextSeq)} received`,
            },
          }),
        );
        return;
      }
      try {
        const summary = await onSyncDone(agentId, pending.syncId, done, pending.context);
        lastSync.set(agentId, summary);
        finishSync(conn, pending);
        if (done.ok) {
          log.info(
            {
              syncId: pending.syncId,
              agentId,
              full: done.full,
              pages: done.pages,
              users: summary.users,
              groups: summary.groups,
            },
            'directory sync done',
          );
          pending.resolve(summary);
        } else {
          const cause = errorFromWire(done.error);
          failSync(
            conn,
            pending,
            new SsprError('SYNC_FAILED', { details: { agentError: cause.code }, cause }),
          );
        }
      } catch (error) {
        failSync(conn, pending, error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  async function startSync(full: boolean): Promise<SyncSummary> {
    const conn = pick(new Set());
    if (conn === undefined) throw connectivity('no-agent');
    const syncId = random.uuid();
    const context: SyncContext = { startedAt: nowIso(), requestedFull: full };
    const cookie = full ? null : await syncCookie();
    if (conn.sync !== null) {
      // A run given up on is still streaming on this connection: its pages are ignored.
      conn.abandoned.add(conn.sync.syncId);
      conn.sync = null;
    }
    return new Promise<SyncSummary>((resolve, reject) => {
      const pending: PendingSync = {
        syncId,
        context,
        nextSeq: 0,
        queued: 0,
        chain: Promise.resolve(),
        failed: false,
        resolve,
        reject,
        timer: setTimeout(() => {
          failSync(
            conn,
            pending,
            new SsprError('SYNC_FAILED', {
              details: {
                reason: `no sync.done within ${String(Math.round(syncTimeoutMs / 1000))} s`,
              },
            }),
          );
        }, syncTimeoutMs),
      };
      conn.sync = pending;
      log.info({ syncId, agentId: conn.claimedId, full }, 'directory sync requested');
      if (!send(conn, { v: PROTOCOL_VERSION, type: 'sync.request', syncId, full, cookie })) {
        failSync(conn, pending, connectivity('agent-disconnected'));
      }
    });
  }

  async function sync(full: boolean): Promise<SyncSummary> {
    // One run at a time: a request covered by the running one joins it, others queue behind it.
    while (syncInFlight !== null) {
      const running = syncInFlight;
      if (running.full || !full) return running.promise;
      await running.promise.catch(() => undefined);
    }
    const promise = startSync(full);
    const entry = { full, promise };
    syncInFlight = entry;
    try {
      return await promise;
    } finally {
      if (syncInFlight === entry) syncInFlight = null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Connections

  async function onHello(conn: Connection, hello: HelloMessage): Promise<void> {
    clearTimeout(conn.helloTimer);
    if (hello.agentId !== conn.claimedId) {
      unauthorized(conn, 'the hello names another agent than the connection');
      return;
    }
    let record: AgentRecord | null;
    try {
      record = await store.agents.findById(hello.agentId);
    } catch (error) {
      log.warn({ agentId: hello.agentId, error: String(error) }, 'agent lookup failed');
      closeWith(conn, 1011, 'the server cannot check agents right now');
      return;
    }
    if (record === null) {
      unauthorized(conn, 'unknown agent');
      return;
    }
    if (record.revokedAt !== null) {
      unauthorized(conn, 'the agent was revoked');
      return;
    }
    if (!verifyHello(record.signingPublicKey, hello.agentId, conn.nonce, hello.signature)) {
      unauthorized(conn, 'bad signature');
      return;
    }
    if (conn.closed || closing) return;
    const previous = agents.get(record.id);
    if (previous !== undefined && previous !== conn) {
      log.warn({ agentId: record.id }, 'agent connected again; closing its older connection');
      agents.delete(record.id);
      closeWith(previous, closeCodes.replaced, 'replaced by a newer connection of the same agent');
      failConnectionWork(previous);
    }
    conn.agent = record;
    conn.version = hello.version;
    conn.directoryKind = hello.directory.kind;
    conn.directoryReachable = hello.directory.reachable;
    conn.rights = hello.directory.rights;
    conn.lastHeartbeatAt = nowIso();
    agents.set(record.id, conn);
    touch(conn);
    send(conn, {
      v: PROTOCOL_VERSION,
      type: 'welcome',
      agentId: record.id,
      heartbeatSeconds,
      syncIntervalSeconds,
      serverTime: nowIso(),
    });
    log.info(
      {
        agentId: record.id,
        name: record.name,
        version: hello.version,
        remote: conn.remote,
        directoryKind: hello.directory.kind,
        directoryReachable: hello.directory.reachable,
        rightsOk: hello.directory.rights?.ok ?? null,
      },
      'agent connected',
    );
  }

  function touch(conn: Connection): void {
    const agent = conn.agent;
    if (agent === null) return;
    store.agents.touch(agent.id, nowIso(), conn.version).catch((error: unknown) => {
      log.warn({ agentId: agent.id, error: String(error) }, 'could not record the agent heartbeat');
    });
  }

  function onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    conn.alive = true;
    if (isBinary) {
      protocolError(conn, 'binary messages are not part of the protocol');
      return;
    }
    if (conn.agent === null && rawLength(data) > UNAUTHENTICATED_MAX_BYTES) {
      protocolError(conn, 'message too large before authentication');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawText(data));
    } catch {
      protocolError(conn, 'not JSON');
      return;
    }
    const parsed = agentMessageSchema.safeParse(json);
    if (!parsed.success) {
      protocolError(conn, firstIssue(parsed.error));
      return;
    }
    const message: AgentMessage = parsed.data;
    if (message.type === 'hello') {
      if (conn.helloSeen) {
        protocolError(conn, 'hello sent twice');
        return;
      }
      conn.helloSeen = true;
      onHello(conn, message).catch((error: unknown) => {
        log.warn({ agentId: conn.claimedId, error: String(error) }, 'agent hello failed');
        closeWith(conn, 1011, 'internal error');
      });
      return;
    }
    if (conn.agent === null) {
      unauthorized(conn, 'hello expected first');
      return;
    }
    switch (message.type) {
      case 'heartbeat': {
        const wasReachable = conn.directoryReachable;
        conn.lastHeartbeatAt = nowIso();
        conn.directoryReachable = message.directoryReachable;
        if (wasReachable !== message.directoryReachable) {
          log.warn(
            { agentId: conn.agent.id, directoryReachable: message.directoryReachable },
            message.directoryReachable
              ? 'agent reaches its directory again'
              : 'agent cannot reach its directory',
          );
        }
        touch(conn);
        return;
      }
      case 'job.result':
        onJobResult(conn, message);
        return;
      case 'sync.page':
        onSyncPageMessage(conn, message);
        return;
      case 'sync.done':
        onSyncDoneMessage(conn, message);
        return;
    }
  }

  /** Fails what a leaving connection had in flight. Jobs are not resent (at most once). */
  function failConnectionWork(conn: Connection): void {
    for (const [jobId, job] of conn.jobs) {
      clearTimeout(job.timer);
      rememberExpired(jobId);
      log.warn(
        { jobId, op: job.op, agentId: conn.claimedId },
        'agent left with a job in flight; not resent',
      );
      job.reject(new AgentGone());
    }
    conn.jobs.clear();
    if (conn.sync !== null) {
      failSync(
        conn,
        conn.sync,
        new SsprError('SYNC_FAILED', { details: { reason: 'the agent disconnected' } }),
      );
    }
  }

  function onClose(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    conn.closed = true;
    clearTimeout(conn.helloTimer);
    connections.delete(conn);
    if (conn.agent !== null && agents.get(conn.agent.id) === conn) {
      agents.delete(conn.agent.id);
      log.warn({ agentId: conn.agent.id, code, reason }, 'agent disconnected');
    }
    failConnectionWork(conn);
  }

  function onConnection(socket: WebSocket, claimedId: string, request: IncomingMessage): void {
    const conn: Connection = {
      socket,
      claimedId,
      remote: request.socket.remoteAddress,
      nonce: Buffer.from(random.bytes(32)).toString('base64url'),
      connectedAt: nowIso(),
      helloTimer: setTimeout(() => {
        unauthorized(conn, `no hello within ${String(helloTimeoutMs / 1000)} s`);
      }, helloTimeoutMs),
      helloSeen: false,
      agent: null,
      version: '',
      lastHeartbeatAt: null,
      directoryKind: null,
      directoryReachable: false,
      rights: null,
      alive: true,
      missed: 0,
      closed: false,
      jobs: new Map(),
      sync: null,
      abandoned: new Set(),
    };
    connections.add(conn);
    socket.on('message', (data, isBinary) => {
      onMessage(conn, data, isBinary);
    });
    socket.on('pong', () => {
      conn.alive = true;
      conn.missed = 0;
    });
    socket.on('close', (code, reason) => {
      onClose(conn, code, reason.toString('utf8'));
    });
    socket.on('error', (error) => {
      log.warn({ agentId: conn.claimedId, error: error.message }, 'agent connection error');
    });
    send(conn, { v: PROTOCOL_VERSION, type: 'challenge', nonce: conn.nonce });
  }

  function onUpgrade(server: HttpServer) {
    return (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      const url = new URL(request.url ?? '/', 'http://agent.invalid');
      if (url.pathname !== AGENT_CONNECT_PATH) {
        // Nobody else serves upgrades on this server: refuse instead of leaving the socket open.
        if (server.listenerCount('upgrade') <= 1) socket.destroy();
        return;
      }
      const agentId = url.searchParams.get('agentId');
      socket.on('error', () => undefined);
      if (closing || agentId === null || agentId.length < 1 || agentId.length > 100) {
        const status = closing ? '503 Service Unavailable' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        onConnection(ws, agentId, request);
      });
    };
  }

  const upgradeListeners = new Map<HttpServer, ReturnType<typeof onUpgrade>>();

  // Heartbeat (ws README, "How to detect and close broken connections"): ping every interval;
  // a connection that answered no ping for two intervals is terminated.
  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (conn.closed) continue;
      if (!conn.alive) {
        conn.missed += 1;
        if (conn.missed >= 2) {
          log.warn(
            { agentId: conn.claimedId },
            'agent missed two heartbeats; dropping the connection',
          );
          conn.socket.terminate();
          continue;
        }
      }
      conn.alive = false;
      if (conn.socket.readyState === WebSocket.OPEN) conn.socket.ping();
    }
  }, heartbeatSeconds * 1000);
  heartbeat.unref();

  function agentStatus(record: AgentRecord): AgentStatus {
    const conn = agents.get(record.id);
    return {
      agentId: record.id,
      name: record.name,
      version: conn?.version ?? record.version,
      connected: conn !== undefined,
      connectedAt: conn?.connectedAt ?? null,
      lastHeartbeatAt: conn?.lastHeartbeatAt ?? record.lastSeenAt,
      directoryKind: conn?.directoryKind ?? null,
      directoryReachable: conn?.directoryReachable ?? false,
      rights: conn?.rights ?? null,
      lastSync: lastSync.get(record.id) ?? null,
    };
  }

  function disconnectAgent(agentId: string): boolean {
    const conn = agents.get(agentId);
    if (conn === undefined) return false;
    conn.socket.terminate();
    return true;
  }

  const link: AgentLink = {
    disconnect: disconnectAgent,
    async status(): Promise<WritebackStatus> {
      const records = (await store.agents.list()).filter((r) => r.revokedAt === null);
      const statuses = records.map(agentStatus);
      const connected = statuses.filter((s) => s.connected);
      const reachable = connected.filter((s) => s.directoryReachable);
      const able = reachable.filter((s) => s.rights?.ok !== false);
      let reason: string | null = null;
      if (connected.length === 0) reason = statusReasons.noAgent;
      else if (reachable.length === 0) reason = statusReasons.unreachable;
      else if (able.length === 0) {
        const failing = (reachable[0]?.rights?.checks ?? [])
          .filter((c) => !c.ok)
          .map((c) => (c.detail === undefined ? c.check : `${c.check} (${c.detail})`));
        reason = `${statusReasons.rights}${failing.join('; ') || 'see the agent log'}.`;
      }
      return { ready: reason === null, reason, agents: statuses };
    },

    async findUser(query) {
      const user = await dispatch('findUser', { by: query.by, value: query.value });
      return user as z.infer<typeof directoryUserSchema> | null;
    },

    async resetPassword(dn, newPassword, resetOptions) {
      await dispatch(
        'resetPassword',
        { dn, unlock: resetOptions.unlock, mustChange: resetOptions.mustChange },
        { newPassword },
      );
    },

    async changePassword(dn, oldPassword, newPassword) {
      await dispatch('changePassword', { dn }, { oldPassword, newPassword });
    },

    async unlock(dn) {
      await dispatch('unlock', { dn });
    },

    async setMustChange(dn, mustChange) {
      await dispatch('setMustChange', { dn, mustChange });
    },

    async verifyPassword(dn, password) {
      await dispatch('verifyPassword', { dn }, { password });
    },

    async readAccountState(dn) {
      return (await dispatch('readAccountState', { dn })) as z.infer<typeof accountStateSchema>;
    },

    async readPasswordPolicy(dn) {
      return (await dispatch('readPasswordPolicy', { dn })) as z.infer<typeof passwordPolicySchema>;
    },

    sync: (syncOptions) => sync(syncOptions.full),
  };

  return {
    link,

    attach(server) {
      if (upgradeListeners.has(server)) return;
      const listener = onUpgrade(server);
      upgradeListeners.set(server, listener);
      server.on('upgrade', listener);
    },

    disconnect: disconnectAgent,

    async close() {
      if (closing) return;
      closing = true;
      clearInterval(heartbeat);
      for (const [server, listener] of upgradeListeners) server.off('upgrade', listener);
      upgradeListeners.clear();
      const open = [...connections];
      await Promise.all(
        open.map(
          (conn) =>
            new Promise<void>((resolve) => {
              if (conn.closed) {
                resolve();
                return;
              }
              const force = setTimeout(() => {
                conn.socket.terminate();
              }, 2000);
              conn.socket.once('close', () => {
                clearTimeout(force);
                resolve();
              });
              closeWith(conn, closeCodes.goingAway, 'server shutting down');
              if (conn.socket.readyState === WebSocket.CLOSED) {
                clearTimeout(force);
                onClose(conn, closeCodes.goingAway, 'server shutting down');
                resolve();
              }
            }),
        ),
      );
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
    },
  };
}
