/**
 * The code table of docs/errors.md, generated from the registry so the two cannot drift.
 * Regenerate with `npx tsx scripts/gen-error-docs.ts`; docs.test.ts fails when it is stale.
 * Pure: the reading and writing of the file happen in the script and the test.
 */
import {
  code,
  generatedSection as generatedSectionOf,
  markdownTable,
} from '../docs/generated-markdown.js';
import { errorRegistry, type ErrorName } from './registry.js';

export const DOCS_START = '<!-- generated:errors:start -->';
export const DOCS_END = '<!-- generated:errors:end -->';
export const REGENERATE_COMMAND = 'npx tsx scripts/gen-error-docs.ts';

/**
 * What the person who sees the error should do: the user first, then the administrator where the
 * fix is theirs. One entry per registry name: adding an error without guidance does not compile.
 */
export const errorGuidance = {
  TENANT_SSPR_DISABLED:
    "User: contact your administrator. Admin: password reset is switched off for everyone, administrators included; set the policy's `enabled` to true.",
  WRITEBACK_NOT_ENABLED:
    "User: contact your administrator. Admin: the account's password lives in the directory and `onPremises.writeback` is off; turn it on (and run the agent) or reset the password in the directory.",
  SSPR_NOT_ENABLED_IN_POLICY:
    'User: contact your administrator. Admin: `enabledFor` is `none`; set it to `selected` (with `selectedGroupId`) or `all`.',
  USER_NOT_LICENSED:
    'User: contact your administrator. Admin: an eligibility group or list is set (`eligibility.groupId`, `eligibility.userPrincipalNames`) and the user is in neither; add them if they should reset.',
  NOT_MEMBER_OF_SCOPED_GROUP:
    'User: contact your administrator. Admin: `enabledFor` is `selected` and the user is not a member, directly or nested, of `selectedGroupId`.',
  NOT_ENOUGH_METHODS:
    'User: sign in, register more of the methods your organisation allows, then start again. Admin: the policy asks for `methodsRequired` methods (administrators: two, never security questions); keep `registration.requireOnSignIn` on.',
  ON_PREMISES_ADMIN_ACTION_REQUIRED:
    "User: contact your administrator. Admin: the directory refused the change for a configuration reason (e.g. a protected account or missing permissions of the agent's account); the admin-visible details and the agent's log say which.",
  ON_PREMISES_CONNECTIVITY:
    'User: try again in a few minutes; nothing was changed. Admin: no agent answered in time (`GET /api/v1/admin/agents` shows why); start or reconnect `sspr agent` and check that it reaches the directory.',
  ADMIN_SSPR_DISABLED:
    'User: ask another administrator to reset your password. Admin: `administrators.allowedToUseSspr` is false; administrators cannot reset their own password until it is true.',
  VALIDATION_FAILED:
    'Client: fix the fields listed in `details.issues` and send the request again.',
  BODY_TOO_LARGE: 'Client: send a smaller body; no request of the API needs a large one.',
  UNSUPPORTED_MEDIA_TYPE: 'Client: send the body as JSON with `content-type: application/json`.',
  ROUTE_NOT_FOUND:
    'Client: check the method and path against the API reference (all routes are under `/api/v1`).',
  INVALID_EMAIL: 'User: check the address for typos and enter it again.',
  INVALID_PHONE:
    'User: enter the number in international form, with the country code, e.g. +1 4255550100.',
  CSRF_REJECTED:
    "User: open the page from the portal's own address and try again. Admin: when the server runs behind a proxy, set `publicUrl` to the address users see.",
  IP_RATE_LIMITED:
    'User: wait and try again. Admin: the limit is `rateLimit.perIpPerMinute`; behind a proxy set `trustProxy` so each client is counted, not the proxy.',
  MALFORMED_JSON: 'Client: send a valid, non-empty JSON body.',
  RESOURCE_NOT_FOUND: 'Reload the list: the item was removed or never existed.',
  UNAUTHENTICATED: 'User: sign in again; the session is missing, expired or was revoked.',
  FORBIDDEN:
    'Admin: the account lacks the administrator role this action needs (`details.needs` names the roles that may); ask for one of them.',
  INVALID_CREDENTIALS:
    'User: check the user name and password, or reset the password. Failed attempts count towards a short sign-in pause.',
  SIGN_IN_THROTTLED:
    'User: wait a minute and try again, or reset your password if you have forgotten it.',
  SECOND_FACTOR_REQUIRED:
    'User: finish signing in with a code from your authenticator app or your email.',
  ADMIN_METHODS_REQUIRED:
    'Admin: register two methods of the administrator policy (authenticator app, email, phone; not security questions) on the account page (`/account`), then sign in again. Admin API tokens are not affected.',
  ADMIN_SIGN_IN_AGAIN:
    'Admin: this session was signed in before your methods were registered, without a second step; sign out and sign in again (the second step then confirms it).',
  ADMIN_TOKEN_INVALID:
    'Admin: pass a valid token (`--token` or `SSPR_ADMIN_TOKEN`); create one on the server host with `sspr admin token create`.',
  ACCOUNT_DISABLED:
    'User: contact your administrator. Admin: the account is disabled; enable it first if the user should sign in.',
  CURRENT_PASSWORD_INCORRECT:
    'User: type your current password again. If you do not know it, use password reset instead.',
  FLOW_NOT_FOUND: 'User: start the password reset again; the link or page is no longer valid.',
  FLOW_EXPIRED:
    'User: start the password reset again; a reset session lasts 15 minutes from its start.',
  FLOW_INVALID_STATE:
    'User: reload the page; the step was already done (or the reset is finished) and the page is out of date.',
  CODE_INVALID:
    'User: check the code and enter it again, or ask for a new one. Each wrong code counts towards the limits on attempts.',
  CODE_EXPIRED: 'User: ask for a new code and enter it within 5 minutes.',
  CODE_REPLAYED: 'User: wait for your authenticator app to show the next code and enter that one.',
  GATE_THROTTLED:
    'User: choose another verification option, or wait (this option is blocked for up to 24 hours). Admin: more than 5 attempts in an hour blocked this option.',
  USER_BLOCKED:
    'User: wait 24 hours, or ask your administrator or helpdesk to reset your password. Admin: 5 failed verifications in 24 hours block the account from self-service reset for 24 hours.',
  EMAIL_SEND_THROTTLED:
    'User: use the code already sent, use another option, or try again later. Admin: after 10 emails in 10 minutes, a reset blocks email codes for 24 hours; sign-in and registration refuse for 10 minutes.',
  PHONE_SEND_THROTTLED:
    'User: use the code already sent, use another option, or try again later. Admin: as for email, 10 texts or calls in 10 minutes per account; the next attempt blocks phone codes for 24 hours.',
  CAPTCHA_REQUIRED: 'User: solve the CAPTCHA, then select Next again.',
  CAPTCHA_INVALID:
    'User: solve a new CAPTCHA; each solution is accepted once and only for a limited time.',
  METHOD_NOT_AVAILABLE:
    'User: choose one of the options the page offers; this one is not registered for this account or not allowed.',
  METHOD_ALREADY_USED:
    'User: the second step must use a different method than the first; choose another option.',
  GATES_INCOMPLETE:
    'User: verify your identity with the number of methods the page asks for, then set the new password.',
  UNLOCK_NOT_ALLOWED:
    'User: reset your password instead. Admin: unlocking without a reset is off (`onPremises.allowUnlockWithoutReset`).',
  SECURITY_ANSWERS_INCORRECT:
    'User: ask for the questions again and answer the new set; case and extra spaces do not matter. Wrong answers count towards the limits on attempts.',
  NO_CHALLENGE_PENDING:
    'User: select "send code" (or open the questions) for this method first, then enter the code or answers.',
  NOTHING_TO_UNLOCK:
    'User: if you cannot sign in, reset your password instead; this account has no lockout to clear.',
  METHOD_DISABLED_BY_POLICY:
    "User: register one of the other methods. Admin: the method is off in the policy's `methods`.",
  METHOD_REGISTRATION_NOT_FOUND:
    'User: start adding the method again; the earlier attempt was replaced, finished or expired.',
  SECURITY_QUESTIONS_INVALID:
    'User: fix what `details.problems` lists (the number of questions, duplicates, answer length) and save again.',
  METHOD_NOT_ALLOWED_FOR_ADMINS:
    'User: register an authenticator app or an email address instead; administrators cannot use security questions.',
  METHOD_LIMIT_REACHED:
    'User: remove an authenticator you no longer use, then add the new one (at most 5).',
  METHOD_NOT_SUPPORTED:
    'User: use another method. Admin: phone methods (text message, voice call) need an SMS / voice provider: set `sms.provider` (see docs/phone-methods.md). Passkey and app notification methods are not implemented yet.',
  PASSWORD_POLICY_VIOLATION:
    'User: choose a password that passes every rule; `details.rules` shows which failed.',
  PASSWORD_BANNED:
    "User: choose a password without common words, your name or the organisation's name. Admin: the custom banned list is `bannedPasswords.customList`.",
  PASSWORD_TOO_LONG: 'User: choose a password of at most 256 characters.',
  PASSWORD_SAME_AS_CURRENT: 'User: choose a password different from your current one.',
  POLICY_INVALID:
    'Admin: fix the fields listed in `details.issues` (each names the policy key) and save again; nothing was changed.',
  DIRECTORY_PASSWORD_TOO_SHORT:
    "User: choose a longer password; the new-password step shows your account's minimum length. Admin: the domain policy, PSO or ppolicy entry sets it.",
  DIRECTORY_PASSWORD_COMPLEXITY:
    'User: mix upper case, lower case, digits and symbols and avoid your account name. Admin: the directory complexity rule refused it.',
  DIRECTORY_PASSWORD_IN_HISTORY:
    'User: choose a password you have not used before. Admin: the directory password history refused it.',
  DIRECTORY_PASSWORD_TOO_YOUNG:
    'User: wait until the minimum password age has passed, or ask the helpdesk. Admin: set the minimum password age to 0 (the SSPR troubleshooting guides recommend it).',
  DIRECTORY_WRONG_CURRENT_PASSWORD:
    'User: type your current password again; after repeated failures the account may lock.',
  DIRECTORY_USER_NOT_FOUND:
    'Admin: the account moved out of the sync scope or was deleted; run a sync (`sspr admin sync`) and check `directory.scope`.',
  DIRECTORY_ACCOUNT_DISABLED:
    'User: contact your helpdesk. Admin: the account is disabled in the directory (userAccountControl / pwdAccountLockedTime permanent).',
  DIRECTORY_ACCOUNT_LOCKED:
    'User: use "I forgot my password" (reset also unlocks) or the unlock option when offered.',
  DIRECTORY_PASSWORD_REJECTED:
    'User: choose a different password. Admin: `details` holds the directory text; a password filter or policy refused it.',
  DIRECTORY_INSUFFICIENT_RIGHTS:
    "Admin: grant the agent's service account Reset Password, Change Password and write access to lockoutTime and pwdLastSet (AD) or manage access to userPassword (OpenLDAP) on the OUs in scope; see the agent's rights check.",
  DIRECTORY_UNREACHABLE:
    'Admin: the agent cannot reach any URL in `directory.urls`; check the network, the ports and the TLS CA.',
  DIRECTORY_TIMEOUT: 'User: try again. Admin: the domain controller is slow or overloaded.',
  DIRECTORY_ERROR:
    'Admin: `details` holds the directory result code and text; report it if it persists.',
  AGENT_REGISTRATION_INVALID:
    'Admin: create a fresh token on the server host with `sspr admin agent-token create` and set `server.registrationToken` in the agent configuration.',
  AGENT_AUTHENTICATION_FAILED:
    "Admin: the agent's key is unknown or revoked; register the agent again with a new registration token.",
  AGENT_PROTOCOL_ERROR: 'Admin: run the same version of the agent as the server.',
  SYNC_DELETE_GUARD:
    'Admin: check `directory.scope` (a renamed OU drops its users); if the deletions are intended, raise `sync.maxDeletes` or run `sspr admin sync --full --allow-deletes`.',
  SYNC_FAILED: 'Admin: look at the agent status and logs; the next sync retries.',
  STORE_UNAVAILABLE:
    'User: try again shortly. Admin: the database cannot be reached; check `store.url` and the database server.',
  CONFLICT:
    'Admin: an item with that key already exists; use another key or edit the existing item.',
  MAIL_DELIVERY_FAILED:
    'User: try again or use another method. Admin: check the `mail.smtp.*` settings and the mail server; the server log has the cause.',
  SMS_DELIVERY_FAILED:
    'User: try again or use another method. Admin: check `sms.provider` and the `sms.webhook.*` settings and that the provider answers with a 2xx status in time; the server log has the cause (never the code or the token).',
  INTERNAL:
    'User: try again; if it persists, give your helpdesk the support code. Admin: find the support code (correlation id) in the server log.',
  CONFIG_INVALID: 'Admin: run `sspr config validate` and fix each key it names.',
  WEB_NOT_BUILT:
    'Admin: the server was started from a checkout without the built portal; run `npm ci` (it builds it) or `npm run build:web`.',
} as const satisfies Record<ErrorName, string>;

/**
 * Entra's own name and number for the codes taken from Entra (reference/entra-sspr.md §2.5): the
 * meaning is Entra's, so an admin can look the code up in Microsoft's documentation too.
 */
export const entraEquivalents: Readonly<Partial<Record<ErrorName, string>>> = {
  TENANT_SSPR_DISABLED: '`TenantSSPRFlagDisabled` (9)',
  WRITEBACK_NOT_ENABLED: '`WritebackNotEnabled` (10)',
  SSPR_NOT_ENABLED_IN_POLICY: '`SsprNotEnabledInUserPolicy` (11)',
  USER_NOT_LICENSED: '`UserNotLicensed` (12); here "licensed" is the eligibility group or list',
  NOT_MEMBER_OF_SCOPED_GROUP: '`UserNotMemberOfScopedAccessGroup` (13)',
  NOT_ENOUGH_METHODS: '`UserNotProperlyConfigured` (14)',
  ON_PREMISES_ADMIN_ACTION_REQUIRED: '`OnPremisesAdminActionRequired` (29)',
  ON_PREMISES_CONNECTIVITY: '`OnPremisesConnectivityError` (30)',
  ADMIN_SSPR_DISABLED: 'SSPR_009, password reset turned off for administrators',
};

function whatToDo(name: ErrorName): string {
  const parts: string[] = [errorGuidance[name]];
  if (errorRegistry[name].status === 429) {
    parts.push('The answer carries `Retry-After` (seconds to wait).');
  }
  const entra = entraEquivalents[name];
  if (entra !== undefined) parts.push(`Entra equivalent: ${entra}.`);
  return parts.join(' ');
}

/** Registry names in table order: the registry's own order (Entra's codes first, then by band). */
export function errorNames(): ErrorName[] {
  return Object.keys(errorRegistry) as ErrorName[];
}

/** The markdown table of every error: code, HTTP status, name, message, what to do. */
export function renderErrorDocs(): string {
  const rows = errorNames().map((name) => {
    const spec = errorRegistry[name];
    return [code(spec.code), String(spec.status), code(name), spec.message, whatToDo(name)];
  });
  return markdownTable(['Code', 'HTTP', 'Name', 'Message', 'What to do'], rows);
}

const section = generatedSectionOf('docs/errors.md', DOCS_START, DOCS_END);

/** The text between the markers, or undefined when they are missing. */
export function extractGeneratedSection(markdown: string): string | undefined {
  return section.extract(markdown);
}

/** What belongs between the markers. */
export function generatedSection(): string {
  return `\n\n${renderErrorDocs()}\n\n`;
}

/** `markdown` with the section between the markers replaced by the current table. */
export function updateErrorDocs(markdown: string): string {
  return section.replace(markdown, generatedSection());
}
