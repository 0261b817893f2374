/**
 * The one registry of every error the product can answer with.
 *
 * Entra's codes where one exists (SSPR_0009 … SSPR_0014, SSPR_0029, SSPR_0030, SSPR_009); the
 * project's own range otherwise, in bands: 1xxx request, 2xxx authentication and sessions,
 * 3xxx self-service flows, 35xx authentication methods, 4xxx password and SSPR policy,
 * 5xxx directory and agent, 6xxx storage, 8xxx notifications, 9xxx internal.
 * A code is never reused and a released meaning never changes. docs/errors.md is kept in sync
 * with this file by a test.
 */
export interface ErrorSpec {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

const spec = (code: string, status: number, message: string): ErrorSpec => ({
  code,
  status,
  message,
});

export const errorRegistry = {
  // Entra's codes (reference/entra-sspr.md §2.5).
  TENANT_SSPR_DISABLED: spec(
    'SSPR_0009',
    403,
    'Password reset has not been enabled by your administrator.',
  ),
  WRITEBACK_NOT_ENABLED: spec(
    'SSPR_0010',
    403,
    'Password writeback has not been enabled. Contact your administrator.',
  ),
  SSPR_NOT_ENABLED_IN_POLICY: spec(
    'SSPR_0011',
    403,
    'Your organization has not defined a password reset policy.',
  ),
  USER_NOT_LICENSED: spec(
    'SSPR_0012',
    403,
    'Your account is not in the list of users allowed to reset their password.',
  ),
  NOT_MEMBER_OF_SCOPED_GROUP: spec(
    'SSPR_0013',
    403,
    'You are not a member of a group enabled for password reset.',
  ),
  NOT_ENOUGH_METHODS: spec(
    'SSPR_0014',
    403,
    'Additional security info is needed to reset your password. Sign in and register your methods first.',
  ),
  ON_PREMISES_ADMIN_ACTION_REQUIRED: spec(
    'SSPR_0029',
    403,
    'We are unable to reset your password due to an error in your on-premises configuration.',
  ),
  ON_PREMISES_CONNECTIVITY: spec(
    'SSPR_0030',
    503,
    'We cannot reset your password due to a poor connection with your on-premises environment.',
  ),
  ADMIN_SSPR_DISABLED: spec(
    'SSPR_009',
    403,
    'You cannot reset your own password because password reset is not turned on for administrators.',
  ),

  // 1xxx — request
  VALIDATION_FAILED: spec(
    'SSPR_1001',
    400,
    'The request is not valid. See details for each field.',
  ),
  BODY_TOO_LARGE: spec('SSPR_1002', 413, 'The request body is too large.'),
  UNSUPPORTED_MEDIA_TYPE: spec('SSPR_1003', 415, 'Send the body as application/json.'),
  ROUTE_NOT_FOUND: spec('SSPR_1004', 404, 'There is no such route.'),
  INVALID_EMAIL: spec('SSPR_1005', 400, 'The email address is not valid.'),
  INVALID_PHONE: spec(
    'SSPR_1006',
    400,
    'The phone number is not valid. Use the form +<country code> <number>, e.g. +1 4255550100.',
  ),
  CSRF_REJECTED: spec('SSPR_1007', 403, 'The request came from another site and was refused.'),
  IP_RATE_LIMITED: spec('SSPR_1008', 429, 'Too many requests from your address. Try again later.'),
  MALFORMED_JSON: spec('SSPR_1009', 400, 'The request body is not valid JSON.'),
  RESOURCE_NOT_FOUND: spec('SSPR_1010', 404, 'The requested item does not exist.'),

  // 2xxx — authentication and sessions
  UNAUTHENTICATED: spec('SSPR_2001', 401, 'Sign in first.'),
  FORBIDDEN: spec('SSPR_2002', 403, 'You do not have the role this action needs.'),
  INVALID_CREDENTIALS: spec('SSPR_2003', 401, 'The user name or password is incorrect.'),
  SIGN_IN_THROTTLED: spec(
    'SSPR_2004',
    429,
    'Too many failed sign-in attempts. Wait and try again later.',
  ),
  SECOND_FACTOR_REQUIRED: spec(
    'SSPR_2005',
    401,
    'Confirm your identity with one of your registered methods to finish signing in.',
  ),
  ADMIN_TOKEN_INVALID: spec('SSPR_2006', 401, 'The admin token is missing, unknown or revoked.'),
  ACCOUNT_DISABLED: spec('SSPR_2007', 403, 'This account is disabled. Contact your administrator.'),
  CURRENT_PASSWORD_INCORRECT: spec('SSPR_2008', 400, 'The current password is not correct.'),
  ADMIN_METHODS_REQUIRED: spec(
    'SSPR_2009',
    403,
    'Administrators must register two verification methods (not security questions) before using the admin center.',
  ),
  ADMIN_SIGN_IN_AGAIN: spec(
    'SSPR_2010',
    403,
    'Sign out and sign in again: the admin center needs a sign-in confirmed with one of your methods.',
  ),

  // 3xxx — self-service flows
  FLOW_NOT_FOUND: spec('SSPR_3001', 404, 'This password reset session does not exist.'),
  FLOW_EXPIRED: spec(
    'SSPR_3002',
    410,
    'This password reset session has expired (15 minutes). Start again.',
  ),
  FLOW_INVALID_STATE: spec(
    'SSPR_3003',
    409,
    'This step is not possible at this point of the password reset.',
  ),
  CODE_INVALID: spec('SSPR_3004', 400, 'The code is not correct. Check it and try again.'),
  CODE_EXPIRED: spec('SSPR_3005', 400, 'The code has expired (5 minutes). Ask for a new one.'),
  CODE_REPLAYED: spec(
    'SSPR_3006',
    400,
    'This authenticator code was already used. Wait for the next code and try again.',
  ),
  GATE_THROTTLED: spec(
    'SSPR_3007',
    429,
    'You have tried to verify your account too many times in the last hour. Use another option or try again later.',
  ),
  USER_BLOCKED: spec(
    'SSPR_3008',
    429,
    'You have tried to verify your account too many times. For security reasons you must wait 24 hours before you can try again.',
  ),
  EMAIL_SEND_THROTTLED: spec(
    'SSPR_3009',
    429,
    'Too many emails were sent to this account in the last 10 minutes. Try again later.',
  ),
  CAPTCHA_REQUIRED: spec('SSPR_3010', 400, 'Solve the CAPTCHA before starting.'),
  CAPTCHA_INVALID: spec('SSPR_3011', 400, 'The CAPTCHA solution is not valid. Try again.'),
  METHOD_NOT_AVAILABLE: spec(
    'SSPR_3012',
    400,
    'This verification method is not available for this password reset.',
  ),
  METHOD_ALREADY_USED: spec(
    'SSPR_3013',
    409,
    'This method was already used for the first step. Choose a different method.',
  ),
  GATES_INCOMPLETE: spec(
    'SSPR_3014',
    403,
    'Verify your identity with the required number of methods first.',
  ),
  UNLOCK_NOT_ALLOWED: spec(
    'SSPR_3015',
    403,
    'Your administrator does not allow unlocking without resetting the password.',
  ),
  SECURITY_ANSWERS_INCORRECT: spec(
    'SSPR_3016',
    400,
    'One or more answers are not correct. Answer the new set of questions.',
  ),
  NO_CHALLENGE_PENDING: spec(
    'SSPR_3017',
    409,
    'Ask for a code (or the questions) for this method first.',
  ),
  NOTHING_TO_UNLOCK: spec(
    'SSPR_3018',
    409,
    'Cloud-only accounts have no directory lockout to clear.',
  ),
  PHONE_SEND_THROTTLED: spec(
    'SSPR_3019',
    429,
    'Too many text messages or calls were sent to this account in the last 10 minutes. Try again later.',
  ),

  // 35xx — authentication methods (registration)
  METHOD_DISABLED_BY_POLICY: spec(
    'SSPR_3501',
    403,
    'Your administrator has not enabled this authentication method.',
  ),
  METHOD_REGISTRATION_NOT_FOUND: spec(
    'SSPR_3502',
    404,
    'There is no pending registration for this method. Start again.',
  ),
  SECURITY_QUESTIONS_INVALID: spec(
    'SSPR_3503',
    400,
    'The security questions are not valid. See details.',
  ),
  METHOD_NOT_ALLOWED_FOR_ADMINS: spec(
    'SSPR_3504',
    403,
    'Administrators cannot use security questions for password reset.',
  ),
  METHOD_LIMIT_REACHED: spec(
    'SSPR_3505',
    409,
    'You have registered the maximum number of methods of this kind. Remove one first.',
  ),
  METHOD_NOT_SUPPORTED: spec('SSPR_3506', 501, 'This authentication method is not available yet.'),

  // 4xxx — password and SSPR policy
  PASSWORD_POLICY_VIOLATION: spec(
    'SSPR_4001',
    422,
    'The new password does not meet the password policy. See details for each rule.',
  ),
  PASSWORD_BANNED: spec(
    'SSPR_4002',
    422,
    'Your password contains a word, phrase or pattern that makes it easily guessable. Choose a different password.',
  ),
  PASSWORD_TOO_LONG: spec('SSPR_4003', 400, 'The password is longer than 256 characters.'),
  PASSWORD_SAME_AS_CURRENT: spec(
    'SSPR_4004',
    422,
    'The new password must be different from your current password.',
  ),
  POLICY_INVALID: spec(
    'SSPR_4005',
    400,
    'The password reset policy change is not valid. See details.',
  ),

  // 5xxx — directory (via the agent) and the agent link
  DIRECTORY_PASSWORD_TOO_SHORT: spec(
    'SSPR_5001',
    422,
    "The directory refused the password: it is too short for your account's password policy.",
  ),
  DIRECTORY_PASSWORD_COMPLEXITY: spec(
    'SSPR_5002',
    422,
    'The directory refused the password: it does not meet the complexity requirements.',
  ),
  DIRECTORY_PASSWORD_IN_HISTORY: spec(
    'SSPR_5003',
    422,
    'The directory refused the password: it was used recently. Choose one you have not used before.',
  ),
  DIRECTORY_PASSWORD_TOO_YOUNG: spec(
    'SSPR_5004',
    422,
    'Your password was changed too recently (minimum password age). Try again later or contact your helpdesk.',
  ),
  DIRECTORY_WRONG_CURRENT_PASSWORD: spec('SSPR_5005', 400, 'The current password is not correct.'),
  DIRECTORY_USER_NOT_FOUND: spec(
    'SSPR_5006',
    404,
    'The account was not found in the on-premises directory.',
  ),
  DIRECTORY_ACCOUNT_DISABLED: spec(
    'SSPR_5007',
    403,
    'The account is disabled in the on-premises directory. Contact your helpdesk.',
  ),
  DIRECTORY_ACCOUNT_LOCKED: spec(
    'SSPR_5008',
    403,
    'The account is locked in the on-premises directory.',
  ),
  DIRECTORY_PASSWORD_REJECTED: spec(
    'SSPR_5009',
    422,
    'The directory refused the password for a policy reason. Choose a different password.',
  ),
  DIRECTORY_INSUFFICIENT_RIGHTS: spec(
    'SSPR_5010',
    403,
    'The writeback service account lacks the rights for this account. Contact your administrator.',
  ),
  DIRECTORY_UNREACHABLE: spec('SSPR_5011', 503, 'The on-premises directory cannot be reached.'),
  DIRECTORY_TIMEOUT: spec('SSPR_5012', 504, 'The on-premises directory did not answer in time.'),
  DIRECTORY_ERROR: spec(
    'SSPR_5013',
    502,
    'The on-premises directory answered with an unexpected error.',
  ),
  AGENT_REGISTRATION_INVALID: spec(
    'SSPR_5101',
    401,
    'The agent registration token is unknown, used or expired. Create a new one with `sspr admin agent-token create`.',
  ),
  AGENT_AUTHENTICATION_FAILED: spec(
    'SSPR_5102',
    401,
    'The agent could not be authenticated (unknown or revoked agent, or a bad signature).',
  ),
  AGENT_PROTOCOL_ERROR: spec(
    'SSPR_5103',
    400,
    'The agent sent a message this server does not understand.',
  ),
  SYNC_DELETE_GUARD: spec(
    'SSPR_5104',
    409,
    'The sync would delete more users than allowed in one run; nothing was deleted. Check the scope, then raise the limit or run a full sync.',
  ),
  SYNC_FAILED: spec('SSPR_5105', 502, 'The directory sync did not complete. See the agent status.'),

  // 6xxx — storage
  STORE_UNAVAILABLE: spec('SSPR_6001', 503, 'The data store is unavailable. Try again shortly.'),
  CONFLICT: spec('SSPR_6002', 409, 'An item with the same key already exists.'),

  // 8xxx — notifications
  MAIL_DELIVERY_FAILED: spec(
    'SSPR_8001',
    502,
    'We could not send the message. Try again, or use another method.',
  ),
  SMS_DELIVERY_FAILED: spec(
    'SSPR_8002',
    502,
    'We could not send the text message or place the call. Try again, or use another method.',
  ),

  // 9xxx — internal
  INTERNAL: spec('SSPR_9000', 500, 'Something went wrong on our side. Quote the support code.'),
  CONFIG_INVALID: spec('SSPR_9001', 500, 'The configuration is not valid.'),
  WEB_NOT_BUILT: spec('SSPR_9002', 503, 'The web portal is not built: run `npm run build:web`.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof errorRegistry;
