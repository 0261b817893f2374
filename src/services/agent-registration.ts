import { createHash } from 'node:crypto';
import { SsprError, fail } from '../domain/errors/sspr-error.js';
import { EnvelopeError, parsePublicKey } from '../protocol/envelope.js';
import type { RegistrationRequest } from '../protocol/messages.js';
import { audit } from './audit-log.js';
import type { ServiceDeps } from './deps.js';

/** Every agent registration token starts with this (recognisable in a leak scanner). */
export const AGENT_TOKEN_PREFIX = 'sspr_ar_';
export const DEFAULT_AGENT_TOKEN_TTL_HOURS = 24;
export const MAX_AGENT_TOKEN_TTL_HOURS = 24 * 30;

type Deps = Pick<ServiceDeps, 'store' | 'clock' | 'random'>;

const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * Creates a one-time agent registration token valid for `ttlHours` (default 24 h). Only its
 * SHA-256 is stored; the token is returned once.
 */
export async function createAgentRegistrationToken(
  deps: Deps,
  options: { ttlHours?: number } = {},
): Promise<{ id: string; token: string; expiresAt: string }> {
  const ttlHours = options.ttlHours ?? DEFAULT_AGENT_TOKEN_TTL_HOURS;
  if (!Number.isInteger(ttlHours) || ttlHours < 1 || ttlHours > MAX_AGENT_TOKEN_TTL_HOURS) {
    fail('VALIDATION_FAILED', {
      details: {
        issues: [
          { path: 'ttlHours', message: `must be 1-${String(MAX_AGENT_TOKEN_TTL_HOURS)} hours` },
        ],
      },
    });
  }
  const now = deps.clock.now();
  const id = deps.random.uuid();
  const token = `${AGENT_TOKEN_PREFIX}${Buffer.from(deps.random.bytes(32)).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + ttlHours * 3_600_000).toISOString();
  await deps.store.agents.createRegistrationToken(
    { id, tokenHash: hashToken(token), expiresAt },
    now.toISOString(),
  );
  return { id, token, expiresAt };
}

function checkKey(pem: string, type: 'ed25519' | 'x25519', field: string): void {
  try {
    parsePublicKey(pem, type);
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    fail('VALIDATION_FAILED', { details: { issues: [{ path: field, message: error.message }] } });
  }
}

/**
 * Registers an agent: checks its public keys, then atomically consumes the token and stores
 * the agent. An unknown, used or expired token is AGENT_REGISTRATION_INVALID (the same answer
 * for all three). Malformed keys are refused before the token is spent.
 */
export async function registerAgent(
  deps: Deps,
  request: RegistrationRequest,
): Promise<{ agentId: string }> {
  checkKey(request.signingPublicKey, 'ed25519', 'signingPublicKey');
  checkKey(request.encryptionPublicKey, 'x25519', 'encryptionPublicKey');
  const token = request.registrationToken;
  if (!token.startsWith(AGENT_TOKEN_PREFIX) || token.length > 200) {
    throw new SsprError('AGENT_REGISTRATION_INVALID');
  }
  const now = deps.clock.now().toISOString();
  const agentId = deps.random.uuid();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.agents.consumeRegistrationToken(hashToken(token), now))) {
      fail('AGENT_REGISTRATION_INVALID');
    }
    await tx.agents.create(
      {
        id: agentId,
        name: request.name,
        version: request.version,
        signingPublicKey: request.signingPublicKey,
        encryptionPublicKey: request.encryptionPublicKey,
      },
      now,
    );
    await audit(
      deps,
      tx,
      {
        correlationId: agentId,
        ip: null,
        userAgent: `sspr agent ${request.version}`.slice(0, 512),
      },
      {
        activity: 'Register agent',
        result: 'success',
        actorUpn: `agent:${agentId}`,
        details: { agentId, name: request.name, version: request.version },
      },
    );
  });
  return { agentId };
}

/** The SHA-256 the store keeps of a registration token (exported for tests). */
export const agentTokenHash = hashToken;
