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
}

export interface Group {
  readonly id: string;
  readonly displayName: string;
  readonly createdAt: string;
}

export type MemberType = 'user' | 'group';
