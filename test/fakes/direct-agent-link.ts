import type { AgentLink, WritebackStatus } from '../../src/domain/ports/agent-link.js';
import type { Directory } from '../../src/domain/ports/directory.js';
import { SsprError } from '../../src/domain/errors/sspr-error.js';
import { connectedAgent, syncSummary } from './fake-agent-link.js';

/**
 * An AgentLink that calls a Directory in-process, as a connected agent would (the gateway and
 * the real agent are tested end to end in src/server/agent-gateway tests). `connected = false`
 * makes every call answer SSPR_0030 like a link with no agent.
 */
export function createDirectAgentLink(directory: Directory): AgentLink & { connected: boolean } {
  const ready = (): void => {
    if (!link.connected)
      throw new SsprError('ON_PREMISES_CONNECTIVITY', { details: { reason: 'no-agent' } });
  };
  const link: AgentLink & { connected: boolean } = {
    connected: true,
    status: (): Promise<WritebackStatus> =>
      Promise.resolve(
        link.connected
          ? { ready: true, reason: null, agents: [connectedAgent()] }
          : { ready: false, reason: 'No agent is connected.', agents: [] },
      ),
    findUser: async (q) => {
      ready();
      return directory.findUser(q);
    },
    resetPassword: async (dn, pw, o) => {
      ready();
      return directory.resetPassword(dn, pw, o);
    },
    changePassword: async (dn, oldPw, newPw) => {
      ready();
      return directory.changePassword(dn, oldPw, newPw);
    },
    unlock: async (dn) => {
      ready();
      return directory.unlock(dn);
    },
    setMustChange: async (dn, m) => {
      ready();
      return directory.setMustChange(dn, m);
    },
    verifyPassword: async (dn, pw) => {
      ready();
      return directory.verifyPassword(dn, pw);
    },
    readAccountState: async (dn) => {
      ready();
      return directory.readAccountState(dn);
    },
    readPasswordPolicy: async (dn) => {
      ready();
      return directory.readPasswordPolicy(dn);
    },
    disconnect: () => false,
    sync: () => {
      ready();
      return Promise.resolve(syncSummary());
    },
  };
  return link;
}
