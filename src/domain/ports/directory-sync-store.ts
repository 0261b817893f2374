import type { Group, User } from '../model/user.js';
import type { DirectoryGroup, DirectoryUser } from './directory.js';

/** The server's copy of the directory: synced users and groups, and the sync cursor. */
export interface SyncState {
  /** The agent's opaque delta cookie; null until a full sync completed (next sync is full). */
  readonly cookie: string | null;
  readonly lastFullAt: string | null;
  readonly lastDeltaAt: string | null;
}

export interface UpsertOptions {
  /** Id of a row created by this upsert (the ingest passes Random#uuid). */
  readonly newId: () => string;
}

export interface UpsertUsersOptions extends UpsertOptions {
  /**
   * Write `mail` / `mobile` / `telephoneNumber` into the admin pre-populated contact columns
   * (email, mobilePhone, officePhone), as Entra Connect does. When false those columns are left
   * as they are. Registered methods (auth_methods) are never touched either way.
   */
  readonly prepopulateContacts: boolean;
}

export interface UpsertCounts {
  readonly added: number;
  /** Rows whose attributes changed (a move, a rename, a state change; for groups also members). */
  readonly updated: number;
  /** Rows seen again without a change (only `last_synced_at` moves). */
  readonly unchanged: number;
}

/** A directory user the store did not take, with the reason (reported in the sync summary). */
export interface SkippedUser {
  readonly externalId: string;
  readonly userPrincipalName: string;
  readonly dn: string;
  /**
   * `upnConflict`: another user (a cloud user, or another directory object) holds the UPN — the
   * user is not created, or an existing one keeps its old UPN;
   * `criticalSystemObject`: never synced; `invalid`: no UPN.
   */
  readonly reason: 'upnConflict' | 'criticalSystemObject' | 'invalid';
  /** For `upnConflict`: the holder of the UPN. */
  readonly conflictWith?: { readonly id: string; readonly source: 'cloud' | 'directory' };
}

export interface DirectorySyncRepository {
  /**
   * Inserts or updates users by externalId (source 'directory'). A new DN with the same externalId
   * is a move (an update). The user becomes a member of the directory groups of its `memberOf`
   * and of those that declare its DN as a member (groups not in the store are ignored); memberships
   * are removed only by upsertGroups (replace) and deletions. Critical system objects are never
   * stored.
   */
  upsertUsers(
    users: readonly DirectoryUser[],
    now: string,
    options: UpsertUsersOptions,
  ): Promise<UpsertCounts & { readonly skipped: readonly SkippedUser[] }>;
  /**
   * Inserts or updates groups by externalId and replaces their members by the declared member DNs,
   * resolved to users and groups of the store; DNs not (yet) in the store are remembered and
   * resolved when their object arrives.
   */
  upsertGroups(
    groups: readonly DirectoryGroup[],
    now: string,
    options: UpsertOptions,
  ): Promise<UpsertCounts>;
  /** Deletes directory users and groups by externalId (cloud rows are never touched). */
  deleteByExternalIds(externalIds: readonly string[]): Promise<{ users: number; groups: number }>;
  /** How many directory users and groups of the store have these externalIds. */
  countByExternalIds(externalIds: readonly string[]): Promise<{ users: number; groups: number }>;
  /** externalIds of directory users and groups not seen since `syncStartedAt` (full-sync deletions). */
  notSeenSince(
    syncStartedAt: string,
  ): Promise<{ users: readonly string[]; groups: readonly string[] }>;
  findUserByExternalId(externalId: string): Promise<User | null>;
  findGroupByExternalId(externalId: string): Promise<Group | null>;
  /** Directory users and groups in the store. */
  countObjects(): Promise<{ users: number; groups: number }>;
  getState(): Promise<SyncState>;
  setState(state: SyncState, now: string): Promise<void>;
}
