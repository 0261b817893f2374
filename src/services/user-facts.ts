import type { EligibilityFacts } from '../domain/policy/eligibility.js';
import type { AuthMethod } from '../domain/model/auth-method.js';
import type { MethodName, SsprPolicy } from '../domain/model/sspr-policy.js';
import type { User } from '../domain/model/user.js';
import type { Store } from '../domain/ports/store.js';
import type { ServiceDeps } from './deps.js';
import { effectiveRoles } from './admin-roles.js';
import { maskEmail, maskPhone } from '../domain/methods/contact.js';

/** A method the user can be verified with, and where its data comes from. */
export interface UsableMethod {
  readonly method: MethodName;
  /** The registered method behind it; null for admin pre-populated contact data. */
  readonly methodId: string | null;
  readonly hint: string;
  /** Where a code goes (email address, phone number in Entra form); never sent to the client. */
  readonly address?: string;
}

export function hintFor(method: MethodName, policy: SsprPolicy, address?: string): string {
  switch (method) {
    case 'email':
      return address === undefined ? 'Email' : maskEmail(address);
    case 'totp':
      return 'Authenticator app code';
    case 'securityQuestions':
      return `Answer ${String(policy.securityQuestions.toReset)} security questions`;
    case 'sms':
    case 'voice':
      return address === undefined ? 'Mobile phone' : maskPhone(address);
    case 'officePhone':
      return address === undefined ? 'Office phone' : maskPhone(address);
    case 'passkey':
    case 'appNotification':
      return method;
  }
}

/** Phone methods offered for a number (a mobile phone serves text and voice; an office phone voice). */
const phoneSources = [
  { method: 'sms', prepopulated: 'mobilePhone' },
  { method: 'voice', prepopulated: 'mobilePhone' },
  { method: 'officePhone', prepopulated: 'officePhone' },
] as const;

/**
 * The user's methods with data, one entry per method name (what a flow can offer). Phone methods
 * (registered, or the admin's / directory's pre-populated numbers) count only when `phone` says a
 * text / voice provider is configured.
 */
export function usableMethods(
  user: User,
  methods: readonly AuthMethod[],
  policy: SsprPolicy,
  options: { readonly phone?: boolean } = {},
): UsableMethod[] {
  const active = methods.filter((m) => m.status === 'active');
  const out: UsableMethod[] = [];
  const latest = (kind: MethodName) => active.filter((m) => m.kind === kind).at(-1);
  if (latest('totp')) out.push({ method: 'totp', methodId: null, hint: hintFor('totp', policy) });
  const email = latest('email');
  if (email?.data.kind === 'email') {
    const address = email.data.email;
    out.push({
      method: 'email',
      methodId: email.id,
      hint: hintFor('email', policy, address),
      address,
    });
  } else if (user.email !== null) {
    out.push({
      method: 'email',
      methodId: null,
      hint: hintFor('email', policy, user.email),
      address: user.email,
    });
  }
  if (options.phone === true) {
    for (const { method, prepopulated } of phoneSources) {
      const registered = latest(method);
      const phone =
        registered !== undefined && registered.data.kind === method
          ? registered.data.phone
          : user[prepopulated];
      if (phone === null) continue;
      out.push({
        method,
        methodId: registered?.id ?? null,
        hint: hintFor(method, policy, phone),
        address: phone,
      });
    }
  }
  const questions = latest('securityQuestions');
  if (
    questions?.data.kind === 'securityQuestions' &&
    questions.data.answers.length >= policy.securityQuestions.toReset
  ) {
    out.push({
      method: 'securityQuestions',
      methodId: questions.id,
      hint: hintFor('securityQuestions', policy),
    });
  }
  return out;
}

export async function isAdmin(store: Store, userId: string): Promise<boolean> {
  return (await effectiveRoles(store, userId)).length > 0;
}

/** The facts Entra's eligibility checks look at, read from the store. */
export async function eligibilityFacts(
  deps: Pick<ServiceDeps, 'agentLink'>,
  store: Store,
  user: User,
  policy: SsprPolicy,
  usable: readonly UsableMethod[],
): Promise<EligibilityFacts> {
  const member = (groupId: string | null) =>
    groupId === null ? Promise.resolve(false) : store.groups.isMemberTransitive(groupId, user.id);
  return {
    source: user.source,
    isAdmin: await isAdmin(store, user.id),
    accountEnabled: user.accountEnabled,
    inSelectedGroup: policy.enabledFor === 'selected' && (await member(policy.selectedGroupId)),
    inEligibilityGroup: await member(policy.eligibility.groupId),
    inEligibilityList: policy.eligibility.userPrincipalNames.some(
      (upn) => upn.toLowerCase() === user.userPrincipalName,
    ),
    methodsWithData: usable.map((u) => u.method),
    writebackAvailable:
      user.source === 'directory' && deps.agentLink !== undefined
        ? (await deps.agentLink.status()).ready
        : false,
  };
}
