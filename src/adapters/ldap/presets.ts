/**
 * What differs between the two directory dialects when reading users and groups: object classes,
 * filters, attribute names, and how the stable id is spelled. Writes (reset, unlock …) differ too
 * much to be table-driven and live in active-directory.ts / openldap.ts.
 */
import { domainOfDn } from './dn.js';

export type DirectoryKind = 'ad' | 'openldap';
export type UserLookup = 'upn' | 'accountName' | 'mail';

export interface DirectoryPreset {
  readonly kind: DirectoryKind;
  /** Every user object (RFC 4515 string). */
  readonly userFilter: string;
  /** Every group object. */
  readonly groupFilter: string;
  /** Object classes a group may have (for classifying an entry). */
  readonly groupClasses: readonly string[];
  /** Attribute on a group that lists its direct members' DNs. */
  readonly memberAttribute: string;
  /** Stable id: AD `objectGUID` (binary), OpenLDAP `entryUUID` (text, operational). */
  readonly externalIdAttribute: string;
  readonly accountNameAttribute: string;
  /** Where the user principal name is read from (OpenLDAP has none: mail, else uid@domain). */
  readonly upnAttribute: string;
  readonly mailAttribute: string;
  readonly displayNameAttribute: string;
  /** Attributes to request as Buffers (ldapts would otherwise decode them as UTF-8). */
  readonly binaryAttributes: readonly string[];
  /** Entry attributes read for a user (state attributes are added by each dialect). */
  readonly userAttributes: readonly string[];
  readonly groupAttributes: readonly string[];
}

const common = ['givenName', 'sn', 'mail', 'mobile', 'telephoneNumber', 'displayName', 'memberOf'];

export const presets: Readonly<Record<DirectoryKind, DirectoryPreset>> = {
  ad: {
    kind: 'ad',
    userFilter: '(&(objectCategory=person)(objectClass=user))',
    groupFilter: '(objectClass=group)',
    groupClasses: ['group'],
    memberAttribute: 'member',
    externalIdAttribute: 'objectGUID',
    accountNameAttribute: 'sAMAccountName',
    upnAttribute: 'userPrincipalName',
    mailAttribute: 'mail',
    displayNameAttribute: 'displayName',
    binaryAttributes: ['objectGUID'],
    userAttributes: ['objectGUID', 'userPrincipalName', 'sAMAccountName', ...common],
    groupAttributes: ['objectGUID', 'cn', 'displayName', 'member', 'isCriticalSystemObject'],
  },
  openldap: {
    kind: 'openldap',
    userFilter: '(objectClass=inetOrgPerson)',
    groupFilter: '(objectClass=groupOfNames)',
    groupClasses: ['groupOfNames'],
    memberAttribute: 'member',
    externalIdAttribute: 'entryUUID',
    accountNameAttribute: 'uid',
    upnAttribute: 'mail',
    mailAttribute: 'mail',
    displayNameAttribute: 'displayName',
    binaryAttributes: [],
    userAttributes: ['entryUUID', 'uid', 'cn', ...common],
    groupAttributes: ['entryUUID', 'cn', 'description', 'member'],
  },
};

/**
 * RFC 4515 escaping of an assertion value for a string filter: `*`, `(`, `)`, `\` and NUL become
 * `\2a`, `\28`, `\29`, `\5c`, `\00`. Other characters, UTF-8 included, are legal in a filter
 * string as they are, and must stay so: ldapts's filter parser turns each `\xx` into one
 * character, not one byte, so escaped UTF-8 or binary values would reach the server mangled.
 * Binary values (objectGUID) therefore go in EqualityFilter objects, never in strings.
 */
export function escapeFilterValue(value: string): string {
  let out = '';
  for (const char of value) {
    switch (char) {
      case '*':
        out += '\\2a';
        break;
      case '(':
        out += '\\28';
        break;
      case ')':
        out += '\\29';
        break;
      case '\\':
        out += '\\5c';
        break;
      case '\0':
        out += '\\00';
        break;
      default:
        out += char;
    }
  }
  return out;
}

/** `(attr=value)` with the value escaped. */
export const eq = (attribute: string, value: string): string =>
  `(${attribute}=${escapeFilterValue(value)})`;

export const and = (...filters: string[]): string =>
  filters.length === 1 ? (filters[0] ?? '') : `(&${filters.join('')})`;

export const or = (...filters: string[]): string =>
  filters.length === 1 ? (filters[0] ?? '') : `(|${filters.join('')})`;

/**
 * The filter that finds one user by the query. For OpenLDAP, a UPN is `mail`, or `uid@<domain of
 * baseDn>`: `alice@example.org` finds the user whose mail it is, or uid=alice when the domain is
 * the base DN's.
 */
export function userLookupFilter(
  preset: DirectoryPreset,
  query: { readonly by: UserLookup; readonly value: string },
  baseDn: string,
): string {
  const value = query.value.trim();
  switch (query.by) {
    case 'accountName':
      return and(preset.userFilter, eq(preset.accountNameAttribute, value));
    case 'mail':
      return and(preset.userFilter, eq(preset.mailAttribute, value));
    case 'upn': {
      if (preset.kind === 'ad') return and(preset.userFilter, eq(preset.upnAttribute, value));
      const at = value.lastIndexOf('@');
      const domain = domainOfDn(baseDn);
      const local = at > 0 ? value.slice(0, at) : '';
      if (domain !== null && local !== '' && value.slice(at + 1).toLowerCase() === domain) {
        return and(
          preset.userFilter,
          or(eq(preset.mailAttribute, value), eq(preset.accountNameAttribute, local)),
        );
      }
      return and(preset.userFilter, eq(preset.mailAttribute, value));
    }
  }
}

/**
 * AD objectGUID (16 bytes) → lower-case UUID string. The first three fields are little-endian
 * on the wire (Microsoft's GUID layout), the last two big-endian: bytes
 * `33 22 11 00 55 44 77 66 88 99 aa bb cc dd ee ff` are `00112233-4455-6677-8899-aabbccddeeff`.
 */
export function decodeObjectGuid(bytes: Buffer): string {
  if (bytes.length !== 16)
    throw new Error(`objectGUID must be 16 bytes, got ${String(bytes.length)}`);
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = [...bytes.subarray(from, to)];
    return (reverse ? part.reverse() : part).map((b) => b.toString(16).padStart(2, '0')).join('');
  };
  return [
    hex(0, 4, true),
    hex(4, 6, true),
    hex(6, 8, true),
    hex(8, 10, false),
    hex(10, 16, false),
  ].join('-');
}

/** The inverse of decodeObjectGuid (for `(objectGUID=…)` filters and `<GUID=…>` bases). */
export function encodeObjectGuid(uuid: string): Buffer {
  const hex = uuid.toLowerCase().replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error('not a UUID');
  const bytes = Buffer.from(hex, 'hex');
  const out = Buffer.alloc(16);
  out.set([...bytes.subarray(0, 4)].reverse(), 0);
  out.set([...bytes.subarray(4, 6)].reverse(), 4);
  out.set([...bytes.subarray(6, 8)].reverse(), 6);
  out.set(bytes.subarray(8), 8);
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** OpenLDAP entryUUID is already a UUID string; normalise its case. */
export function normalizeEntryUuid(value: string): string {
  const lower = value.trim().toLowerCase();
  if (!UUID.test(lower)) throw new Error('entryUUID is not a UUID');
  return lower;
}
