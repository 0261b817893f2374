import { fail } from '../domain/errors/sspr-error.js';
import { allowedMethods, countMethods } from '../domain/policy/eligibility.js';
import type { ServiceDeps } from './deps.js';
import { getPolicy } from './policy-service.js';
import type { AuthenticatedSession } from './session-service.js';
import { usableMethods } from './user-facts.js';

/** Methods that make the sign-in's second step (session-service signIn). */
const SECOND_STEP_KINDS = new Set(['totp', 'email', 'sms']);

/**
 * Holds an admin session to the administrator policy (ADR 0012): two methods of the admin policy
 * (never security questions) → SSPR_2009 otherwise; and the session itself signed in with a second
 * step — a method registered before the session began → SSPR_2010 otherwise (a session that
 * registered its methods after a password-only sign-in must sign in again).
 */
export async function assertAdminSessionStrong(
  deps: ServiceDeps,
  auth: AuthenticatedSession,
): Promise<void> {
  const policy = await getPolicy(deps.store);
  const methods = await deps.store.methods.listByUser(auth.user.id);
  const allowed = new Set(allowedMethods(policy, true));
  const usable = usableMethods(auth.user, methods, policy, { phone: deps.sms !== undefined })
    .map((m) => m.method)
    .filter((m) => allowed.has(m));
  if (countMethods(usable) < 2) {
    fail('ADMIN_METHODS_REQUIRED', {
      details: {
        methodsRegistered: countMethods(usable),
        methodsRequired: 2,
        register: '/account',
      },
    });
  }
  const secondStepAtSignIn = methods.some(
    (m) =>
      m.status === 'active' &&
      SECOND_STEP_KINDS.has(m.kind) &&
      m.createdAt < auth.session.createdAt,
  );
  if (!secondStepAtSignIn) fail('ADMIN_SIGN_IN_AGAIN');
}
