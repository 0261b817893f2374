/**
 * Directory sync, server side (product.md P2): applies the pages an agent sends to the store, and
 * finishes each run with deletion detection behind the accidental-delete guard, the new delta
 * cookie, an audit event and a summary. The agent gateway calls `onSyncPage` / `onSyncDone`; the
 * scheduler below asks the AgentLink for a sync every `sync.intervalSeconds`.
 *
 * - Pages are applied as they arrive, each in one transaction (users, then groups; members are
 *   resolved whatever the order, see DirectorySyncRepository).
 * - A FULL run deletes the directory objects the run did not see (`last_synced_at` older than the
 *   run's start); a DELTA run deletes what its pages list in `deleted`. Both are refused as a whole
 *   when they would delete more than `maxDeletes` users (Entra's "prevent accidental deletes",
 *   500): nothing is deleted, the cookie is not advanced (the next delta sends the same changes
 *   again), the summary carries SSPR_5104 and the audit log a failure.
 * - Users whose UPN is held by another user are not stored (conflicts, in the summary's details);
 *   they are tried again at the end of the run, after its deletions (a user deleted and recreated
 *   with the same UPN in one delta).
 */
import { errorRegistry } from '../domain/errors/registry.js';
import { SsprError } from '../domain/errors/sspr-error.js';
import { parseEmail, parsePhone } from '../domain/methods/contact.js';
import type { AgentLink, SyncDetails, SyncSummary } from '../domain/ports/agent-link.js';
import type { Clock } from '../domain/ports/clock.js';
import type { SkippedUser } from '../domain/ports/directory-sync-store.js';
import type { DirectoryChangePage, DirectoryUser } from '../domain/ports/directory.js';
import type { Random } from '../domain/ports/random.js';
import type { Store } from '../domain/ports/store.js';
import { audit } from './audit-log.js';
import type { ServiceLogger } from './deps.js';

/** Settings key of the last run's summary (read by GET /admin/agents on any server). */
export const LAST_SUMMARY_KEY = 'directorySync.lastSummary';
/**
 * Settings key of an admin's one-time override of the accidental-delete guard
 * (`sspr admin sync --allow-deletes`): `{ by, at }`; the next run that finishes clears it.
 */
export const ALLOW_DELETES_KEY = 'directorySync.allowDeletes';

export interface DeleteGuardOverride {
  /** Who allowed it (the admin's UPN or `token:<name>`). */
  readonly by: string;
  readonly at: string;
}

async function readOverride(store: Pick<Store, 'settings'>): Promise<DeleteGuardOverride | null> {
  const value = await store.settings.get(ALLOW_DELETES_KEY);
  if (typeof value !== 'object' || value === null || !('by' in value) || !('at' in value)) {
    return null;
  }
  const { by, at } = value;
  return typeof by === 'string' && typeof at === 'string' ? { by, at } : null;
}

/** An override older than this is ignored (it was meant for a run that did not happen). */
const OVERRIDE_TTL_MS = 60 * 60_000;

export async function clearDeleteGuardOverride(
  store: Pick<Store, 'settings'>,
  clock: Clock,
): Promise<void> {
  await store.settings.set(ALLOW_DELETES_KEY, null, clock.now().toISOString());
}

/** Lets the next run (finishing within the hour) delete more than `sync.maxDeletes` users. */
export async function allowDeletesOnce(
  store: Pick<Store, 'settings'>,
  override: DeleteGuardOverride,
): Promise<void> {
  await store.settings.set(ALLOW_DELETES_KEY, override, override.at);
}
/** Summaries kept in memory. */
const HISTORY_SIZE = 20;
/** Conflicting users kept (with their attributes) to retry at the end of a run, and listed. */
const CONFLICTS_RETRIED = 1000;
const CONFLICTS_LISTED = 50;
/** A run with no page or done for this long is forgotten (the gateway gives up after 10 min). */
const RUN_TTL_MS = 60 * 60_000;

/** One page, as the gateway hands it over (the wire message fits). */
export interface SyncPageInput extends DirectoryChangePage {
  readonly seq?: number;
}

/** The end of a run, as the agent reports it (the wire `sync.done` message fits). */
export interface SyncDoneInput {
  readonly ok: boolean;
  /** What the agent did: a delta request with a stale cookie comes back as a full scan. */
  readonly full: boolean;
  readonly cookie: string | null;
  readonly pages?: number;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
}

/** What the gateway knows about the run (the server-side start time of a requested run). */
export interface SyncRunContext {
  readonly startedAt: string;
  readonly requestedFull?: boolean;
}

export interface SyncIngestOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: ServiceLogger;
  /** Accidental-delete guard: most users one run may delete; 0 = no guard. */
  readonly maxDeletes: number;
  /** Copy mail / mobile / telephoneNumber into the pre-populated contact columns. */
  readonly prepopulateContacts: boolean;
}

/** Function properties (not methods): the gateway takes them unbound. */
export interface SyncIngest {
  readonly onSyncPage: (
    agentId: string,
    syncId: string,
    page: SyncPageInput,
    context?: SyncRunContext,
  ) => Promise<void>;
  readonly onSyncDone: (
    agentId: string,
    syncId: string,
    done: SyncDoneInput,
    context?: SyncRunContext,
  ) => Promise<SyncSummary>;
  /** The last finished run of this process, or null. */
  readonly lastSummary: () => SyncSummary | null;
  /** The last runs of this process, newest first. */
  readonly history: () => readonly SyncSummary[];
}

interface Counts {
  added: number;
  updated: number;
  unchanged: number;
}

interface Run {
  readonly agentId: string;
  readonly syncId: string;
  readonly startedAt: string;
  lastActivity: number;
  pages: number;
  readonly users: Counts;
  readonly groups: Counts;
  /** externalIds to delete at the end: a delta's `deleted`, critical objects seen in the run. */
  readonly deletes: Set<string>;
  /** UPN conflicts by externalId; `user` kept (up to a bound) to retry after the deletions. */
  readonly conflicts: Map<string, { skipped: SkippedUser; user: DirectoryUser | null }>;
  critical: number;
  invalid: number;
  invalidContacts: number;
  chain: Promise<void>;
}

const zero = (): Counts => ({ added: 0, updated: 0, unchanged: 0 });

function add(into: Counts, from: Counts): void {
  into.added += from.added;
  into.updated += from.updated;
  into.unchanged += from.unchanged;
}

/** Directory contact values the way the methods need them, or null (counted) when unusable. */
function cleanContacts(user: DirectoryUser): { user: DirectoryUser; invalid: number } {
  let invalid = 0;
  const clean = (value: string | null, parse: (v: string) => string): string | null => {
    if (value === null || value.trim() === '') return null;
    try {
      return parse(value);
    } catch {
      invalid += 1;
      return null;
    }
  };
  const mail = clean(user.mail, parseEmail);
  const mobile = clean(user.mobile, parsePhone);
  const telephoneNumber = clean(user.telephoneNumber, parsePhone);
  return { user: { ...user, mail, mobile, telephoneNumber }, invalid };
}

export function createSyncIngest(options: SyncIngestOptions): SyncIngest {
  const { store, clock, random, log, maxDeletes, prepopulateContacts } = options;
  const runs = new Map<string, Run>();
  const summaries: SyncSummary[] = [];
  const newId = () => random.uuid();
  const nowIso = () => clock.now().toISOString();

  function runFor(agentId: string, syncId: string, context: SyncRunContext | undefined): Run {
    const existing = runs.get(syncId);
    const now = clock.now().getTime();
    if (existing !== undefined) {
      if (existing.agentId !== agentId) {
        throw new SsprError('AGENT_PROTOCOL_ERROR', {
          details: { reason: 'the sync belongs to another agent', syncId },
        });
      }
      existing.lastActivity = now;
      return existing;
    }
    for (const [id, run] of runs) {
      if (now - run.lastActivity > RUN_TTL_MS) {
        runs.delete(id);
        log.warn({ syncId: id, agentId: run.agentId }, 'directory sync abandoned (no end)');
      }
    }
    const run: Run = {
      agentId,
      syncId,
      // Without the gateway's request time, the first page's time: every object this run
      // stores is stamped at or after it, so "not seen since" is exactly "not in this run".
      startedAt: context?.startedAt ?? new Date(now).toISOString(),
      lastActivity: now,
      pages: 0,
      users: zero(),
      groups: zero(),
      deletes: new Set(),
      conflicts: new Map(),
      critical: 0,
      invalid: 0,
      invalidContacts: 0,
      chain: Promise.resolve(),
    };
    runs.set(syncId, run);
    return run;
  }

  function noteSkipped(
    run: Run,
    skipped: readonly SkippedUser[],
    users: readonly DirectoryUser[],
  ): void {
    if (skipped.length === 0) return;
    const byId = new Map(users.map((u) => [u.externalId, u]));
    for (const s of skipped) {
      if (s.reason === 'criticalSystemObject') {
        run.critical += 1;
        // Never stored: if an older copy exists, the run removes it (through the guard).
        run.deletes.add(s.externalId);
      } else if (s.reason === 'invalid') {
        run.invalid += 1;
      } else {
        const keep = run.conflicts.size < CONFLICTS_RETRIED;
        const user = keep ? (byId.get(s.externalId) ?? null) : null;
        run.conflicts.set(s.externalId, { skipped: s, user });
      }
    }
  }

  async function applyPage(run: Run, page: SyncPageInput): Promise<void> {
    const cleaned = prepopulateContacts ? page.users.map(cleanContacts) : [];
    const users = prepopulateContacts ? cleaned.map((c) => c.user) : page.users;
    const now = nowIso();
    const result = await store.transaction(async (tx) => {
      const u = await tx.directorySync.upsertUsers(users, now, { newId, prepopulateContacts });
      const g = await tx.directorySync.upsertGroups(page.groups, now, { newId });
      return { u, g };
    });
    run.pages += 1;
    run.invalidContacts += cleaned.reduce((n, c) => n + c.invalid, 0);
    add(run.users, result.u);
    add(run.groups, result.g);
    const skippedIds = new Set(result.u.skipped.map((s) => s.externalId));
    for (const object of [...page.users, ...page.groups]) {
      if (skippedIds.has(object.externalId)) continue;
      // Present again (a delta listing it deleted, then back in scope): not a deletion, not a conflict.
      run.deletes.delete(object.externalId);
      run.conflicts.delete(object.externalId);
    }
    noteSkipped(run, result.u.skipped, users);
    for (const id of page.deleted) run.deletes.add(id);
  }

  function conflictDetails(run: Run): SyncDetails['conflicts'] {
    const items = [...run.conflicts.values()].slice(0, CONFLICTS_LISTED).map(({ skipped }) => ({
      externalId: skipped.externalId,
      userPrincipalName: skipped.userPrincipalName,
      dn: skipped.dn,
      conflictWith: skipped.conflictWith ?? null,
    }));
    return { count: run.conflicts.size, items };
  }

  function summarize(
    run: Run,
    done: SyncDoneInput,
    outcome: {
      error: SyncSummary['error'];
      deleted: { users: number; groups: number };
      refused: SyncDetails['refusedDeletes'];
      guardOverriddenBy?: string | null;
    },
  ): SyncSummary {
    return {
      syncId: run.syncId,
      full: done.full,
      startedAt: run.startedAt,
      finishedAt: nowIso(),
      users: { added: run.users.added, updated: run.users.updated, deleted: outcome.deleted.users },
      groups: {
        added: run.groups.added,
        updated: run.groups.updated,
        deleted: outcome.deleted.groups,
      },
      error: outcome.error,
      details: {
        pages: run.pages,
        unchanged: { users: run.users.unchanged, groups: run.groups.unchanged },
        conflicts: conflictDetails(run),
        skipped: { criticalSystemObjects: run.critical, invalid: run.invalid },
        invalidContacts: run.invalidContacts,
        refusedDeletes: outcome.refused,
        guardOverriddenBy: outcome.guardOverriddenBy ?? null,
      },
    };
  }

  /** Keeps the summary (settings) and audits the run; `tx` may be the run's last transaction. */
  async function record(tx: Store, summary: SyncSummary, agentId: string): Promise<void> {
    await tx.settings.set(LAST_SUMMARY_KEY, summary, summary.finishedAt ?? nowIso());
    const ctx = { correlationId: summary.syncId, ip: null, userAgent: null };
    await audit({ clock, random }, tx, ctx, {
      activity: 'Directory synchronization',
      category: 'DirectoryManagement',
      result: summary.error === null ? 'success' : 'failure',
      resultReason: summary.error?.code ?? null,
      actorUpn: `agent:${agentId}`,
      details: {
        syncId: summary.syncId,
        agentId,
        full: summary.full,
        startedAt: summary.startedAt,
        users: summary.users,
        groups: summary.groups,
        ...(summary.details === undefined
          ? {}
          : {
              pages: summary.details.pages,
              conflicts: summary.details.conflicts.count,
              skipped: summary.details.skipped,
              invalidContacts: summary.details.invalidContacts,
              refusedDeletes: summary.details.refusedDeletes,
              guardOverriddenBy: summary.details.guardOverriddenBy,
            }),
        ...(summary.error === null ? {} : { error: summary.error }),
      },
    });
  }

  /** Deletions (behind the guard), conflict retries, the new cookie, the audit: one transaction. */
  async function finish(run: Run, done: SyncDoneInput): Promise<SyncSummary> {
    const none = { users: 0, groups: 0 };
    if (!done.ok) {
      const code = done.error?.code ?? errorRegistry.SYNC_FAILED.code;
      const message = done.error?.message ?? errorRegistry.SYNC_FAILED.message;
      const summary = summarize(run, done, {
        error: { code, message },
        deleted: none,
        refused: null,
      });
      await store.transaction((tx) => record(tx, summary, run.agentId));
      return summary;
    }
    const ids = new Set(run.deletes);
    if (done.full) {
      const unseen = await store.directorySync.notSeenSince(run.startedAt);
      for (const id of [...unseen.users, ...unseen.groups]) ids.add(id);
    }
    const toDelete = [...ids];
    const counts =
      toDelete.length === 0 ? none : await store.directorySync.countByExternalIds(toDelete);
    const tripped = maxDeletes > 0 && counts.users > maxDeletes;
    const stored = tripped ? await readOverride(store) : null;
    const override =
      stored !== null && clock.now().getTime() - Date.parse(stored.at) <= OVERRIDE_TTL_MS
        ? stored
        : null;
    if (tripped && override === null) {
      const guard = new SsprError('SYNC_DELETE_GUARD');
      log.warn(
        {
          syncId: run.syncId,
          agentId: run.agentId,
          full: done.full,
          wouldDelete: counts,
          maxDeletes,
        },
        'directory sync: the accidental-delete guard refused the deletions; nothing deleted',
      );
      const error = { code: guard.code, message: guard.message };
      const summary = summarize(run, done, { error, deleted: none, refused: counts });
      await store.transaction((tx) => record(tx, summary, run.agentId));
      return summary;
    }
    return store.transaction(async (tx) => {
      const now = nowIso();
      const deleted =
        toDelete.length === 0 ? none : await tx.directorySync.deleteByExternalIds(toDelete);
      const retry = [...run.conflicts.values()].flatMap((c) => (c.user === null ? [] : [c.user]));
      if (retry.length > 0) {
        const again = await tx.directorySync.upsertUsers(retry, now, {
          newId,
          prepopulateContacts,
        });
        add(run.users, again);
        const still = new Set(again.skipped.map((s) => s.externalId));
        for (const user of retry) {
          if (!still.has(user.externalId)) run.conflicts.delete(user.externalId);
        }
      }
      const before = await tx.directorySync.getState();
      await tx.directorySync.setState(
        {
          cookie: done.cookie,
          lastFullAt: done.full ? now : before.lastFullAt,
          lastDeltaAt: done.full ? before.lastDeltaAt : now,
        },
        now,
      );
      // An override serves one run: the next one is guarded again.
      if ((await readOverride(tx)) !== null) await tx.settings.set(ALLOW_DELETES_KEY, null, now);
      if (override !== null) {
        log.warn(
          { syncId: run.syncId, deleted, maxDeletes, allowedBy: override.by },
          'directory sync: deletions above sync.maxDeletes applied, as allowed by an admin',
        );
      }
      const summary = summarize(run, done, {
        error: null,
        deleted,
        refused: null,
        guardOverriddenBy: override?.by ?? null,
      });
      await record(tx, summary, run.agentId);
      return summary;
    });
  }

  return {
    async onSyncPage(agentId, syncId, page, context) {
      const run = runFor(agentId, syncId, context);
      const applied = run.chain.then(() => applyPage(run, page));
      // The next page waits for this one, whether it failed or not; the caller sees the failure.
      run.chain = applied.catch(() => undefined);
      await applied;
    },

    async onSyncDone(agentId, syncId, done, context) {
      const run = runFor(agentId, syncId, context);
      await run.chain;
      runs.delete(syncId);
      const summary = await finish(run, done);
      summaries.unshift(summary);
      summaries.length = Math.min(summaries.length, HISTORY_SIZE);
      log.info(
        {
          syncId,
          agentId,
          full: summary.full,
          users: summary.users,
          groups: summary.groups,
          conflicts: run.conflicts.size,
          error: summary.error?.code ?? null,
        },
        'directory sync applied',
      );
      return summary;
    },

    lastSummary: () => summaries[0] ?? null,
    history: () => [...summaries],
  };
}

/** The last run's summary as stored in the settings (any server of a cluster), or null. */
export async function loadLastSummary(store: Pick<Store, 'settings'>): Promise<SyncSummary | null> {
  const value = await store.settings.get(LAST_SUMMARY_KEY);
  if (typeof value !== 'object' || value === null || !('syncId' in value)) return null;
  return value as SyncSummary;
}

export interface SchedulerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SyncSchedulerOptions {
  readonly link: Pick<AgentLink, 'status' | 'sync'>;
  readonly store: Pick<Store, 'directorySync'>;
  /** Seconds between runs (after the end of the previous one); 0 = never (manual syncs only). */
  readonly intervalSeconds: number;
  /** Delay before the first attempt (default 5 s, so agents have connected). */
  readonly firstDelayMs?: number;
  readonly log: ServiceLogger;
  readonly timers?: SchedulerTimers;
}

export interface SyncScheduler {
  /** Runs one attempt now unless one is running (what the timer calls). */
  tick(): Promise<void>;
  stop(): void;
}

const defaultTimers: SchedulerTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * Asks the AgentLink for a sync every `intervalSeconds` while an agent that reaches the directory
 * is connected: a full one while the store has no delta cookie, a delta otherwise. Never two at
 * once (the next attempt is scheduled when the previous one ends); failures are logged, not thrown.
 */
export function startSyncScheduler(options: SyncSchedulerOptions): SyncScheduler {
  const { link, store, intervalSeconds, log } = options;
  const timers = options.timers ?? defaultTimers;
  let handle: unknown;
  let running = false;
  let stopped = intervalSeconds <= 0;

  function schedule(ms: number): void {
    if (stopped) return;
    handle = timers.setTimeout(() => {
      handle = undefined;
      void tick();
    }, ms);
  }

  async function tick(): Promise<void> {
    if (running || stopped) return;
    running = true;
    try {
      const status = await link.status();
      if (!status.agents.some((a) => a.connected && a.directoryReachable)) return;
      const { cookie } = await store.directorySync.getState();
      const summary = await link.sync({ full: cookie === null });
      if (summary.error !== null) {
        log.warn(
          { syncId: summary.syncId, code: summary.error.code, message: summary.error.message },
          'scheduled directory sync refused',
        );
      }
    } catch (error) {
      log.warn(
        {
          code: error instanceof SsprError ? error.code : undefined,
          error: error instanceof Error ? error.message : String(error),
        },
        'scheduled directory sync failed',
      );
    } finally {
      running = false;
      if (handle === undefined) schedule(intervalSeconds * 1000);
    }
  }

  schedule(options.firstDelayMs ?? 5000);
  return {
    tick,
    stop() {
      stopped = true;
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
    },
  };
}
