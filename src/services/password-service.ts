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
import {
  agentLinkOf,
  assertDirectoryRules,
  assertWritable,
  dnOf,
  effectivePolicyOf,
  rememberPassword,
  withRule,
} from './directory-password.js';

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

type PasswordUser = Pick<
  User,
  'source' | 'givenName' | 'surname' | 'userPrincipalName' | 'displayName'
> & {
  readonly accountName?: string | null;
};

function evaluateFor(
  deps: Pick<ServiceDeps, 'globalBannedTerms' | 'settings'>,
  user: PasswordUser | null,
  password: string,
  policy: SsprPolicy,
  effective: EffectivePasswordPolicy = effectivePolicyFor(user),
): PasswordEvaluation {
  return evaluatePassword(password, effective, {
    givenName: user?.givenName ?? null,
    surname: user?.surname ?? null,
    accountName: user ? (user.accountName ?? user.userPrincipalName.split('@')[0] ?? null) : null,
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
  user: PasswordUser,
  password: string,
  policy: SsprPolicy,
  effective: EffectivePasswordPolicy = effectivePolicyFor(user),
): void {
  if (codePointLength(password) > PASSWORD_MAX_LENGTH) fail('PASSWORD_TOO_LONG');
  const result = evaluateFor(deps, user, password, policy, effective);
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
 * POST /password/check. A particular user's names and effective policy are used only for a flow
 * whose gates are passed (the flow id is then proof of identity) or for the signed-in user;
 * otherwise the organisation-wide rules are checked, so the answer cannot be used to probe which
 * accounts exist.
 */
export async function checkPassword(
  deps: ServiceDeps,
  input: { password: string; userId?: string | undefined; flowId?: string | undefined },
  /** The signed-in user (session cookie): their effective policy when no flow is named. */
  signedInUser?: User,
): Promise<PasswordCheckAnswer> {
  const policy = await getPolicy(deps.store);
  let user: User | null = input.flowId === undefined ? (signedInUser ?? null) : null;
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
  if (codePointLength(input.password) > PASSWORD_MAX_LENGTH) fail('PASSWORD_TOO_LONG');
  // Directory users: the directory's rules too, read live through the agent. The check is
  // advisory (the reset or change enforces the rules), so an unreachable agent falls back to
  // the cloud rules instead of failing the keystroke.
  const effective =
    user?.source === 'directory'
      ? await effectivePolicyOf(deps, user).catch(() => effectivePolicyFor(null))
      : effectivePolicyFor(user);
  const result = evaluateFor(deps, user, input.password, policy, effective);
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
  if (user.source === 'directory') return changeDirectoryPassword(deps, ctx, auth, input, policy);
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

/**
 * A directory user's change: the effective policy (cloud + directory) and the minimum age are
 * checked here, then the agent changes the password with the old one, so the directory enforces
 * everything it has (history included) and answers rule by rule.
 */
async function changeDirectoryPassword(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
  input: { currentPassword: string; newPassword: string },
  policy: SsprPolicy,
): Promise<{ changed: true; sessionsRevoked: number }> {
  const { user } = auth;
  const base = {
    actorId: user.id,
    actorUpn: user.userPrincipalName,
    targetId: user.id,
    targetUpn: user.userPrincipalName,
  };
  const link = agentLinkOf(deps);
  try {
    const effective = await effectivePolicyOf(deps, user);
    const state = await link.readAccountState(dnOf(user));
    assertWritable(state);
    assertPasswordAcceptable(deps, user, input.newPassword, policy, effective);
    await assertDirectoryRules(
      deps,
      user,
      input.newPassword,
      { ...effective, historyCount: 0 },
      state,
    );
    await link.changePassword(dnOf(user), input.currentPassword, input.newPassword);
    await rememberPassword(deps, user, input.newPassword, effective.historyCount ?? 0);
  } catch (error) {
    if (isSsprError(error)) {
      await audit(deps, deps.store, ctx, {
        activity: 'Change password (self-service)',
        result: 'failure',
        resultReason:
          error.errorName === 'PASSWORD_BANNED'
            ? 'FuzzyPolicyViolationInvalidPassword'
            : error.code,
        ...base,
      });
    }
    throw withRule(error);
  }
  const n = await deps.store.sessions.deleteByUser(user.id, auth.session.id);
  await audit(deps, deps.store, ctx, {
    activity: 'Change password (self-service)',
    result: 'success',
    details: { sessionsRevoked: n, onPremisesAgent: 'OpenSSPR agent' },
    ...base,
  });
  return { changed: true, sessionsRevoked: n };
}

/** The policy rules to show before the user types (for a flow: that user's effective policy). */
export function passwordRulesFor(
  user: Pick<User, 'source'> | null,
): readonly PolicyRuleDescription[] {
  return describePolicy(effectivePolicyFor(user));
}
