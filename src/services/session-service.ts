import { createHash } from 'node:crypto';
import { fail, isSsprError } from '../domain/errors/sspr-error.js';
import {
  blockSubjects,
  secondsUntil,
  throttleKeys,
  throttleLimits,
} from '../domain/policy/throttle.js';
import { codeMatches } from '../domain/methods/one-time-code.js';
import { verifyTotp } from '../domain/methods/totp.js';
import type { MethodName } from '../domain/model/sspr-policy.js';
import type { User } from '../domain/model/user.js';
import type { Session } from '../domain/ports/store.js';
import { audit, type RequestContext } from './audit-log.js';
import { claimCodeSend } from './email-throttle.js';
import { CODE_ATTEMPTS, deliverOrVoid, issueCode, sendPhoneCode } from './one-time-codes.js';
import type { ServiceDeps } from './deps.js';
import { effectiveRoles } from './admin-roles.js';
import { getPolicy } from './policy-service.js';
import { normalizeUserId, throttleSubject } from './subjects.js';
import { usableMethods } from './user-facts.js';
import { dummyHash } from './dummy-hash.js';
import { agentLinkOf, dnOf } from './directory-password.js';

export const sha256 = (value: string): string =>
  createHash('sha256').update(value).digest('base64url');

export interface SignInResult {
  readonly token: string;
  readonly expiresAt: string;
  readonly state: SessionState;
}

export interface SessionState {
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly secondFactorRequired: boolean;
  /** Methods usable for the second step of sign-in (codes, never security questions). */
  readonly secondFactorMethods: readonly { method: MethodName; hint: string }[];
  readonly roles: readonly string[];
}

/** Counts a failed sign-in step; the tenth in 15 minutes pauses sign-in for a minute. */
async function recordSignInFailure(
  deps: ServiceDeps,
  subject: string,
  reason: string,
): Promise<void> {
  const now = deps.clock.now();
  const key = throttleKeys.signInFailure(subject);
  await deps.store.throttles.record(key, now.toISOString());
  const since = new Date(now.getTime() - throttleLimits.signInWindowMs).toISOString();
  if ((await deps.store.throttles.count(key, since)) >= throttleLimits.signInFailuresPerWindow) {
    const until = new Date(now.getTime() + throttleLimits.signInLockMs).toISOString();
    await deps.store.throttles.block(blockSubjects.signIn(subject), until, reason);
  }
}

/** Checks a cloud password with sign-in throttling (smart-lockout-like) and dummy work for unknown ids. */
export async function verifyPassword(
  deps: ServiceDeps,
  ctx: RequestContext,
  typedUserId: string,
  password: string,
): Promise<User> {
  const user = await deps.store.users.findByUpn(normalizeUserId(typedUserId));
  const subject = throttleSubject(deps, user?.id ?? null, typedUserId);
  const now = deps.clock.now();
  const lock = await deps.store.throttles.activeBlock(
    blockSubjects.signIn(subject),
    now.toISOString(),
  );
  if (lock) fail('SIGN_IN_THROTTLED', { retryAfterSeconds: secondsUntil(lock.until, now) });
  const ok =
    user?.source === 'directory'
      ? await directoryPasswordOk(deps, user, password)
      : await deps.hasher.verify(user?.passwordHash ?? (await dummyHash(deps)), password);
  if (!ok || user === null || (user.source === 'cloud' && user.passwordHash === null)) {
    await recordSignInFailure(deps, subject, 'Too many failed sign-ins');
    await audit(deps, deps.store, ctx, {
      activity: 'Sign-in activity',
      result: 'failure',
      resultReason: 'Invalid user name or password',
      actorId: user?.id ?? null,
      actorUpn: normalizeUserId(typedUserId).slice(0, 113),
    });
    fail('INVALID_CREDENTIALS');
  }
  if (!user.accountEnabled) fail('ACCOUNT_DISABLED');
  return user;
}

/**
 * A directory user's password is checked by a bind through the agent. Only a wrong password is
 * "not ok" (counted, SSPR_2003); a locked or disabled account, or no agent, is answered as such.
 */
async function directoryPasswordOk(
  deps: ServiceDeps,
  user: User,
  password: string,
): Promise<boolean> {
  try {
    await agentLinkOf(deps).verifyPassword(dnOf(user), password);
    return true;
  } catch (error) {
    if (isSsprError(error, 'INVALID_CREDENTIALS')) return false;
    throw error;
  }
}

async function stateOf(deps: ServiceDeps, user: User, session: Session): Promise<SessionState> {
  const policy = await getPolicy(deps.store);
  const methods = await deps.store.methods.listByUser(user.id);
  const second = usableMethods(user, methods, policy, { phone: deps.sms !== undefined }).filter(
    (m) =>
      m.method === 'totp' || m.method === 'email' || (m.method === 'sms' && m.methodId !== null),
  );
  return {
    userId: user.id,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    secondFactorRequired: session.pendingSecondFactor,
    secondFactorMethods: second.map((m) => ({ method: m.method, hint: m.hint })),
    roles: await effectiveRoles(deps.store, user.id),
  };
}

/** POST /auth/sign-in: password first; a second step follows when the user has code methods. */
export async function signIn(
  deps: ServiceDeps,
  ctx: RequestContext,
  input: { userId: string; password: string },
): Promise<SignInResult> {
  const user = await verifyPassword(deps, ctx, input.userId, input.password);
  const policy = await getPolicy(deps.store);
  const methods = await deps.store.methods.listByUser(user.id);
  const hasSecond = usableMethods(user, methods, policy, { phone: deps.sms !== undefined }).some(
    (m) =>
      m.method === 'totp' || ((m.method === 'email' || m.method === 'sms') && m.methodId !== null),
  );
  const now = deps.clock.now();
  const token = Buffer.from(deps.random.bytes(32)).toString('base64url');
  const session: Session = {
    id: deps.random.uuid(),
    userId: user.id,
    pendingSecondFactor: hasSecond,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.settings.sessionTtlMinutes * 60_000).toISOString(),
  };
  await deps.store.sessions.create({ ...session, tokenHash: sha256(token) });
  await deps.store.throttles.clear(
    throttleKeys.signInFailure(throttleSubject(deps, user.id, input.userId)),
  );
  await audit(deps, deps.store, ctx, {
    activity: 'Sign-in activity',
    result: 'success',
    resultReason: hasSecond ? 'Password verified; second step required' : 'Signed in',
    actorId: user.id,
    actorUpn: user.userPrincipalName,
    targetId: user.id,
    targetUpn: user.userPrincipalName,
  });
  return { token, expiresAt: session.expiresAt, state: await stateOf(deps, user, session) };
}

export interface AuthenticatedSession {
  readonly session: Session;
  readonly user: User;
}

/** Resolves a session cookie; `allowPending` admits sessions still waiting for the second step. */
export async function authenticate(
  deps: ServiceDeps,
  token: string | undefined,
  allowPending = false,
): Promise<AuthenticatedSession> {
  if (token === undefined || token.length === 0 || token.length > 200) fail('UNAUTHENTICATED');
  const session = await deps.store.sessions.findByTokenHash(sha256(token));
  if (session === null || session.expiresAt <= deps.clock.now().toISOString())
    fail('UNAUTHENTICATED');
  if (session.pendingSecondFactor && !allowPending) fail('SECOND_FACTOR_REQUIRED');
  const user = await deps.store.users.findById(session.userId);
  if (user === null || !user.accountEnabled) fail('UNAUTHENTICATED');
  return { session, user };
}

export async function sessionState(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
): Promise<SessionState> {
  return stateOf(deps, auth.user, auth.session);
}

/** Sends an email code, or a text message to the registered mobile phone, for the second step. */
export async function signInChallenge(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
  method: 'email' | 'sms' = 'email',
): Promise<{ codeExpiresAt: string }> {
  const policy = await getPolicy(deps.store);
  const target = usableMethods(
    auth.user,
    await deps.store.methods.listByUser(auth.user.id),
    policy,
    { phone: deps.sms !== undefined },
  ).find((m) => m.method === method && (method === 'email' || m.methodId !== null));
  const to = target?.address;
  if (to === undefined) fail('METHOD_NOT_AVAILABLE');
  const subject = throttleSubject(deps, auth.user.id, auth.user.userPrincipalName);
  await claimCodeSend(deps, method === 'sms' ? 'phone' : 'email', subject);
  const now = deps.clock.now();
  const codeId = deps.random.uuid();
  const { code, expiresAt } = await issueCode(deps, {
    id: codeId,
    purpose: 'sign-in',
    subject: auth.session.id,
    now,
  });
  const sms = deps.sms;
  await deliverOrVoid(deps, codeId, now, () =>
    method === 'sms' && sms !== undefined
      ? sendPhoneCode(sms, deps.settings.organizationName, {
          to,
          channel: 'sms',
          code,
          purpose: 'Use it to sign in.',
        })
      : deps.mailer.send({
          to,
          subject: `${deps.settings.organizationName} sign-in code`,
          text: `Your sign-in code is ${code}. It expires in 5 minutes.\n`,
        }),
  );
  return { codeExpiresAt: expiresAt };
}

/** Completes sign-in with a TOTP code, or the email / text message code sent for this session. */
export async function signInVerify(
  deps: ServiceDeps,
  ctx: RequestContext,
  auth: AuthenticatedSession,
  input: { method: 'totp' | 'email' | 'sms'; code: string },
): Promise<SessionState> {
  if (!auth.session.pendingSecondFactor) return stateOf(deps, auth.user, auth.session);
  const subject = throttleSubject(deps, auth.user.id, auth.user.userPrincipalName);
  const now = deps.clock.now();
  const lock = await deps.store.throttles.activeBlock(
    blockSubjects.signIn(subject),
    now.toISOString(),
  );
  if (lock) fail('SIGN_IN_THROTTLED', { retryAfterSeconds: secondsUntil(lock.until, now) });
  let ok = false;
  if (input.method === 'totp') {
    for (const m of await deps.store.methods.listByUser(auth.user.id)) {
      if (m.status !== 'active' || m.data.kind !== 'totp') continue;
      const match = verifyTotp(deps.secretBox.open(m.data.secretEncrypted), input.code, now);
      if (match) {
        if (!(await deps.store.methods.claimTotpStep(m.id, match.step, now.toISOString())))
          fail('CODE_REPLAYED');
        ok = true;
        break;
      }
    }
  } else {
    const code = await deps.store.codes.findLatestUnused('sign-in', auth.session.id);
    if (code === null) fail('NO_CHALLENGE_PENDING');
    const attempts = await deps.store.codes.incrementAttempts(code.id);
    if (now.toISOString() >= code.expiresAt) fail('CODE_EXPIRED');
    ok =
      attempts <= CODE_ATTEMPTS &&
      codeMatches(deps.settings.codeKey, code.id, input.code.trim(), code.hmac) &&
      (await deps.store.codes.consume(code.id, now.toISOString()));
  }
  if (!ok) {
    await recordSignInFailure(deps, subject, 'Too many failed sign-in codes');
    fail('CODE_INVALID');
  }
  await deps.store.sessions.completeSecondFactor(auth.session.id);
  await audit(deps, deps.store, ctx, {
    activity: 'Sign-in activity',
    result: 'success',
    resultReason: `Second step passed with ${input.method}`,
    actorId: auth.user.id,
    actorUpn: auth.user.userPrincipalName,
  });
  return stateOf(deps, auth.user, { ...auth.session, pendingSecondFactor: false });
}

export async function signOut(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
  everywhere: boolean,
): Promise<number> {
  if (everywhere) return deps.store.sessions.deleteByUser(auth.user.id);
  await deps.store.sessions.delete(auth.session.id);
  return 1;
}
