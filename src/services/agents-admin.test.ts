import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createAgentHarness,
  eventually,
  type AgentHarness,
} from '../../test/support/agent-harness.js';
import { createSystemClock } from '../adapters/crypto/system-clock.js';
import { createNodeRandom } from '../adapters/crypto/node-random.js';
import { isSsprError } from '../domain/errors/sspr-error.js';
import { revokeAgent } from './agents-admin.js';

let h: AgentHarness;
beforeEach(async () => {
  h = await createAgentHarness();
});
afterEach(async () => {
  await h.close();
});

const ctx = { correlationId: 'test', ip: null, userAgent: null };
const actor = { id: null, upn: 'token:tests' };

describe('revoking an agent', () => {
  it('closes its connection, refuses its key from then on, and is audited', async () => {
    const { agent } = await h.addAgent();
    const deps = {
      store: h.store,
      agentLink: h.gateway.link,
      clock: createSystemClock(),
      random: createNodeRandom(),
    };
    expect((await h.gateway.link.status()).ready).toBe(true);
    await revokeAgent(deps, ctx, actor, agent.agentId);
    expect((await h.store.agents.findById(agent.agentId))?.revokedAt).not.toBeNull();
    // Its reconnect attempts are refused: writeback stays unavailable.
    await eventually(
      async () => !(await h.gateway.link.status()).ready,
      5000,
      'writeback not ready',
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await h.gateway.link.status()).agents.filter((a) => a.connected)).toHaveLength(0);
    const events = await h.store.audit.query({ activity: 'Revoke agent', limit: 10 });
    expect(events.items[0]?.details).toMatchObject({ agentId: agent.agentId, wasConnected: true });
    await agent.stop();
  });

  it('answers 404 (SSPR_1010) for an unknown agent', async () => {
    const deps = {
      store: h.store,
      agentLink: h.gateway.link,
      clock: createSystemClock(),
      random: createNodeRandom(),
    };
    const error = await revokeAgent(deps, ctx, actor, 'nope').catch((e: unknown) => e);
    expect(isSsprError(error, 'RESOURCE_NOT_FOUND')).toBe(true);
  });
});
