import type {
  AccountState,
  DirectoryPasswordPolicy,
  DirectoryUser,
  RightsReport,
} from './directory.js';

/** One connected agent, as the admin API shows it (Entra's on-premises integration status). */
export interface AgentStatus {
  readonly agentId: string;
  readonly name: string;
  readonly version: string;
  readonly connected: boolean;
  readonly connectedAt: string | null;
  readonly lastHeartbeatAt: string | null;
  readonly directoryKind: 'ad' | 'openldap' | null;
  readonly directoryReachable: boolean;
  readonly rights: RightsReport | null;
  readonly lastSync: SyncSummary | null;
}

export interface WritebackStatus {
  readonly ready: boolean;
  /** Why not, in the admin's words (null when ready). */
  readonly reason: string | null;
  readonly agents: readonly AgentStatus[];
}

export interface SyncSummary {
  readonly syncId: string;
  readonly full: boolean;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly users: { readonly added: number; readonly updated: number; readonly deleted: number };
  readonly groups: { readonly added: number; readonly updated: number; readonly deleted: number };
  /** Set when the run was refused, e.g. by the accidental-delete guard. */
  readonly error: { readonly code: string; readonly message: string } | null;
  /** What the run did not apply, and why (services/directory-sync.ts fills it). */
  readonly details?: SyncDetails;
}

export interface SyncDetails {
  readonly pages: number;
  /** Users seen again without a change. */
  readonly unchanged: { readonly users: number; readonly groups: number };
  /**
   * Directory users not stored because another user holds their UPN (a cloud user, or another
   * directory user); `items` lists the first 50. Resolve the clash, then run a full sync.
   */
  readonly conflicts: {
    readonly count: number;
    readonly items: readonly {
      readonly externalId: string;
      readonly userPrincipalName: string;
      readonly dn: string;
      readonly conflictWith: { readonly id: string; readonly source: 'cloud' | 'directory' } | null;
    }[];
  };
  /** Critical system objects (never synced) and objects without a UPN that were skipped. */
  readonly skipped: { readonly criticalSystemObjects: number; readonly invalid: number };
  /** Directory mail / phone values not stored because they are not valid (e.g. no +country). */
  readonly invalidContacts: number;
  /** The deletions the accidental-delete guard refused (null when it did not trip). */
  readonly refusedDeletes: { readonly users: number; readonly groups: number } | null;
  /** Set when the guard would have tripped but an admin allowed the deletions (`--allow-deletes`). */
  readonly guardOverriddenBy: string | null;
}

/**
 * Password operations and reads, carried out by a connected agent against the directory.
 * Passwords are encrypted to the chosen agent's public key before they leave this process.
 * Each call is one job with an id, applied at most once; when no agent answers within the timeout
 * it throws SsprError ON_PREMISES_CONNECTIVITY (SSPR_0030) and nothing was applied; a directory
 * refusal comes back as the mapped SsprError (SSPR_5xxx, SSPR_0029).
 */
export interface AgentLink {
  status(): Promise<WritebackStatus>;
  findUser(query: {
    by: 'upn' | 'accountName' | 'mail';
    value: string;
  }): Promise<DirectoryUser | null>;
  resetPassword(
    dn: string,
    newPassword: string,
    options: { unlock: boolean; mustChange: boolean },
  ): Promise<void>;
  changePassword(dn: string, oldPassword: string, newPassword: string): Promise<void>;
  unlock(dn: string): Promise<void>;
  setMustChange(dn: string, mustChange: boolean): Promise<void>;
  verifyPassword(dn: string, password: string): Promise<void>;
  readAccountState(dn: string): Promise<AccountState>;
  readPasswordPolicy(dn: string): Promise<DirectoryPasswordPolicy>;
  /** Closes an agent's connection now (after its revocation); false when it was not connected. */
  disconnect(agentId: string): boolean;
  /** Asks an agent for a sync now and resolves when it is applied to the store. */
  sync(options: { full: boolean }): Promise<SyncSummary>;
}
