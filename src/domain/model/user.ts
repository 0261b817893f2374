/** Admin roles (product.md P12). Any role makes the user an administrator for SSPR purposes. */
export const adminRoles = [
  'globalAdministrator',
  'passwordAdministrator',
  'helpdeskAdministrator',
  'hybridIdentityAdministrator',
  'userAdministrator',
  'reportsReader',
] as const;
export type AdminRole = (typeof adminRoles)[number];

/** Where the account's password lives: the server's own store, or an on-premises directory. */
export type UserSource = 'cloud' | 'directory';

/**
 * Account states of a directory user as read at the last sync. Informational only: the flows read
 * lockout (and the rest) live through the agent at reset time. `disabled` is not here: it is
 * synced into `accountEnabled`, like Entra's userAccountControl → accountEnabled.
 */
export interface DirectoryState {
  readonly locked: boolean;
  /** Password expired by age. */
  readonly expired: boolean;
  /** "Must change at next logon". */
  readonly mustChange: boolean;
  /** AD adminCount=1: never written by writeback (SSPR_0029). */
  readonly protected: boolean;
  readonly passwordLastSet: string | null;
}

export interface User {
  readonly id: string;
  /** Lower-cased user principal name, unique. */
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly source: UserSource;
  readonly accountEnabled: boolean;
  /** Argon2id PHC string for cloud-only users; null for directory users. */
  readonly passwordHash: string | null;
  readonly passwordChangedAt: string | null;
  /** Admin pre-populated authentication contact data (usable without registration, like Entra). */
  readonly email: string | null;
  readonly mobilePhone: string | null;
  readonly officePhone: string | null;
  /** Directory users: AD objectGUID / OpenLDAP entryUUID (lower-case UUID), unique; else null. */
  readonly externalId: string | null;
  /** Directory users: the distinguished name at the last sync (changes when the user moves). */
  readonly directoryDn: string | null;
  /** Directory users: sAMAccountName (AD) or uid (OpenLDAP). */
  readonly accountName: string | null;
  readonly directoryState: DirectoryState | null;
  /** Directory users: when the last sync saw the user. */
  readonly lastSyncedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly source: UserSource;
  readonly accountEnabled: boolean;
  readonly passwordHash: string | null;
  readonly email: string | null;
  readonly mobilePhone: string | null;
  readonly officePhone: string | null;
  /** Null for cloud users; directory users are written by the sync (DirectorySyncRepository). */
  readonly externalId: string | null;
  readonly directoryDn: string | null;
  readonly accountName: string | null;
  readonly directoryState: DirectoryState | null;
}

export interface Group {
  readonly id: string;
  readonly displayName: string;
  /** Directory groups: AD objectGUID / OpenLDAP entryUUID; null for groups made in the server. */
  readonly externalId: string | null;
  readonly directoryDn: string | null;
  readonly createdAt: string;
}

export type MemberType = 'user' | 'group';
