/**
 * On-premises integration status (GET /admin/agents): writeback readiness with its reason, the
 * directory's warnings, each agent (connection, heartbeat, directory, rights checks, last sync)
 * and "Sync now" (POST /admin/sync, delta or full).
 */
// Types only (erased by esbuild): the admin API answers what the server's port describes.
import type {
  AgentStatus,
  SyncSummary,
  WritebackStatus,
} from '../../src/domain/ports/agent-link.js';
import { api } from '../shared/api.js';
import { el } from '../shared/dom.js';
import type { AdminContext } from './context.js';
import { format, type Messages } from './i18n.js';
import { facts } from '../shared/table.js';
import { createStatus, formatTime, yesNo } from './ui.js';

/** The sync run's counts (one of SyncSummary's users / groups). */
type Counts = SyncSummary['users'];

interface AgentsOverview {
  readonly writeback: WritebackStatus;
  readonly sync: {
    readonly state: {
      readonly deltaReady: boolean;
      readonly lastFullAt: string | null;
      readonly lastDeltaAt: string | null;
      readonly users: number;
      readonly groups: number;
    };
    readonly last: SyncSummary | null;
  };
  readonly warnings: readonly string[];
}

function countsText(t: Messages, c: Counts): string {
  return format(t.syncCounts, { added: c.added, updated: c.updated, deleted: c.deleted });
}

function syncText(t: Messages, s: SyncSummary | null): string {
  if (s === null) return t.never;
  const kind = s.full ? t.syncFull : t.syncDelta;
  const base = `${kind}, ${formatTime(s.finishedAt ?? s.startedAt)} — ${t.users}: ${countsText(t, s.users)}; ${t.groups}: ${countsText(t, s.groups)}`;
  return s.error === null ? base : `${base} — ${s.error.code}: ${s.error.message}`;
}

function agentCard(t: Messages, agent: AgentStatus): HTMLElement {
  const heading = el('h3', {}, `${agent.name} (${agent.version})`);
  const rights =
    agent.rights === null
      ? el('p', {}, t.rightsUnknown)
      : el(
          'ul',
          { className: 'checks' },
          ...agent.rights.checks.map((c) =>
            el(
              'li',
              { className: c.ok ? 'ok' : 'fail' },
              `${c.ok ? '✓' : '✗'} ${c.check}${c.detail === undefined ? '' : ` — ${c.detail}`}`,
            ),
          ),
        );
  return el(
    'article',
    { className: 'agent' },
    heading,
    facts([
      [t.agentConnected, yesNo(t, agent.connected)],
      [t.agentLastHeartbeat, formatTime(agent.lastHeartbeatAt)],
      [t.agentDirectory, agent.directoryKind ?? '—'],
      [t.agentDirectoryReachable, yesNo(t, agent.directoryReachable)],
      [t.agentRights, agent.rights === null ? '—' : yesNo(t, agent.rights.ok)],
      [t.agentLastSync, syncText(t, agent.lastSync)],
    ]),
    el('h4', {}, t.agentRightsChecks),
    rights,
  );
}

export async function renderAgents(ctx: AdminContext, container: HTMLElement): Promise<void> {
  const t = ctx.t;
  const status = createStatus(t);
  const body = el('div');
  const delta = el('button', { type: 'button' }, t.syncNowDelta);
  const full = el('button', { type: 'button', className: 'secondary' }, t.syncNowFull);
  const canSync = ctx.can('sync');
  delta.disabled = !canSync;
  full.disabled = !canSync;
  container.replaceChildren(
    el('h2', {}, t.agentsHeading),
    body,
    el('div', { className: 'actions' }, delta, full),
    ...(canSync ? [] : [el('p', { className: 'notice' }, t.readOnlySync)]),
    status.element,
  );

  const load = async (): Promise<void> => {
    const overview = await api<AgentsOverview>('GET', '/admin/agents');
    const w = overview.writeback;
    const ready = el(
      'p',
      { className: w.ready ? 'badge ok' : 'badge fail' },
      w.ready ? t.writebackReady : format(t.writebackNotReady, { reason: w.reason ?? '—' }),
    );
    const state = overview.sync.state;
    body.replaceChildren(
      ready,
      ...(overview.warnings.length > 0
        ? [
            el('h3', {}, t.warnings),
            el('ul', { className: 'warnings' }, ...overview.warnings.map((w) => el('li', {}, w))),
          ]
        : []),
      el('h3', {}, t.syncState),
      facts([
        [t.syncLastFull, formatTime(state.lastFullAt)],
        [t.syncLastDelta, formatTime(state.lastDeltaAt)],
        [t.syncObjects, format(t.syncObjectCounts, { users: state.users, groups: state.groups })],
        [t.syncLast, syncText(t, overview.sync.last)],
      ]),
      el('h3', {}, format(t.agentsCount, { n: w.agents.length })),
      ...(w.agents.length === 0 ? [el('p', {}, t.noAgents)] : w.agents.map((a) => agentCard(t, a))),
    );
  };

  const run = (fullSync: boolean): void => {
    delta.disabled = true;
    full.disabled = true;
    status.info(t.syncRunning);
    void (async () => {
      try {
        const summary = await api<SyncSummary>('POST', '/admin/sync', { full: fullSync });
        if (summary.error === null) status.ok(`${t.syncDone} ${syncText(t, summary)}`);
        else status.info(syncText(t, summary));
        await load();
      } catch (error) {
        status.error(error);
      } finally {
        delta.disabled = !canSync;
        full.disabled = !canSync;
      }
    })();
  };
  delta.addEventListener('click', () => {
    run(false);
  });
  full.addEventListener('click', () => {
    run(true);
  });
  try {
    await load();
  } catch (error) {
    status.error(error);
  }
}
