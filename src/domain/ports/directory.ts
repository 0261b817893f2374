/**
 * The Directory port: what the agent needs of an on-premises directory (product.md P1).
 * Implemented by adapters/ldap (ActiveDirectoryDirectory for Samba AD / Windows AD,
 * OpenLdapDirectory for OpenLDAP with ppolicy). Every failure is an SsprError whose name is one
 * of `DirectoryErrorName`; the directory's own text goes only into admin-visible details.
 */
export interface DirectoryUser {
  /** Distinguished name, as the directory returns it. */
  readonly dn: string;
  /** Stable id across renames and moves: AD objectGUID, OpenLDAP entryUUID (lower-case UUID). */
  readonly externalId: string;
  /** Lower-cased user principal name; for OpenLDAP: mail, else uid@<domain of baseDn>. */
  readonly userPrincipalName: string;
  /** sAMAccountName (AD) or uid (OpenLDAP). */
  readonly accountName: string;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly surname: string | null;
  readonly mail: string | null;
  readonly mobile: string | null;
  readonly telephoneNumber: string | null;
  readonly state: AccountState;
  /** DNs of the groups the user is a direct member of. */
  readonly memberOf: readonly string[];
}

export interface AccountState {
  readonly disabled: boolean;
  readonly locked: boolean;
  /** Password expired by age. */
  readonly expired: boolean;
  /** "Must change at next logon": AD pwdLastSet=0, OpenLDAP pwdReset=TRUE. */
  readonly mustChange: boolean;
  /** AD adminCount=1 (protected groups): never written by writeback (SSPR_0029). */
  readonly protected: boolean;
  /** AD isCriticalSystemObject: never synced, never written. */
  readonly criticalSystemObject: boolean;
  /** When the password was last set (ISO), if the directory says. */
  readonly passwordLastSet: string | null;
}

/** The directory's own password policy for one user (domain policy, PSO, or ppolicy entry). */
export interface DirectoryPasswordPolicy {
  /** Where it comes from: `domain`, `pso:<cn>`, `ppolicy:<dn>`. */
  readonly source: string;
  readonly minLength: number;
  /** AD complexity (3 of 5 categories, no account name); OpenLDAP has no complexity module. */
  readonly complexity: boolean;
  readonly historyCount: number;
  readonly minAgeDays: number;
  /** 0 = never expires. */
  readonly maxAgeDays: number;
  /** 0 = no lockout. */
  readonly lockoutThreshold: number;
  readonly lockoutDurationMinutes: number;
  /**
   * Rules the directory does NOT enforce on an administrative reset, so the product must
   * (Samba: history and minimum age without the policy-hints control; OpenLDAP manage-level
   * service account: quality and history).
   */
  readonly notEnforcedOnReset: readonly ('history' | 'minAge' | 'length' | 'complexity')[];
}

export interface DirectoryGroup {
  readonly dn: string;
  readonly externalId: string;
  readonly displayName: string;
  /** DNs of direct members (users or groups). */
  readonly members: readonly string[];
}

/** One page of a sync scan: changed users and groups, and deletions. */
export interface DirectoryChangePage {
  readonly users: readonly DirectoryUser[];
  readonly groups: readonly DirectoryGroup[];
  /** externalIds deleted (or moved out of scope) since the cookie; empty on a full scan. */
  readonly deleted: readonly string[];
}

export interface ScanResult {
  /** True when this was a full scan (no cookie, or the cookie was no longer valid). */
  readonly full: boolean;
  /** Opaque; pass back for the next delta. */
  readonly cookie: string;
}

export interface RightsReport {
  readonly ok: boolean;
  /** One line per check, e.g. { check: 'reset password on OU=Staff', ok: false, detail }. */
  readonly checks: readonly {
    readonly check: string;
    readonly ok: boolean;
    readonly detail?: string;
  }[];
}

export interface ResetOptions {
  /** Also clear a lockout (reset always unlocks, like Entra). */
  readonly unlock: boolean;
  /** Leave "must change at next logon" set (admin temporary password) or clear it (SSPR). */
  readonly mustChange: boolean;
}

export interface Directory {
  /** Finds one user in scope by UPN, account name (sAMAccountName / uid) or mail. */
  findUser(query: {
    readonly by: 'upn' | 'accountName' | 'mail';
    readonly value: string;
  }): Promise<DirectoryUser | null>;
  /** Administrative reset; with the policy-hints control where supported so history applies. */
  resetPassword(dn: string, newPassword: string, options: ResetOptions): Promise<void>;
  /** Change with the old password (as the user, or old+new in one modify). */
  changePassword(dn: string, oldPassword: string, newPassword: string): Promise<void>;
  unlock(dn: string): Promise<void>;
  setMustChange(dn: string, mustChange: boolean): Promise<void>;
  /** Binds as the user; throws INVALID_CREDENTIALS / DIRECTORY_ACCOUNT_LOCKED / … on failure. */
  verifyPassword(dn: string, password: string): Promise<void>;
  readAccountState(dn: string): Promise<AccountState>;
  readPasswordPolicy(dn: string): Promise<DirectoryPasswordPolicy>;
  addGroupMember(groupDn: string, memberDn: string): Promise<void>;
  removeGroupMember(groupDn: string, memberDn: string): Promise<void>;
  /** Checks, without changing anything, that the service account may do its job in scope. */
  checkRights(): Promise<RightsReport>;
  /**
   * Full scan (cookie null) or changes since the cookie, restricted to the configured scope
   * (critical system objects are never returned). Pages go to `sink` in order, at most
   * `pageSize` objects each, so 100 000 users never sit in memory at once.
   */
  scan(
    cookie: string | null,
    sink: (page: DirectoryChangePage) => Promise<void>,
    options?: { readonly pageSize?: number },
  ): Promise<ScanResult>;
  /** Reachable and bound (for health). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
