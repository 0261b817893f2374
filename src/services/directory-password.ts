import type { ErrorName } from '../domain/errors/registry.js';
import { fail, SsprError } from '../domain/errors/sspr-error.js';
import { combinePolicies, notBefore } from '../domain/policy/effective-policy.js';
import {
  cloudPasswordPolicy,
  type EffectivePasswordPolicy,
} from '../domain/policy/password-rules.js';
import type { AgentLink } from '../domain/ports/agent-link.js';
import type { AccountState, DirectoryPasswordPolicy } from '../domain/ports/directory.js';
import type { User } from '../domain/model/user.js';
import type { ServiceDeps } from './deps.js';

/** The agent link, or SSPR_0030 when this server has none (no writeback configured). */
export function agentLinkOf(deps: Pick<ServiceDeps, 'agentLink'>): AgentLink {
  if (deps.agentLink === undefined)
    fail('ON_PREMISES_CONNECTIVITY', { details: { reason: 'no agent gateway' } });
  return deps.agentLink;
}

/** The directory DN of a directory user (synced), or SSPR_5006 when the sync has not seen it. */
export function dnOf(user: User): string {
  if (user.directoryDn === null) fail('DIRECTORY_USER_NOT_FOUND');
  return user.directoryDn;
}

export async function directoryPolicyOf(
  deps: Pick<ServiceDeps, 'agentLink'>,
  user: User,
): Promise<DirectoryPasswordPolicy | null> {
  if (user.source !== 'directory') return null;
  return agentLinkOf(deps).readPasswordPolicy(dnOf(user));
}

/** The effective policy: cloud rules, plus the directory's for directory users (read live). */
export async function effectivePolicyOf(
  deps: Pick<ServiceDeps, 'agentLink'>,
  user: User,
): Promise<EffectivePasswordPolicy> {
  return combinePolicies(cloudPasswordPolicy, await directoryPolicyOf(deps, user));
}

/**
 * Refuses accounts the writeback must never touch or cannot help, from the live state:
 * protected (AD adminCount=1) and critical system objects → SSPR_0029, disabled → SSPR_5007.
 */
export function assertWritable(state: AccountState): void {
  if (state.protected || state.criticalSystemObject) {
    fail('ON_PREMISES_ADMIN_ACTION_REQUIRED', {
      details: { reason: state.protected ? 'protectedAccount' : 'criticalSystemObject' },
    });
  }
  if (state.disabled) fail('DIRECTORY_ACCOUNT_DISABLED');
}

const historyKey = (userId: string) => `password-history:${userId}`;

/** Argon2id hashes of the last passwords set through OpenSSPR, newest first. */
async function historyOf(deps: Pick<ServiceDeps, 'store'>, userId: string): Promise<string[]> {
  const stored = await deps.store.settings.get(historyKey(userId));
  return Array.isArray(stored) ? stored.filter((h): h is string => typeof h === 'string') : [];
}

/**
 * The rules a directory may skip on an administrative reset, enforced here before anything is
 * written: minimum age (from the live last-set time) and history (against the passwords set
 * through OpenSSPR; the directory itself still checks its own history where it can).
 */
export async function assertDirectoryRules(
  deps: Pick<ServiceDeps, 'store' | 'hasher' | 'clock'>,
  user: User,
  newPassword: string,
  effective: EffectivePasswordPolicy,
  state: AccountState,
): Promise<void> {
  const minAge = effective.minAgeDays ?? 0;
  const allowedAt = notBefore(state.passwordLastSet, minAge, deps.clock.now());
  if (allowedAt !== null) {
    fail('DIRECTORY_PASSWORD_TOO_YOUNG', { details: { allowedAt, minAgeDays: minAge } });
  }
  const count = effective.historyCount ?? 0;
  if (count > 0) {
    for (const hash of (await historyOf(deps, user.id)).slice(0, count)) {
      if (await deps.hasher.verify(hash, newPassword)) {
        fail('DIRECTORY_PASSWORD_IN_HISTORY', {
          details: { historyCount: count, checkedBy: 'server' },
        });
      }
    }
  }
}

/** Remembers a password set through OpenSSPR (hashed) for the history rule. */
export async function rememberPassword(
  deps: Pick<ServiceDeps, 'store' | 'hasher' | 'clock'>,
  user: User,
  newPassword: string,
  keep: number,
): Promise<void> {
  if (keep <= 0) return;
  const hash = await deps.hasher.hash(newPassword);
  const next = [hash, ...(await historyOf(deps, user.id))].slice(0, Math.min(keep, 24));
  await deps.store.settings.set(historyKey(user.id), next, deps.clock.now().toISOString());
}

/** A directory refusal, turned into the rule the user must fix (for the new-password step). */
export function directoryRuleOf(error: unknown): string | null {
  if (!(error instanceof SsprError)) return null;
  const rules: Partial<Record<ErrorName, string>> = {
    DIRECTORY_PASSWORD_TOO_SHORT: 'length.min',
    DIRECTORY_PASSWORD_COMPLEXITY: 'complexity.classes',
    DIRECTORY_PASSWORD_IN_HISTORY: 'history',
    DIRECTORY_PASSWORD_TOO_YOUNG: 'age.min',
  };
  return rules[error.errorName] ?? null;
}

/** Adds the rule a directory refusal is about (`details.rule`) so the user sees what to fix. */
export function withRule(error: unknown): unknown {
  const rule = directoryRuleOf(error);
  if (rule === null || !(error instanceof SsprError)) return error;
  return new SsprError(error.errorName, {
    details: { ...error.details, rule },
    cause: error.cause,
    ...(error.retryAfterSeconds === undefined
      ? {}
      : { retryAfterSeconds: error.retryAfterSeconds }),
  });
}
