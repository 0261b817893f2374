import type { User } from '../domain/model/user.js';
import type { MethodName } from '../domain/model/sspr-policy.js';
import {
  allowedMethods,
  checkEligibility,
  countMethods,
  isPhoneMethod,
} from '../domain/policy/eligibility.js';
import type { ServiceDeps } from './deps.js';
import { getPolicy } from './policy-service.js';
import { eligibilityFacts, usableMethods } from './user-facts.js';

const DAY_MS = 24 * 60 * 60_000;

export const confirmationKey = (userId: string): string => `methods-confirmed:${userId}`;

export interface RegistrationStatus {
  /** The user is in SSPR scope but has fewer usable methods than the policy requires. */
  readonly required: boolean;
  /** Registration at sign-in is enforced and the methods were last confirmed too long ago. */
  readonly reconfirmDue: boolean;
  readonly methodsRequired: number;
  readonly methodsRegistered: number;
  /**
   * The methods this user may register and use: the policy's switches (administrators: the
   * administrator policy, never security questions); phone methods only with an SMS provider.
   */
  readonly methodsAllowed: readonly MethodName[];
}

/** Drives the registration interrupt at sign-in (Entra's "require users to register"). */
export async function registrationStatus(
  deps: ServiceDeps,
  user: User,
): Promise<RegistrationStatus> {
  const policy = await getPolicy(deps.store);
  const methods = await deps.store.methods.listByUser(user.id);
  const usable = usableMethods(user, methods, policy, { phone: deps.sms !== undefined });
  const facts = await eligibilityFacts(deps, deps.store, user, policy, usable);
  const verdict = checkEligibility(policy, facts);
  const inScope = verdict.ok || verdict.error === 'NOT_ENOUGH_METHODS';
  const methodsRequired = facts.isAdmin ? 2 : policy.methodsRequired;
  const enforce = policy.registration.requireOnSignIn && inScope;
  // Registering a method or confirming the list ("Looks good") counts; using a method does not.
  const confirmed = await deps.store.settings.get(confirmationKey(user.id));
  const lastConfirmed = methods
    .filter((m) => m.status === 'active')
    .reduce<string | null>(
      (max, m) => (max === null || m.createdAt > max ? m.createdAt : max),
      typeof confirmed === 'string' ? confirmed : null,
    );
  const days = policy.registration.reconfirmDays;
  const reconfirmDue =
    enforce &&
    days > 0 &&
    lastConfirmed !== null &&
    Date.parse(lastConfirmed) + days * DAY_MS < deps.clock.now().getTime();
  return {
    required: enforce && !verdict.ok,
    reconfirmDue,
    methodsRequired,
    methodsRegistered: countMethods(usable.map((u) => u.method)),
    methodsAllowed: allowedMethods(policy, facts.isAdmin).filter(
      (m) => deps.sms !== undefined || !isPhoneMethod(m),
    ),
  };
}
