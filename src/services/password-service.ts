import { fail, isSsprError } from '../domain/errors/sspr-error.js';
import {
  cloudPasswordPolicy,
  describePolicy,
  evaluatePassword,
  type EffectivePasswordPolicy,
  type PasswordEvaluation,
  type PolicyRuleDescription,
} from '../domain/policy/password-rules.js';
import {
  codePointLength,
  createBannedPasswordChecker,
  type BannedPasswordChecker,
} from '../domain/policy/banned-passwords.js';
import type { SsprPolicy } from '../domain/model/sspr-policy.js';
import type { User } from '../domain/model/user.js';
import { audit, type RequestContext } from './audit-log.js';
import type { ServiceDeps } from './deps.js';
import { getPolicy } from './policy-service.js';
import type { AuthenticatedSession } from './session-service.js';
import { verifyPassword } from './session-service.js';

/** The hard ceiling of every policy (Entra: 256); longer input is refused before any rule runs. */
export const PASSWORD_MAX_LENGTH = 256;

const checkers = new WeakMap<object, { key: string; checker: BannedPasswordChecker }>();

/** The banned-password checker for the current policy: global list + custom list when enforced. */
export function bannedCheckerFor(
  deps: Pick<ServiceDeps, 'globalBannedTerms'>,
  policy: SsprPolicy,
): BannedPasswordChecker {
  const custom = policy.bannedPasswords.enforceCustomList ? policy.bannedPasswords.customList : [];
  const key = JSON.stringify(custom);
  const cached = checkers.get(deps.globalBannedTerms);
  if (cached?.key === key) return cached.checker;
  const checker = createBannedPasswordChecker({
    globalTerms: deps.globalBannedTerms,
    customTerms: custom,
  });
  checkers.set(deps.globalBannedTerms, { key, checker });
  return checker;
}

/** The user's effective policy. Cloud-only users: the cloud policy (directory rules join in hybrid). */
export function effectivePolicyFor(_user: Pick<User, 'source'> | null): EffectivePasswordPolicy {
  return cloudPasswordPolicy;
}

function evaluateFor(
  deps: Pick<ServiceDeps, 'globalBannedTerms' | 'settings'>,
  user: Pick<User, 'source' | 'givenName' | 'surname' | 'userPrincipalName' | 'displayName'> | null,
  password: string,
  policy: SsprPolicy,
): PasswordEvaluation {
  return evaluatePassword(password, effectivePolicyFor(user), {
    givenName: user?.givenName ?? null,
    surname: user?.surname ?? null,
    accountName: user ? (user.userPrincipalName.split('@')[0] ?? null) : null,
    displayName: user?.displayName ?? null,
    organizationName: deps.settings.organizationName,
    bannedPasswords: bannedCheckerFor(deps, policy),
  });
}

/**
 * Refuses a password that breaks the effective policy: SSPR_4003 when over 256 characters,
 * SSPR_4002 when only the banned check fails, SSPR_4001 with every rule's result otherwise.
 */
export function assertPasswordAcceptable(
  deps: Pick<ServiceDeps, 'globalBannedTerms' | 'settings'>,
  user: Pick<User, 'source' | 'givenName' | 'surname' | 'userPrincipalName' | 'displayName'>,
  password: string,
  policy: SsprPolicy,
): void {
  if (codePointLength(password) > PASSWORD_MAX_LENGTH) fail('PASSWORD_TOO_LONG');
  const result = evaluateFor(deps, user, password, policy);
  if (result.ok) return;
  const failed = result.rules.filter((r) => !r.ok);
  const details = { rules: result.rules, failed: failed.map((r) => r.id) };
  if (failed.every((r) => r.id === 'banned')) fail('PASSWORD_BANNED', { details });
  fail('PASSWORD_POLICY_VIOLATION', { details });
}

export interface PasswordCheckAnswer {
  readonly ok: boolean;
  readonly rules: PasswordEvaluation['rules'];
  readonly policy: readonly PolicyRuleDescription[];
}

/**
 * POST /password/check. Names of a particular user are used only for a flow whose gates are
 * passed (the flow id is then proof of identity); otherwise the organisation-wide rules are
 * checked, so the answer cannot be used to probe which accounts exist.
 */
export async function checkPassword(
  deps: ServiceDeps,
  input: { password: string; userId?: string | undefined; flowId?: string | undefined },
): Promise<PasswordCheckAnswer> {
  const policy = await getPolicy(deps.store);
  let user: User | null = null;
  if (input.flowId !== undefined) {
    const flow = await deps.store.flows.findById(input.flowId);
    if (
      flow?.state === 'new_password' &&
      flow.userId !== null &&
      flow.expiresAt > deps.clock.now().toISOString()
    ) {
      user = await deps.store.users.findById(flow.userId);
    }
  }
  const effective = effectivePolicyFor(user);
  if (codePointLength(input.password) > PASSWORD_MAX_LENGTH) fail('PASSWORD_TOO_LONG');
  const result = evaluateFor(deps, user, input.password, policy);
  return { ok: result.ok, rules: result.rules, policy: describePolicy(effective) };
}

/** POST /me/password: current + new; the new one must differ and meet the policy. */
export async function changePassword(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
  input: { currentPassword: string; newPassword: string },
): Promise<{ changed: true; sessionsRevoked: number }> {
  const { user } = auth;
  const base = {
    actorId: user.id,
    actorUpn: user.userPrincipalName,
    targetId: user.id,
    targetUpn: user.userPrincipalName,
  };
  try {
    await verifyPassword(deps, ctx, user.userPrincipalName, input.currentPassword);
  } catch (error) {
    if (isSsprError(error, 'INVALID_CREDENTIALS')) {
      await audit(deps, deps.store, ctx, {
        activity: 'Change password (self-service)',
        result: 'failure',
        resultReason: 'Incorrect current password',
        ...base,
      });
      fail('CURRENT_PASSWORD_INCORRECT');
    }
    throw error;
  }
  if (input.newPassword === input.currentPassword) fail('PASSWORD_SAME_AS_CURRENT');
  const policy = await getPolicy(deps.store);
  try {
    assertPasswordAcceptable(deps, user, input.newPassword, policy);
  } catch (error) {
    if (isSsprError(error)) {
      await audit(deps, deps.store, ctx, {
        activity: 'Change password (self-service)',
        result: 'failure',
        resultReason:
          error.errorName === 'PASSWORD_BANNED'
            ? 'FuzzyPolicyViolationInvalidPassword'
            : 'PasswordPolicyViolation',
        ...base,
      });
    }
    throw error;
  }
  const hash = await deps.hasher.hash(input.newPassword);
  const now = deps.clock.now().toISOString();
  const revoked = await deps.store.transaction(async (tx) => {
    await tx.users.setPasswordHash(user.id, hash, now);
    const n = await tx.sessions.deleteByUser(user.id, auth.session.id);
    await audit(deps, tx, ctx, {
      activity: 'Change password (self-service)',
      result: 'success',
      details: { sessionsRevoked: n },
      ...base,
    });
    return n;
  });
  return { changed: true, sessionsRevoked: revoked };
}

/** The policy rules to show before the user types (for a flow: that user's effective policy). */
export function passwordRulesFor(
  user: Pick<User, 'source'> | null,
): readonly PolicyRuleDescription[] {
  return describePolicy(effectivePolicyFor(user));
}
