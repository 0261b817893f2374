import type { AuditEvent, AuditEventInput, AuditResult } from '../model/audit-event.js';
import type { AuthMethod, MethodData, MethodStatus } from '../model/auth-method.js';
import type { Flow } from '../model/flow.js';
import type { AdminRole, Group, MemberType, NewUser, User } from '../model/user.js';
import type { MethodName } from '../model/sspr-policy.js';
import type { AgentRepository } from './agent-store.js';
import type { DirectorySyncRepository } from './directory-sync-store.js';

/**
 * The store port. Implemented by adapters/store (kysely over SQLite or PostgreSQL); one contract
 * suite (test/contracts/store.contract.ts) runs against every dialect.
 * Times are ISO-8601 UTC strings (Date#toISOString), compared as strings.
 */
export interface Store {
  readonly users: UserRepository;
  readonly groups: GroupRepository;
  readonly methods: MethodRepository;
  readonly flows: FlowRepository;
  readonly codes: CodeRepository;
  readonly throttles: ThrottleRepository;
  readonly sessions: SessionRepository;
  readonly adminTokens: AdminTokenRepository;
  readonly audit: AuditRepository;
  readonly settings: SettingsRepository;
  readonly agents: AgentRepository;
  readonly directorySync: DirectorySyncRepository;
  /** Runs fn in one transaction; every repository reached through `tx` is part of it. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque cursor for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface UserRepository {
  /** Throws SsprError CONFLICT when the UPN exists. */
  create(user: NewUser, now: string): Promise<User>;
  findById(id: string): Promise<User | null>;
  /** Case-insensitive. */
  findByUpn(userPrincipalName: string): Promise<User | null>;
  /** Search by UPN / display name prefix-or-substring, ordered by UPN, cursor-paged. */
  list(query: { search?: string; cursor?: string; limit: number }): Promise<Page<User>>;
  setPasswordHash(id: string, passwordHash: string, now: string): Promise<void>;
  update(
    id: string,
    patch: Partial<
      Pick<
        User,
        | 'displayName'
        | 'givenName'
        | 'surname'
        | 'accountEnabled'
        | 'email'
        | 'mobilePhone'
        | 'officePhone'
      >
    >,
    now: string,
  ): Promise<void>;
  rolesOf(userId: string): Promise<readonly AdminRole[]>;
  addRole(userId: string, role: AdminRole): Promise<void>;
  /** Ids of users holding any admin role. */
  listAdminIds(): Promise<readonly string[]>;
  count(): Promise<number>;
}

export interface GroupRepository {
  create(group: { id: string; displayName: string }, now: string): Promise<Group>;
  findById(id: string): Promise<Group | null>;
  /** Groups whose display name or DN contains `search` (case-insensitive), by display name. */
  list(query: { search?: string; cursor?: string; limit: number }): Promise<Page<Group>>;
  addMember(groupId: string, memberId: string, memberType: MemberType): Promise<void>;
  removeMember(groupId: string, memberId: string): Promise<void>;
  /** True when the user is a member of the group directly or through nested groups (cycles safe). */
  isMemberTransitive(groupId: string, userId: string): Promise<boolean>;
  /** The groups the user is a direct member of, by display name. */
  listGroupsOfUser(userId: string): Promise<readonly Group[]>;
  /** The ids of every user in the group, directly or through nested groups (cycles safe). */
  listUserMembersTransitive(groupId: string): Promise<readonly string[]>;
}

export interface MethodRepository {
  create(
    method: {
      id: string;
      userId: string;
      kind: MethodName;
      status: MethodStatus;
      data: MethodData;
    },
    now: string,
  ): Promise<AuthMethod>;
  findById(id: string): Promise<AuthMethod | null>;
  /** Active and pending methods of a user, oldest first. */
  listByUser(userId: string): Promise<readonly AuthMethod[]>;
  activate(id: string, now: string): Promise<void>;
  replaceData(id: string, data: MethodData, now: string): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Deletes pending registrations of a kind for a user (a new start replaces the old). */
  deletePending(userId: string, kind: MethodName): Promise<void>;
  /**
   * TOTP replay guard: sets last_used_step = step only if it is greater than the stored value.
   * Returns false when the step (or a later one) was already used.
   */
  claimTotpStep(id: string, step: number, now: string): Promise<boolean>;
}

export interface FlowRepository {
  create(flow: Flow): Promise<void>;
  findById(id: string): Promise<Flow | null>;
  /** Optimistic update: writes only when the stored version equals flow.version - 1. */
  update(flow: Flow): Promise<boolean>;
  deleteExpired(before: string): Promise<number>;
}

export interface OneTimeCode {
  readonly id: string;
  readonly purpose: 'flow' | 'register-email' | 'register-phone' | 'sign-in';
  readonly subject: string;
  readonly hmac: string;
  readonly attempts: number;
  readonly expiresAt: string;
  readonly usedAt: string | null;
  readonly createdAt: string;
}

export interface CodeRepository {
  create(code: Omit<OneTimeCode, 'attempts' | 'usedAt'>): Promise<void>;
  findById(id: string): Promise<OneTimeCode | null>;
  /** The newest unused code of a purpose for a subject (e.g. the sign-in code of a session). */
  findLatestUnused(purpose: OneTimeCode['purpose'], subject: string): Promise<OneTimeCode | null>;
  /** Bumps the attempt counter first (before any comparison) and returns the new count. */
  incrementAttempts(id: string): Promise<number>;
  /** Atomically consumes: true only for the first caller (UPDATE … WHERE used_at IS NULL). */
  consume(id: string, now: string): Promise<boolean>;
  deleteExpired(before: string): Promise<number>;
}

export interface ThrottleRepository {
  /** Records one event for the key at `at`. */
  record(key: string, at: string): Promise<void>;
  /** Number of events for the key at or after `since`. */
  count(key: string, since: string): Promise<number>;
  /** Time of the latest event for the key, or null. */
  latest(key: string): Promise<string | null>;
  clear(keyPrefix: string): Promise<void>;
  block(subject: string, until: string, reason: string): Promise<void>;
  /** The block that is active at `now`, if any. */
  activeBlock(subject: string, now: string): Promise<{ until: string; reason: string } | null>;
  unblock(subject: string): Promise<void>;
  deleteBefore(before: string): Promise<number>;
}

export interface Session {
  readonly id: string;
  readonly userId: string;
  /** True until the user passed the second step of sign-in. */
  readonly pendingSecondFactor: boolean;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface SessionRepository {
  /** `tokenHash` is SHA-256 of the cookie value; the raw token is never stored. */
  create(session: Session & { tokenHash: string }): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<Session | null>;
  completeSecondFactor(id: string): Promise<void>;
  delete(id: string): Promise<void>;
  /** Revokes every session of the user (except one, when given). Returns how many. */
  deleteByUser(userId: string, exceptId?: string): Promise<number>;
}

export interface AdminToken {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export interface AdminTokenRepository {
  create(token: { id: string; name: string; tokenHash: string }, now: string): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<AdminToken | null>;
  touch(id: string, now: string): Promise<void>;
  revoke(id: string, now: string): Promise<void>;
  list(): Promise<readonly AdminToken[]>;
}

export interface AuditQuery {
  readonly from?: string;
  readonly to?: string;
  readonly activity?: string;
  /** Matches actor or target, by id or UPN. */
  readonly user?: string;
  readonly result?: AuditResult;
  readonly correlationId?: string;
  readonly cursor?: string;
  readonly limit: number;
}

/** One group of audit events counted by AuditRepository.countByDay. */
export interface AuditDayCount {
  /** UTC date of occurredAt, YYYY-MM-DD. */
  readonly day: string;
  readonly activity: string;
  readonly result: AuditResult;
  /** `details.method` when it is a string, else null. */
  readonly method: string | null;
  /** Failures only: `details.code` when it is a string, else null. */
  readonly code: string | null;
  /** Failures only: the result reason; null for successes. */
  readonly resultReason: string | null;
  readonly count: number;
}

export interface AuditRepository {
  append(event: AuditEventInput & { id: string; occurredAt: string }): Promise<AuditEvent>;
  /** Newest first. */
  query(query: AuditQuery): Promise<Page<AuditEvent>>;
  /**
   * Events of the given activities with from <= occurredAt <= to, counted per UTC day, activity,
   * result, method and (for failures) code and reason: one pass in the database (usage reports).
   */
  countByDay(query: {
    readonly from: string;
    readonly to: string;
    readonly activities: readonly string[];
  }): Promise<readonly AuditDayCount[]>;
}

export interface SettingsRepository {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, now: string): Promise<void>;
}
