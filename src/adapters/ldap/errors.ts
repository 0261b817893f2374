/**
 * LDAP failures → the domain's directory errors (registry 5xxx, plus INVALID_CREDENTIALS and
 * ON_PREMISES_ADMIN_ACTION_REQUIRED). The directory's own text travels only in `details`
 * (`directoryText`, admin-visible); no password ever reaches an error: ldapts puts only the
 * server's diagnostic message and the result code in its errors.
 *
 * Sources of the strings: Samba 4.17 (`0000052D: Constraint violation - check_password_restrictions:
 * …`, bind `data 52e/773/775/533/701`), OpenLDAP 2.5 ppolicy (code 19/50/53 texts and the
 * response control's error enum), as measured in reference/directory-servers.md §2.5 and §3.3.
 */
import { ResultCodeError } from 'ldapts';
import type { ErrorName } from '../../domain/errors/registry.js';
import { SsprError } from '../../domain/errors/sspr-error.js';
import { PPOLICY_ERRORS, type PpolicyResponse } from './controls.js';

/** What was being attempted: it decides how an ambiguous code reads (49 on a change = wrong old password). */
export type LdapOperation =
  | 'connect'
  | 'serviceBind'
  | 'verifyPassword'
  | 'userBindForChange'
  | 'resetPassword'
  | 'changePassword'
  | 'unlock'
  | 'setMustChange'
  | 'read'
  | 'search'
  | 'groupMember';

export interface MapContext {
  readonly operation: LdapOperation;
  /** The server URL the failure came from (never with credentials: LDAP URLs carry none). */
  readonly url?: string;
  /** The ppolicy response control of the failed request, when one was sent. */
  readonly ppolicy?: PpolicyResponse | undefined;
}

// ---------------------------------------------------------------------------------------------
// Parsing the directory's text

/** The server's text without the ` Code: 0x13` ldapts appends. */
export function directoryText(error: Error): string {
  return error.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '');
}

/** AD's leading `0000052D:`-style Win32/LDAP error, upper-cased, when present. */
export function adErrorCode(text: string): string | undefined {
  return /^([0-9A-Fa-f]{8}):/.exec(text)?.[1]?.toUpperCase();
}

/** AD's bind sub-code (`… data 775, v1db1` → `775`), lower-cased, when present. */
export function adDataCode(text: string): string | undefined {
  return /\bdata ([0-9a-fA-F]{3,4})\b/.exec(text)?.[1]?.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Binds

/**
 * The outcome of a failed bind that still proves the password: AD `data 773` (must change at
 * next logon) and `data 532` (expired), ppolicy `passwordExpired`.
 */
export interface PasswordMustChange {
  readonly mustChange: true;
  readonly reason: string;
}

/**
 * Classifies a failed simple bind. Returns a PasswordMustChange when the password was right but
 * must be changed first, or the SsprError to throw.
 */
export function classifyBindFailure(
  error: unknown,
  context: MapContext,
): PasswordMustChange | SsprError {
  if (error instanceof ResultCodeError && error.code === 49) {
    const text = directoryText(error);
    const data = adDataCode(text);
    const ppolicyError = context.ppolicy?.errorName;
    if (data === '773') return { mustChange: true, reason: 'mustChangeAtNextLogon' };
    if (data === '532') return { mustChange: true, reason: 'passwordExpired' };
    if (ppolicyError === 'passwordExpired') return { mustChange: true, reason: 'passwordExpired' };
  }
  return mapLdapError(error, context);
}

// ---------------------------------------------------------------------------------------------
// The mapping

const AD_BIND_DATA: Readonly<Record<string, { name: ErrorName; reason: string }>> = {
  '525': { name: 'DIRECTORY_USER_NOT_FOUND', reason: 'noSuchUser' },
  '52e': { name: 'INVALID_CREDENTIALS', reason: 'badPassword' },
  '530': { name: 'DIRECTORY_ERROR', reason: 'logonTimeRestriction' },
  '531': { name: 'DIRECTORY_ERROR', reason: 'workstationRestriction' },
  '532': { name: 'DIRECTORY_ERROR', reason: 'passwordExpired' },
  '533': { name: 'DIRECTORY_ACCOUNT_DISABLED', reason: 'accountDisabled' },
  '701': { name: 'DIRECTORY_ACCOUNT_DISABLED', reason: 'accountExpired' },
  '773': { name: 'DIRECTORY_ERROR', reason: 'mustChangeAtNextLogon' },
  '775': { name: 'DIRECTORY_ACCOUNT_LOCKED', reason: 'accountLocked' },
};

const PPOLICY_MAP: Readonly<Partial<Record<(typeof PPOLICY_ERRORS)[number], ErrorName>>> = {
  accountLocked: 'DIRECTORY_ACCOUNT_LOCKED',
  passwordModNotAllowed: 'DIRECTORY_PASSWORD_REJECTED',
  mustSupplyOldPassword: 'DIRECTORY_PASSWORD_REJECTED',
  insufficientPasswordQuality: 'DIRECTORY_PASSWORD_COMPLEXITY',
  passwordTooShort: 'DIRECTORY_PASSWORD_TOO_SHORT',
  passwordTooYoung: 'DIRECTORY_PASSWORD_TOO_YOUNG',
  passwordInHistory: 'DIRECTORY_PASSWORD_IN_HISTORY',
  passwordTooLong: 'DIRECTORY_PASSWORD_REJECTED',
};

/** Password-quality texts (AD check_password_restrictions, OpenLDAP ppolicy) → error names. */
const PASSWORD_TEXTS: readonly (readonly [RegExp, ErrorName])[] = [
  [/old password specified doesn't match/i, 'DIRECTORY_WRONG_CURRENT_PASSWORD'],
  [/password is too short|longer than \d+ characters/i, 'DIRECTORY_PASSWORD_TOO_SHORT'],
  [/complexity criteria/i, 'DIRECTORY_PASSWORD_COMPLEXITY'],
  [
    /already used|in history|not being changed from existing value/i,
    'DIRECTORY_PASSWORD_IN_HISTORY',
  ],
  [/too young/i, 'DIRECTORY_PASSWORD_TOO_YOUNG'],
];

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'EPIPE',
  'EADDRNOTAVAIL',
]);

/** Node's certificate verification failures (tls.TLSSocket authorizationError codes). */
const TLS_CODE =
  /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OSSL_)/;

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

const TRANSPORT_MESSAGES =
  /Socket error|Connection closed|Socket connection not established|reconnect refused|timed out|Connection timeout|socket hang up|TLS|SSL|certificate/i;

/** True for an error of the transport (socket, TLS, timeout), as opposed to an LDAP result. */
export function isTransportError(error: unknown): boolean {
  if (error instanceof SsprError) {
    return error.errorName === 'DIRECTORY_UNREACHABLE' || error.errorName === 'DIRECTORY_TIMEOUT';
  }
  if (error instanceof ResultCodeError || !(error instanceof Error)) return false;
  const code = codeOf(error);
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || TLS_CODE.test(code))) return true;
  if (code === 'ETIMEDOUT' || code === 'ERR_STREAM_DESTROYED') return true;
  return TRANSPORT_MESSAGES.test(error.message);
}

/**
 * A transport failure (no LDAP result): timeouts → DIRECTORY_TIMEOUT; refused, reset, DNS,
 * TLS handshake and certificate problems, closed sockets → DIRECTORY_UNREACHABLE. `reason`
 * names the problem (`tls: DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate`).
 */
export function mapTransportError(error: unknown, context: MapContext): SsprError {
  if (error instanceof SsprError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  const base = { operation: context.operation, ...(context.url ? { url: context.url } : {}) };
  if (code === 'ETIMEDOUT' || /Operation timed out|Connection timeout|timed out/i.test(message)) {
    return new SsprError('DIRECTORY_TIMEOUT', {
      details: { ...base, reason: `timeout: ${firstLine(message)}` },
      cause: error,
    });
  }
  let reason: string;
  if (code !== undefined && TLS_CODE.test(code)) reason = `tls: ${code}: ${firstLine(message)}`;
  else if (code !== undefined && UNREACHABLE_CODES.has(code))
    reason = `${code}: ${firstLine(message)}`;
  else if (code !== undefined) reason = `${code}: ${firstLine(message)}`;
  else reason = firstLine(message);
  return new SsprError('DIRECTORY_UNREACHABLE', { details: { ...base, reason }, cause: error });
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? text).trim().slice(0, 300);
}

/**
 * Maps any failure of an LDAP operation to an SsprError. An SsprError passes through unchanged.
 */
export function mapLdapError(error: unknown, context: MapContext): SsprError {
  if (error instanceof SsprError) return error;
  if (!(error instanceof ResultCodeError)) {
    if (isTransportError(error)) return mapTransportError(error, context);
    return new SsprError('DIRECTORY_ERROR', {
      details: {
        operation: context.operation,
        reason: error instanceof Error ? firstLine(error.message) : String(error),
        ...(context.url ? { url: context.url } : {}),
      },
      cause: error,
    });
  }

  const resultCode = error.code;
  const text = directoryText(error);
  const ppolicyName = context.ppolicy?.errorName;
  const details: Record<string, unknown> = {
    operation: context.operation,
    resultCode,
    directoryText: text,
    ...(context.url ? { url: context.url } : {}),
    ...(ppolicyName !== undefined ? { ppolicyError: ppolicyName } : {}),
  };
  const make = (name: ErrorName, extra: Record<string, unknown> = {}): SsprError =>
    new SsprError(name, { details: { ...details, ...extra }, cause: error });

  // The ppolicy response control is the most precise signal OpenLDAP gives.
  if (ppolicyName !== undefined) {
    const named = PPOLICY_MAP[ppolicyName];
    if (named !== undefined) return make(named);
  }

  switch (resultCode) {
    case 49: {
      const data = adDataCode(text);
      const ad = data !== undefined ? AD_BIND_DATA[data] : undefined;
      const adExtra = data !== undefined ? { adData: data } : {};
      if (context.operation === 'serviceBind') {
        return make('ON_PREMISES_ADMIN_ACTION_REQUIRED', {
          reason: `the service account cannot sign in to the directory${ad ? ` (${ad.reason})` : ''}: check bindDn and bindPassword`,
          ...adExtra,
        });
      }
      if (ad === undefined || data === '52e') {
        // A plain bad password (AD 52e; OpenLDAP says nothing more than 49).
        return context.operation === 'userBindForChange'
          ? make('DIRECTORY_WRONG_CURRENT_PASSWORD', adExtra)
          : make('INVALID_CREDENTIALS', adExtra);
      }
      return make(ad.name, { ...adExtra, reason: ad.reason });
    }
    case 19: {
      // constraintViolation: AD password restrictions, OpenLDAP ppolicy quality/history/age.
      const adCode = adErrorCode(text);
      if (adCode === '00000056')
        return make('DIRECTORY_WRONG_CURRENT_PASSWORD', { adError: adCode });
      for (const [pattern, name] of PASSWORD_TEXTS) {
        if (pattern.test(text)) return make(name, adCode ? { adError: adCode } : {});
      }
      if (adCode === '0000052D' || /password/i.test(text)) {
        return make('DIRECTORY_PASSWORD_REJECTED', adCode ? { adError: adCode } : {});
      }
      return make('DIRECTORY_ERROR');
    }
    case 53: {
      if (/unwilling to verify old password/i.test(text)) {
        return make('DIRECTORY_WRONG_CURRENT_PASSWORD');
      }
      return make('DIRECTORY_ERROR');
    }
    case 50: {
      if (/Must supply old password|User alteration of password is not allowed/i.test(text)) {
        return make('DIRECTORY_PASSWORD_REJECTED');
      }
      if (/Operations are restricted to bind\/unbind/i.test(text)) {
        // ppolicy pwdReset: the bound user must change the password first.
        return make('DIRECTORY_ERROR', { reason: 'mustChangePasswordFirst' });
      }
      return make('DIRECTORY_INSUFFICIENT_RIGHTS');
    }
    case 32:
      return make('DIRECTORY_USER_NOT_FOUND');
    case 4:
      // sizeLimitExceeded: slapd's default limit (500) also caps paged searches.
      return make('DIRECTORY_ERROR', {
        reason:
          'the directory\'s size limit stopped the search; let the service account page through all users (OpenLDAP: olcLimits: dn.exact="<bindDn>" size.prtotal=unlimited)',
      });
    case 3:
      return new SsprError('DIRECTORY_TIMEOUT', { details, cause: error });
    case 51:
    case 52:
      return make('DIRECTORY_UNREACHABLE', {
        reason: text === '' ? 'server busy or unavailable' : text,
      });
    default:
      return make('DIRECTORY_ERROR');
  }
}

/** The ppolicy error name for an enum value (for details and tests). */
export function ppolicyErrorName(value: number): string {
  return PPOLICY_ERRORS[value] ?? `unknown(${String(value)})`;
}
