import { SsprError } from '../../src/domain/errors/sspr-error.js';
import type {
  AgentLink,
  AgentStatus,
  SyncSummary,
  WritebackStatus,
} from '../../src/domain/ports/agent-link.js';

/**
 * An AgentLink for HTTP and service tests: `status()` answers `status`, `sync()` runs `onSync`
 * (by default: no agent, SSPR_0030), every directory operation fails with SSPR_0030.
 */
export interface FakeAgentLink extends AgentLink {
  status: () => Promise<WritebackStatus>;
  /** What status() answers; change it freely. */
  current: WritebackStatus;
  /** Every sync() call's options, in order. */
  readonly syncCalls: { full: boolean }[];
  /** Agent ids passed to disconnect(), in order. */
  readonly disconnected: string[];
  /** What sync() does. */
  onSync: (options: { full: boolean }) => Promise<SyncSummary>;
}

const noAgent = (): SsprError =>
  new SsprError('ON_PREMISES_CONNECTIVITY', { details: { reason: 'no-agent' } });

/** One connected, healthy agent (status() of a ready link). */
export function connectedAgent(overrides: Partial<AgentStatus> = {}): AgentStatus {
  return {
    agentId: 'agent-1',
    name: 'dc1-agent',
    version: '0.1.0',
    connected: true,
    connectedAt: '2030-01-01T00:00:00.000Z',
    lastHeartbeatAt: '2030-01-01T00:00:30.000Z',
    directoryKind: 'ad',
    directoryReachable: true,
    rights: { ok: true, checks: [{ check: 'reset password on OU=Staff', ok: true }] },
    lastSync: null,
    ...overrides,
  };
}

/** A summary with zero counts, for tests to adjust. */
export function syncSummary(overrides: Partial<SyncSummary> = {}): SyncSummary {
  return {
    syncId: 'sync-1',
    full: false,
    startedAt: '2030-01-01T00:00:00.000Z',
    finishedAt: '2030-01-01T00:00:01.000Z',
    users: { added: 0, updated: 0, deleted: 0 },
    groups: { added: 0, updated: 0, deleted: 0 },
    error: null,
    ...overrides,
  };
}

export function createFakeAgentLink(
  options: { connected?: boolean; onSync?: FakeAgentLink['onSync'] } = {},
): FakeAgentLink {
  const fail = () => Promise.reject(noAgent());
  const link: FakeAgentLink = {
    current:
      options.connected === true
        ? { ready: true, reason: null, agents: [connectedAgent()] }
        : { ready: false, reason: 'No agent is connected.', agents: [] },
    syncCalls: [],
    onSync: options.onSync ?? fail,
    status: () => Promise.resolve(link.current),
    disconnected: [] as string[],
    disconnect(agentId: string) {
      link.disconnected.push(agentId);
      return link.current.agents.some((a) => a.agentId === agentId && a.connected);
    },
    sync: (syncOptions) => {
      link.syncCalls.push({ full: syncOptions.full });
      return link.onSync(syncOptions);
    },
    findUser: fail,
    resetPassword: fail,
    changePassword: fail,
    unlock: fail,
    setMustChange: fail,
    verifyPassword: fail,
    readAccountState: fail,
    readPasswordPolicy: fail,
  };
  return link;
}
