import type { ErrorName } from '../errors/registry.js';
import { methodNames, type MethodName, type SsprPolicy } from '../model/sspr-policy.js';
import type { UserSource } from '../model/user.js';

/** Methods not verifiable yet: refused until their issue lands. */
const notImplemented: readonly MethodName[] = ['passkey', 'appNotification'];

/** Methods the product can verify today, in the order of `methodNames`. */
export const implementedMethods: readonly MethodName[] = methodNames.filter(
  (m) => !notImplemented.includes(m),
);

/** Admins use the fixed two-gate policy: any method except security questions (Entra). */
const adminMethods: readonly MethodName[] = methodNames.filter(
  (m) => m !== 'securityQuestions' && m !== 'appNotification',
);

/** Methods whose code goes to a phone: a text or call to the mobile phone, a call to the office phone. */
export const phoneMethods = [
  'sms',
  'voice',
  'officePhone',
] as const satisfies readonly MethodName[];
export type PhoneMethod = (typeof phoneMethods)[number];

export function isPhoneMethod(method: MethodName): method is PhoneMethod {
  return (phoneMethods as readonly MethodName[]).includes(method);
}

/**
 * Text and call to the mobile phone prove the same thing (Entra's one "Mobile phone" method): they
 * are one factor, named `sms`. Gates, their throttles and the method count go by factor.
 */
export function factorOf(method: MethodName): MethodName {
  return method === 'voice' ? 'sms' : method;
}

/** Whether two methods are the same factor: one of them passed uses the other up. */
export function sameFactor(a: MethodName, b: MethodName): boolean {
  return factorOf(a) === factorOf(b);
}

/** How many distinct methods these are, text and call to the mobile phone counted once. */
export function countMethods(methods: readonly MethodName[]): number {
  return new Set(methods.map(factorOf)).size;
}

export interface EligibilityFacts {
  readonly source: UserSource;
  readonly isAdmin: boolean;
  readonly accountEnabled: boolean;
  readonly inSelectedGroup: boolean;
  readonly inEligibilityGroup: boolean;
  readonly inEligibilityList: boolean;
  /** For directory users: an agent is connected and able to write the password back. */
  readonly writebackAvailable: boolean;
  /** Methods the user has data for (registered and active, or admin pre-populated). */
  readonly methodsWithData: readonly MethodName[];
}

export type EligibilityResult =
  | {
      readonly ok: true;
      readonly gatesRequired: 1 | 2;
      /** Methods offered at the gates, in display order. */
      readonly methods: readonly MethodName[];
    }
  | { readonly ok: false; readonly error: ErrorName; readonly reason: string };

const order: readonly MethodName[] = [
  'totp',
  'appNotification',
  'email',
  'sms',
  'voice',
  'officePhone',
  'passkey',
  'securityQuestions',
];

/** Which methods the policy lets this user use for reset. */
export function allowedMethods(policy: SsprPolicy, isAdmin: boolean): MethodName[] {
  const base = isAdmin ? adminMethods : order.filter((m) => policy.methods[m]);
  return order.filter((m) => base.includes(m) && implementedMethods.includes(m));
}

/**
 * Entra's eligibility checks, in its order (reference/entra-sspr.md §2.1 step 3):
 * tenant switch → admin switch → scope (None / Selected group / All) → eligibility ("licensed")
 * → writeback for directory users → enough methods (admins: two, never security questions).
 */
export function checkEligibility(policy: SsprPolicy, facts: EligibilityFacts): EligibilityResult {
  const no = (error: ErrorName, reason: string): EligibilityResult => ({
    ok: false,
    error,
    reason,
  });
  if (!policy.enabled)
    return no('TENANT_SSPR_DISABLED', 'Password reset is turned off for the organisation');
  if (facts.isAdmin) {
    if (!policy.administrators.allowedToUseSspr) {
      return no('ADMIN_SSPR_DISABLED', 'Password reset is turned off for administrators');
    }
  } else {
    if (policy.enabledFor === 'none')
      return no('SSPR_NOT_ENABLED_IN_POLICY', 'Password reset is enabled for no one');
    if (policy.enabledFor === 'selected' && !facts.inSelectedGroup) {
      return no(
        'NOT_MEMBER_OF_SCOPED_GROUP',
        'User is not a member of the group enabled for password reset',
      );
    }
    const hasList =
      policy.eligibility.groupId !== null || policy.eligibility.userPrincipalNames.length > 0;
    if (hasList && !facts.inEligibilityGroup && !facts.inEligibilityList) {
      return no('USER_NOT_LICENSED', 'User is not in the eligibility group or list');
    }
  }
  if (facts.source === 'directory' && !policy.onPremises.writeback) {
    return no('WRITEBACK_NOT_ENABLED', 'Password writeback is turned off');
  }
  if (facts.source === 'directory' && !facts.writebackAvailable) {
    return no('ON_PREMISES_CONNECTIVITY', 'No writeback agent is connected');
  }
  const gatesRequired: 1 | 2 = facts.isAdmin ? 2 : policy.methodsRequired;
  const allowed = allowedMethods(policy, facts.isAdmin);
  const methods = allowed.filter((m) => facts.methodsWithData.includes(m));
  const distinct = countMethods(methods);
  if (distinct < gatesRequired) {
    return no(
      'NOT_ENOUGH_METHODS',
      `User has ${String(distinct)} usable method(s); ${String(gatesRequired)} required`,
    );
  }
  return { ok: true, gatesRequired, methods };
}
