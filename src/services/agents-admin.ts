/**
 * The admin center's on-premises integration page (GET /admin/agents) and "sync now"
 * (POST /admin/sync): agent health and writeback readiness from the AgentLink, the sync state and
 * the last run's summary from the store (so every server of a cluster shows the same).
 */
import { fail, isSsprError, SsprError } from '../domain/errors/sspr-error.js';
import type { AgentLink, SyncSummary, WritebackStatus } from '../domain/ports/agent-link.js';
import type { Store } from '../domain/ports/store.js';
import { audit, type RequestContext } from './audit-log.js';
import type { ServiceDeps } from './deps.js';
import { allowDeletesOnce, clearDeleteGuardOverride, loadLastSummary } from './directory-sync.js';
import type { Actor } from './policy-service.js';

export interface SyncStateView {
  /** False until a full sync completed: the next scheduled sync is then a full one. */
  readonly deltaReady: boolean;
  readonly lastFullAt: string | null;
  readonly lastDeltaAt: string | null;
  /** Directory users and groups in the server's copy. */
  readonly users: number;
  readonly groups: number;
}

export interface AgentsOverview {
  readonly writeback: WritebackStatus;
  readonly sync: { readonly state: SyncStateView; readonly last: SyncSummary | null };
  /** Things the admin should fix (e.g. the directory's minimum password age); may be empty. */
  readonly warnings: readonly string[];
}

/** What the overview shows when the server runs without an agent gateway (cloud-only). */
export const NO_GATEWAY_STATUS: WritebackStatus = {
  ready: false,
  reason: 'No agent is connected.',
  agents: [],
};

export interface AgentsAdminDeps {
  readonly store: Store;
  /** Undefined when this server has no agent gateway (cloud-only). */
  readonly agentLink?: AgentLink | undefined;
}

export async function getAgentsOverview(deps: AgentsAdminDeps): Promise<AgentsOverview> {
  const [writeback, state, objects, last] = await Promise.all([
    deps.agentLink === undefined ? NO_GATEWAY_STATUS : deps.agentLink.status(),
    deps.store.directorySync.getState(),
    deps.store.directorySync.countObjects(),
    loadLastSummary(deps.store),
  ]);
  return {
    writeback,
    sync: {
      state: {
        deltaReady: state.cookie !== null,
        lastFullAt: state.lastFullAt,
        lastDeltaAt: state.lastDeltaAt,
        users: objects.users,
        groups: objects.groups,
      },
      last,
    },
    warnings: await warningsFor(deps, writeback),
  };
}

/**
 * What the admin should know about the directory's policy (the seeds' traps): a minimum password
 * age above 0 breaks resets and changes within that time; a domain controller that cannot enforce
 * history or minimum age on an administrative reset (no policy-hints control: Samba AD) leaves
 * them to OpenSSPR. Read live through the agent from one synced user's effective policy.
 */
async function warningsFor(deps: AgentsAdminDeps, writeback: WritebackStatus): Promise<string[]> {
  const warnings: string[] = [];
  for (const agent of writeback.agents) {
    if (agent.rights !== null && !agent.rights.ok) {
      const failed = agent.rights.checks.filter((c) => !c.ok).map((c) => c.check);
      warnings.push(
        `Agent ${agent.name}: the service account lacks rights (${failed.join('; ')}).`,
      );
    }
  }
  if (!writeback.ready || deps.agentLink === undefined) return warnings;
  const page = await deps.store.users.list({ limit: 200 });
  const sample = page.items.find((u) => u.source === 'directory' && u.directoryDn !== null);
  if (sample?.directoryDn == null) return warnings;
  try {
    const policy = await deps.agentLink.readPasswordPolicy(sample.directoryDn);
    if (policy.minAgeDays > 0) {
      warnings.push(
        `The directory's minimum password age is ${String(policy.minAgeDays)} day(s) (${policy.source}): users who changed their password within that time cannot reset or change it. Set it to 0, as Microsoft's SSPR troubleshooting guides recommend.`,
      );
    }
    const skipped = policy.notEnforcedOnReset.filter((r) => r === 'history' || r === 'minAge');
    if (skipped.length > 0) {
      warnings.push(
        `The directory does not enforce ${skipped.join(' and ')} on the agent's administrative resets (AD without the password-policy-hints control, e.g. Samba; an OpenLDAP ppolicy password administrator). OpenSSPR enforces them itself, history only for passwords set through OpenSSPR.`,
      );
    }
  } catch (error) {
    warnings.push(
      `Could not read the directory password policy (${isSsprError(error) ? error.code : 'unknown error'}).`,
    );
  }
  return warnings;
}

const NO_AGENT_HINT =
  'No agent answered. Check GET /api/v1/admin/agents; start one with `sspr agent` (register it with `sspr admin agent-token create`).';

/**
 * Asks an agent for a sync now and waits until it is applied. The summary comes back even when
 * the run was refused (its `error` is set, e.g. SSPR_5104 by the accidental-delete guard); no
 * agent answering is SSPR_0030. The run itself is audited ('Directory synchronization').
 * `allowDeletes` lifts the guard for the next run that finishes (this one, normally), audited.
 */
export async function requestSync(
  deps: AgentsAdminDeps & Pick<ServiceDeps, 'clock' | 'random'>,
  ctx: RequestContext,
  actor: Actor,
  options: { readonly full: boolean; readonly allowDeletes?: boolean },
): Promise<SyncSummary> {
  const link = deps.agentLink;
  if (link === undefined) {
    fail('ON_PREMISES_CONNECTIVITY', { details: { reason: 'no-agent', hint: NO_AGENT_HINT } });
  }
  if (options.allowDeletes === true) {
    const by = actor.upn ?? actor.id ?? 'unknown';
    await deps.store.transaction(async (tx) => {
      await allowDeletesOnce(tx, { by, at: deps.clock.now().toISOString() });
      await audit(deps, tx, ctx, {
        activity: 'Directory synchronization',
        category: 'DirectoryManagement',
        result: 'success',
        actorId: actor.id,
        actorUpn: actor.upn,
        details: { action: 'allowDeletesOnce', full: options.full },
      });
    });
  }
  try {
    return await link.sync({ full: options.full });
  } catch (error) {
    // No run used the override: it must not wait for a later, unattended one.
    if (options.allowDeletes === true) await clearDeleteGuardOverride(deps.store, deps.clock);
    // SSPR_0030's message speaks to users; tell the admin what to look at.
    if (isSsprError(error, 'ON_PREMISES_CONNECTIVITY')) {
      throw new SsprError('ON_PREMISES_CONNECTIVITY', {
        details: { ...error.details, hint: NO_AGENT_HINT },
        cause: error,
      });
    }
    throw error;
  }
}

/** Revokes an agent (its hello is refused from now on) and closes its connection. Audited. */
export async function revokeAgent(
  deps: AgentsAdminDeps & Pick<ServiceDeps, 'clock' | 'random'>,
  ctx: RequestContext,
  actor: Actor,
  agentId: string,
): Promise<void> {
  const agent = await deps.store.agents.findById(agentId);
  if (agent === null) fail('RESOURCE_NOT_FOUND');
  await deps.store.agents.revoke(agentId, deps.clock.now().toISOString());
  const wasConnected = deps.agentLink?.disconnect(agentId) ?? false;
  await audit(deps, deps.store, ctx, {
    activity: 'Revoke agent',
    result: 'success',
    actorId: actor.id,
    actorUpn: actor.upn,
    details: { agentId, name: agent.name, wasConnected },
  });
}
