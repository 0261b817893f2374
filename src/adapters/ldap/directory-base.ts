/**
 * What both LDAP dialects share: the connection, the scope rules, user lookup, group membership
 * writes and the mapping of result errors. ActiveDirectoryDirectory and OpenLdapDirectory add
 * the password writes, account state, policy and change tracking of their directory.
 *
 * Scope rules: users are found, synced, written and verified only below a `scope` OU (all of
 * `baseDn` when `scope` is empty); a DN outside it is DIRECTORY_USER_NOT_FOUND for writes and
 * verifyPassword, so the agent cannot be used to reach accounts it was not configured for.
 * readAccountState / readPasswordPolicy accept any DN below `baseDn` (diagnostics).
 */
import { Attribute, Change, type Client, type Control, type Entry } from 'ldapts';
import type { Clock } from '../../domain/ports/clock.js';
import type {
  AccountState,
  Directory,
  DirectoryChangePage,
  DirectoryGroup,
  DirectoryPasswordPolicy,
  DirectoryUser,
  ResetOptions,
  RightsReport,
  ScanResult,
} from '../../domain/ports/directory.js';
import type { ErrorDetails } from '../../domain/errors/sspr-error.js';
import { SsprError } from '../../domain/errors/sspr-error.js';
import {
  createLdapConnector,
  type LdapConnector,
  type LdapConnectorOptions,
} from './connection.js';
import { domainOfDn, isDnWithin, normalizeDn } from './dn.js';
import { text, texts } from './entry.js';
import { isTransportError, mapLdapError, type LdapOperation } from './errors.js';
import { and, userLookupFilter, type DirectoryPreset, type UserLookup } from './presets.js';

export interface LdapDirectoryOptions extends LdapConnectorOptions {
  /** Search base for users and groups. */
  readonly baseDn: string;
  /** OU DNs whose users are in scope; empty = all of `baseDn`. */
  readonly scope: readonly string[];
  readonly clock?: Clock;
}

export const DEFAULT_PAGE_SIZE = 500;

/** The same error with more admin-visible details. */
export function withDetails(error: SsprError, extra: ErrorDetails): SsprError {
  return new SsprError(error.errorName, {
    details: { ...error.details, ...extra },
    cause: error.cause,
    ...(error.retryAfterSeconds !== undefined
      ? { retryAfterSeconds: error.retryAfterSeconds }
      : {}),
  });
}

export function isResultCode(error: unknown, ...codes: number[]): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'number' &&
    codes.includes(error.code) &&
    !isTransportError(error)
  );
}

/** An empty simple bind is an anonymous bind that "succeeds": never let one through. */
export function assertNonEmptyPassword(
  password: string,
  errorName: 'INVALID_CREDENTIALS' | 'DIRECTORY_WRONG_CURRENT_PASSWORD',
): void {
  if (password === '') {
    throw new SsprError(errorName, { details: { reason: 'empty password' } });
  }
}

export abstract class LdapDirectoryBase implements Directory {
  protected readonly connector: LdapConnector;
  protected readonly baseDn: string;
  /** The service account's bind name (a DN, or for AD also user@domain / DOMAIN\\name). */
  protected readonly bindDn: string;
  protected readonly scopeBases: readonly string[];
  protected readonly clock: Clock;

  protected constructor(
    protected readonly preset: DirectoryPreset,
    options: LdapDirectoryOptions,
  ) {
    this.connector = createLdapConnector(options);
    this.baseDn = options.baseDn;
    this.bindDn = options.bindDn;
    this.scopeBases = options.scope.length > 0 ? [...options.scope] : [options.baseDn];
    this.clock = options.clock ?? { now: () => new Date() };
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  /**
   * Runs `fn` on the service connection; LDAP result errors become SsprErrors (transport
   * errors already are). `retry` only for reads.
   */
  protected run<T>(
    operation: LdapOperation,
    fn: (client: Client) => Promise<T>,
    options?: { readonly retry?: boolean },
  ): Promise<T> {
    return this.connector.withService(
      operation,
      async ({ client, url }) => {
        try {
          return await fn(client);
        } catch (error) {
          if (isTransportError(error)) throw error;
          throw mapLdapError(error, { operation, url });
        }
      },
      options,
    );
  }

  /** One entry by DN, or null when it does not exist (or is not visible). */
  protected readEntry(
    dn: string,
    attributes: readonly string[],
    operation: LdapOperation = 'read',
    controls?: Control[],
  ): Promise<Entry | null> {
    return this.run(
      operation,
      async (client) => {
        try {
          const result = await client.search(
            dn,
            {
              scope: 'base',
              filter: '(objectClass=*)',
              attributes: [...attributes],
              explicitBufferAttributes: [...this.preset.binaryAttributes],
            },
            controls,
          );
          return result.searchEntries[0] ?? null;
        } catch (error) {
          if (isResultCode(error, 32)) return null;
          throw error;
        }
      },
      { retry: true },
    );
  }

  protected inScope(dn: string): boolean {
    return this.scopeBases.some((base) => isDnWithin(dn, base));
  }

  protected withinBase(dn: string): boolean {
    return isDnWithin(dn, this.baseDn);
  }

  protected notFound(dn: string, reason: string): SsprError {
    return new SsprError('DIRECTORY_USER_NOT_FOUND', { details: { dn, reason } });
  }

  protected assertInScope(dn: string): void {
    if (!this.inScope(dn)) {
      throw this.notFound(dn, 'outside the configured scope (directory.scope)');
    }
  }

  protected assertWithinBase(dn: string): void {
    if (!this.withinBase(dn)) throw this.notFound(dn, 'outside directory.baseDn');
  }

  /** The upn domain for directories without userPrincipalName. */
  protected get upnDomain(): string {
    return domainOfDn(this.baseDn) ?? 'localdomain';
  }

  // -------------------------------------------------------------------------------------------
  // Users

  /** Attributes read for a DirectoryUser (the preset's plus the dialect's state attributes). */
  protected abstract readonly userAttributes: readonly string[];

  /** Extra filter excluding entries that are never synced (AD critical system objects). */
  protected abstract readonly userExclusionFilter: string | null;

  /** Builds the DirectoryUsers of a page of entries (dialects may look up more, e.g. groups). */
  protected abstract toUsers(entries: readonly Entry[]): Promise<DirectoryUser[]>;

  protected abstract toGroups(entries: readonly Entry[]): Promise<DirectoryGroup[]>;

  protected usersFilter(extra?: string): string {
    const parts = [this.preset.userFilter];
    if (this.userExclusionFilter !== null) parts.push(this.userExclusionFilter);
    if (extra !== undefined) parts.push(extra);
    return and(...parts);
  }

  /**
   * Finds the one user in scope whose UPN, account name or mail is `value`. Null when there is
   * none, and also when several match (an ambiguous identifier never picks an account).
   */
  async findUser(query: {
    readonly by: UserLookup;
    readonly value: string;
  }): Promise<DirectoryUser | null> {
    // Control characters never occur in a user name; Samba would cut a value at a NUL byte and
    // match the prefix, so such values are refused before they reach the directory.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    if (query.value.trim() === '' || /[\u0000-\u001f\u007f]/.test(query.value)) return null;
    const filter = this.usersFilter(userLookupFilter(this.preset, query, this.baseDn));
    const found = new Map<string, Entry>();
    for (const base of this.scopeBases) {
      const entries = await this.run(
        'search',
        async (client) => {
          try {
            const result = await client.search(base, {
              scope: 'sub',
              filter,
              attributes: [...this.userAttributes],
              explicitBufferAttributes: [...this.preset.binaryAttributes],
              sizeLimit: 3,
            });
            return result.searchEntries;
          } catch (error) {
            if (isResultCode(error, 32)) return [];
            throw error;
          }
        },
        { retry: true },
      );
      for (const entry of entries) found.set(normalizeDn(entry.dn), entry);
    }
    if (found.size !== 1) return null;
    const [user] = await this.toUsers([...found.values()]);
    return user ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Groups

  private async changeMembership(
    groupDn: string,
    memberDn: string,
    operation: 'add' | 'delete',
  ): Promise<void> {
    if (!this.withinBase(groupDn)) {
      throw new SsprError('RESOURCE_NOT_FOUND', {
        details: { dn: groupDn, reason: 'group outside directory.baseDn' },
      });
    }
    await this.run('groupMember', async (client) => {
      try {
        await client.modify(
          groupDn,
          new Change({
            operation,
            modification: new Attribute({ type: this.preset.memberAttribute, values: [memberDn] }),
          }),
        );
      } catch (error) {
        // Idempotent: already a member (20 typeOrValueExists, AD 68) / not a member (16; AD 53).
        if (operation === 'add' && isResultCode(error, 20, 68)) return;
        if (operation === 'delete' && isResultCode(error, 16)) return;
        if (
          operation === 'delete' &&
          isResultCode(error, 53) &&
          error instanceof Error &&
          /member/i.test(error.message)
        ) {
          return;
        }
        throw error;
      }
    });
  }

  addGroupMember(groupDn: string, memberDn: string): Promise<void> {
    return this.changeMembership(groupDn, memberDn, 'add');
  }

  removeGroupMember(groupDn: string, memberDn: string): Promise<void> {
    return this.changeMembership(groupDn, memberDn, 'delete');
  }

  // -------------------------------------------------------------------------------------------
  // Scanning helpers

  /**
   * Paged search under each scope base (nested bases dropped, so no entry comes twice); each
   * page goes to `onPage` before the next one is read.
   */
  protected async pagedScopeSearch(
    filter: string,
    attributes: readonly string[],
    pageSize: number,
    onPage: (entries: Entry[]) => Promise<void>,
  ): Promise<void> {
    for (const base of this.nonOverlappingScopeBases()) {
      await this.run('search', async (client) => {
        try {
          const pages = client.searchPaginated(base, {
            scope: 'sub',
            filter,
            attributes: [...attributes],
            explicitBufferAttributes: [...this.preset.binaryAttributes],
            paged: { pageSize },
          });
          for await (const page of pages) {
            if (page.searchEntries.length > 0) await onPage(page.searchEntries);
          }
        } catch (error) {
          if (isResultCode(error, 32)) return;
          throw error;
        }
      });
    }
  }

  /** Scope bases without those lying inside another one (OU=Finance,OU=Staff inside OU=Staff). */
  protected nonOverlappingScopeBases(): string[] {
    return this.scopeBases.filter(
      (base, index) =>
        !this.scopeBases.some(
          (other, otherIndex) =>
            otherIndex !== index &&
            isDnWithin(base, other) &&
            (normalizeDn(base) !== normalizeDn(other) || otherIndex < index),
        ),
    );
  }

  /** Full scan of users then groups in scope, in pages of at most `pageSize`. */
  protected async fullScan(
    pageSize: number,
    sink: (page: DirectoryChangePage) => Promise<void>,
  ): Promise<void> {
    await this.pagedScopeSearch(
      this.usersFilter(),
      this.userAttributes,
      pageSize,
      async (entries) => {
        await sink({ users: await this.toUsers(entries), groups: [], deleted: [] });
      },
    );
    await this.pagedScopeSearch(
      this.groupsFilter(),
      this.preset.groupAttributes,
      pageSize,
      async (entries) => {
        await sink({ users: [], groups: await this.toGroups(entries), deleted: [] });
      },
    );
  }

  protected groupsFilter(): string {
    return this.userExclusionFilter === null
      ? this.preset.groupFilter
      : and(this.preset.groupFilter, this.userExclusionFilter);
  }

  protected groupDisplayName(entry: Entry): string {
    return (
      text(entry, this.preset.displayNameAttribute) ??
      text(entry, 'cn') ??
      texts(entry, 'sAMAccountName')[0] ??
      entry.dn
    );
  }

  /** Sends `items` to the sink in slices of `pageSize`. */
  protected static async inPages<T>(
    items: readonly T[],
    pageSize: number,
    send: (slice: T[]) => Promise<void>,
  ): Promise<void> {
    for (let index = 0; index < items.length; index += pageSize) {
      await send(items.slice(index, index + pageSize));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Health

  async ping(): Promise<void> {
    await this.run(
      'read',
      (client) => client.search('', { scope: 'base', attributes: ['namingContexts'] }),
      { retry: true },
    );
  }

  close(): Promise<void> {
    return this.connector.close();
  }

  // -------------------------------------------------------------------------------------------
  // Dialect operations

  abstract resetPassword(dn: string, newPassword: string, options: ResetOptions): Promise<void>;
  abstract changePassword(dn: string, oldPassword: string, newPassword: string): Promise<void>;
  abstract unlock(dn: string): Promise<void>;
  abstract setMustChange(dn: string, mustChange: boolean): Promise<void>;
  abstract verifyPassword(dn: string, password: string): Promise<void>;
  abstract readAccountState(dn: string): Promise<AccountState>;
  abstract readPasswordPolicy(dn: string): Promise<DirectoryPasswordPolicy>;
  abstract checkRights(): Promise<RightsReport>;
  abstract scan(
    cookie: string | null,
    sink: (page: DirectoryChangePage) => Promise<void>,
    options?: { readonly pageSize?: number },
  ): Promise<ScanResult>;
}
