/**
 * The Directory port for OpenLDAP with the ppolicy overlay (2.5) over ldapts.
 *
 * Writes follow reference/directory-servers.md §3.2, verified on slapd 2.5.13:
 *   reset   Password Modify extended operation (RFC 3062) by the service account. A password
 *           administrator (manage on userPassword) skips quality and history checks and the
 *           server sets pwdReset=TRUE; we then delete pwdReset unless `mustChange` ("never leave a
 *           password the user chose flagged must-change") and delete pwdAccountLockedTime on unlock.
 *   change  the same operation with oldPasswd, on a new connection bound as the user, so the
 *           server applies the user's whole policy; errors come from the ppolicy response control.
 *   unlock  delete pwdAccountLockedTime;  must-change  pwdReset TRUE / deleted.
 * "Disabled" is the ppolicy convention pwdAccountLockedTime=000001010000Z (locked until an
 * administrator unlocks). A reset by a password administrator would clear it and so enable the
 * account: resets, unlocks and changes of a disabled account are refused with
 * DIRECTORY_ACCOUNT_DISABLED instead.
 */
import { Attribute, Change, type Entry } from 'ldapts';
import type {
  AccountState,
  DirectoryChangePage,
  DirectoryGroup,
  DirectoryPasswordPolicy,
  DirectoryUser,
  ResetOptions,
  RightsReport,
  ScanResult,
} from '../../domain/ports/directory.js';
import { SsprError } from '../../domain/errors/sspr-error.js';
import { PASSWORD_MODIFY_OID, PasswordPolicyControl, encodePasswordModify } from './controls.js';
import {
  DEFAULT_PAGE_SIZE,
  LdapDirectoryBase,
  assertNonEmptyPassword,
  isResultCode,
  withDetails,
  type LdapDirectoryOptions,
} from './directory-base.js';
import { normalizeDn } from './dn.js';
import { bool, formatGeneralizedTime, int, parseGeneralizedTime, text, texts } from './entry.js';
import { classifyBindFailure, mapLdapError } from './errors.js';
import { and, eq, normalizeEntryUuid, or, presets } from './presets.js';

export interface OpenLdapOptions extends LdapDirectoryOptions {
  /** The policy for users without pwdPolicySubentry (slapd's olcPPolicyDefault). */
  readonly defaultPolicyDn?: string;
  /**
   * Whether the service account has `manage` on userPassword (a ppolicy password administrator):
   * its resets then skip length and history checks, which readPasswordPolicy reports in
   * `notEnforcedOnReset`. Default true.
   */
  readonly serviceIsPasswordAdministrator?: boolean;
  /** How far back a delta looks beyond the previous scan's start (clock skew); default 300 s. */
  readonly clockSkewSeconds?: number;
}

/** pwdAccountLockedTime meaning "locked until an administrator unlocks": our "disabled". */
export const LOCKED_FOREVER = '000001010000Z';

const STATE_ATTRIBUTES = [
  'pwdAccountLockedTime',
  'pwdReset',
  'pwdChangedTime',
  'pwdPolicySubentry',
] as const;

const POLICY_ATTRIBUTES = [
  'pwdAttribute',
  'pwdMinLength',
  'pwdCheckQuality',
  'pwdInHistory',
  'pwdMinAge',
  'pwdMaxAge',
  'pwdMaxFailure',
  'pwdLockout',
  'pwdLockoutDuration',
] as const;

/** The parts of a pwdPolicy entry we use (ages and durations in seconds). */
export interface PpolicyValues {
  readonly dn: string | null;
  readonly minLength: number;
  readonly checkQuality: number;
  readonly inHistory: number;
  readonly minAgeSeconds: number;
  readonly maxAgeSeconds: number;
  readonly maxFailure: number;
  readonly lockout: boolean;
  readonly lockoutDurationSeconds: number;
}

const NO_POLICY: PpolicyValues = {
  dn: null,
  minLength: 0,
  checkQuality: 0,
  inHistory: 0,
  minAgeSeconds: 0,
  maxAgeSeconds: 0,
  maxFailure: 0,
  lockout: false,
  lockoutDurationSeconds: 0,
};

export function ppolicyValues(entry: Entry): PpolicyValues {
  return {
    dn: entry.dn,
    minLength: int(entry, 'pwdMinLength') ?? 0,
    checkQuality: int(entry, 'pwdCheckQuality') ?? 0,
    inHistory: int(entry, 'pwdInHistory') ?? 0,
    minAgeSeconds: int(entry, 'pwdMinAge') ?? 0,
    maxAgeSeconds: int(entry, 'pwdMaxAge') ?? 0,
    maxFailure: int(entry, 'pwdMaxFailure') ?? 0,
    lockout: bool(entry, 'pwdLockout') === true,
    lockoutDurationSeconds: int(entry, 'pwdLockoutDuration') ?? 0,
  };
}

/** The account state an OpenLDAP entry tells, given its policy (for expiry and lockout). */
export function openLdapAccountState(entry: Entry, policy: PpolicyValues, now: Date): AccountState {
  const lockedTime = text(entry, 'pwdAccountLockedTime');
  const disabled = lockedTime === LOCKED_FOREVER;
  let locked = false;
  if (lockedTime !== null && !disabled) {
    const since = parseGeneralizedTime(lockedTime);
    locked =
      policy.lockoutDurationSeconds === 0 ||
      since === null ||
      since.getTime() + policy.lockoutDurationSeconds * 1000 > now.getTime();
  }
  const changed = parseGeneralizedTime(text(entry, 'pwdChangedTime') ?? '');
  return {
    disabled,
    locked,
    expired:
      policy.maxAgeSeconds > 0 &&
      changed !== null &&
      changed.getTime() + policy.maxAgeSeconds * 1000 < now.getTime(),
    mustChange: bool(entry, 'pwdReset') === true,
    protected: false,
    criticalSystemObject: false,
    passwordLastSet: changed?.toISOString() ?? null,
  };
}

type OpenLdapCookie = { readonly v: 1; readonly mode: 'modifyTimestamp'; readonly since: string };

export function parseOpenLdapCookie(cookie: string | null): OpenLdapCookie | null {
  if (cookie === null || cookie === '') return null;
  try {
    const value = JSON.parse(cookie) as Record<string, unknown>;
    if (
      value['v'] === 1 &&
      value['mode'] === 'modifyTimestamp' &&
      typeof value['since'] === 'string' &&
      parseGeneralizedTime(value['since']) !== null
    ) {
      return { v: 1, mode: 'modifyTimestamp', since: value['since'] };
    }
  } catch {
    // not ours: full scan
  }
  return null;
}

const POLICY_CACHE_MS = 60_000;

export class OpenLdapDirectory extends LdapDirectoryBase {
  protected readonly userAttributes: readonly string[];
  protected readonly userExclusionFilter = null;
  private readonly defaultPolicyDn: string;
  private readonly passwordAdministrator: boolean;
  private readonly clockSkewMs: number;
  private readonly policies = new Map<string, { at: number; value: Promise<PpolicyValues> }>();

  constructor(options: OpenLdapOptions) {
    super(presets.openldap, options);
    this.userAttributes = [...presets.openldap.userAttributes, ...STATE_ATTRIBUTES];
    this.defaultPolicyDn = options.defaultPolicyDn ?? `cn=default,ou=policies,${options.baseDn}`;
    this.passwordAdministrator = options.serviceIsPasswordAdministrator ?? true;
    this.clockSkewMs = (options.clockSkewSeconds ?? 300) * 1000;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /** The policy entry at `dn` (cached for a minute); NO_POLICY when it does not exist. */
  private policyAt(dn: string): Promise<PpolicyValues> {
    const key = normalizeDn(dn);
    const now = this.clock.now().getTime();
    const cached = this.policies.get(key);
    if (cached !== undefined && now - cached.at < POLICY_CACHE_MS) return cached.value;
    const value = this.readEntry(dn, POLICY_ATTRIBUTES).then((entry) =>
      entry === null || text(entry, 'pwdAttribute') === null ? NO_POLICY : ppolicyValues(entry),
    );
    value.catch(() => this.policies.delete(key));
    this.policies.set(key, { at: now, value });
    return value;
  }

  private policyOf(entry: Entry): Promise<PpolicyValues> {
    return this.policyAt(text(entry, 'pwdPolicySubentry') ?? this.defaultPolicyDn);
  }

  protected async toUsers(entries: readonly Entry[]): Promise<DirectoryUser[]> {
    if (entries.length === 0) return [];
    const memberships = await this.groupsOf(entries);
    const now = this.clock.now();
    return Promise.all(
      entries.map(async (entry) => {
        const uid = text(entry, 'uid') ?? '';
        const mail = text(entry, 'mail');
        return {
          dn: entry.dn,
          externalId: this.externalId(entry),
          userPrincipalName: (mail ?? `${uid}@${this.upnDomain}`).toLowerCase(),
          accountName: uid,
          displayName: text(entry, 'displayName') ?? text(entry, 'cn'),
          givenName: text(entry, 'givenName'),
          surname: text(entry, 'sn'),
          mail,
          mobile: text(entry, 'mobile'),
          telephoneNumber: text(entry, 'telephoneNumber'),
          state: openLdapAccountState(entry, await this.policyOf(entry), now),
          memberOf: memberships.get(normalizeDn(entry.dn)) ?? [],
        } satisfies DirectoryUser;
      }),
    );
  }

  /**
   * Direct group memberships of the users: `memberOf` when the server keeps it (memberof
   * overlay), else one search for the groups listing any of them.
   */
  private async groupsOf(entries: readonly Entry[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    const missing: Entry[] = [];
    for (const entry of entries) {
      const memberOf = texts(entry, 'memberOf');
      if (memberOf.length > 0) result.set(normalizeDn(entry.dn), memberOf);
      else missing.push(entry);
    }
    if (missing.length === 0) return result;
    const filter = and(
      this.preset.groupFilter,
      or(...missing.map((entry) => eq(this.preset.memberAttribute, entry.dn))),
    );
    const groups = await this.run(
      'search',
      async (client) => {
        try {
          return (
            await client.search(this.baseDn, {
              scope: 'sub',
              filter,
              attributes: [this.preset.memberAttribute],
            })
          ).searchEntries;
        } catch (error) {
          if (isResultCode(error, 32)) return [];
          throw error;
        }
      },
      { retry: true },
    );
    const wanted = new Set(missing.map((entry) => normalizeDn(entry.dn)));
    for (const group of groups) {
      for (const member of texts(group, this.preset.memberAttribute)) {
        let key: string;
        try {
          key = normalizeDn(member);
        } catch {
          continue;
        }
        if (!wanted.has(key)) continue;
        result.set(key, [...(result.get(key) ?? []), group.dn]);
      }
    }
    return result;
  }

  protected toGroups(entries: readonly Entry[]): Promise<DirectoryGroup[]> {
    return Promise.resolve(entries.map((entry) => this.toGroup(entry)));
  }

  private toGroup(entry: Entry): DirectoryGroup {
    return {
      dn: entry.dn,
      externalId: this.externalId(entry),
      displayName: this.groupDisplayName(entry),
      members: texts(entry, this.preset.memberAttribute),
    };
  }

  private externalId(entry: Entry): string {
    const uuid = text(entry, 'entryUUID');
    if (uuid === null) {
      throw new SsprError('DIRECTORY_ERROR', {
        details: { dn: entry.dn, reason: 'entryUUID missing or not readable' },
      });
    }
    return normalizeEntryUuid(uuid);
  }

  /** The user entry a write is about: it must exist, be a person and lie in scope. */
  private async writableUser(
    dn: string,
    operation: 'resetPassword' | 'changePassword' | 'unlock' | 'setMustChange' | 'verifyPassword',
  ): Promise<Entry> {
    const entry = await this.readEntry(dn, ['objectClass', ...STATE_ATTRIBUTES], operation);
    if (entry === null) throw this.notFound(dn, 'no such entry');
    this.assertInScope(dn);
    const classes = texts(entry, 'objectClass').map((c) => c.toLowerCase());
    if (!classes.includes('inetorgperson')) throw this.notFound(dn, 'not an inetOrgPerson');
    return entry;
  }

  private assertNotDisabled(dn: string, entry: Entry): void {
    if (text(entry, 'pwdAccountLockedTime') === LOCKED_FOREVER) {
      throw new SsprError('DIRECTORY_ACCOUNT_DISABLED', {
        details: { dn, reason: `pwdAccountLockedTime=${LOCKED_FOREVER} (disabled)` },
      });
    }
  }

  /** Deletes every value of an attribute; an absent attribute is fine. */
  private async deleteAttribute(
    dn: string,
    type: string,
    operation: 'resetPassword' | 'unlock' | 'setMustChange',
  ): Promise<void> {
    await this.run(operation, async (client) => {
      try {
        await client.modify(
          dn,
          new Change({ operation: 'delete', modification: new Attribute({ type }) }),
        );
      } catch (error) {
        if (isResultCode(error, 16)) return; // noSuchAttribute
        throw error;
      }
    });
  }

  private async replaceAttribute(
    dn: string,
    type: string,
    value: string,
    operation: 'resetPassword' | 'setMustChange',
  ): Promise<void> {
    await this.run(operation, (client) =>
      client.modify(
        dn,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type, values: [value] }),
        }),
      ),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  /**
   * Administrative reset with the Password Modify operation, then pwdReset cleared unless
   * `mustChange` (set otherwise: a write-only service account's reset does not set it) and
   * pwdAccountLockedTime deleted when `unlock`. The operation cannot be atomic with these
   * follow-ups: if one fails, the error carries `passwordSet: true`.
   */
  async resetPassword(dn: string, newPassword: string, options: ResetOptions): Promise<void> {
    const entry = await this.writableUser(dn, 'resetPassword');
    this.assertNotDisabled(dn, entry);
    await this.connector.withService('resetPassword', async ({ client, url }) => {
      const control = new PasswordPolicyControl();
      try {
        await client.exop(
          PASSWORD_MODIFY_OID,
          encodePasswordModify({ userIdentity: dn, newPassword }),
          control,
        );
      } catch (error) {
        throw mapLdapError(error, { operation: 'resetPassword', url, ppolicy: control.response });
      }
    });
    try {
      if (options.unlock) await this.deleteAttribute(dn, 'pwdAccountLockedTime', 'resetPassword');
      if (options.mustChange) await this.replaceAttribute(dn, 'pwdReset', 'TRUE', 'resetPassword');
      else await this.deleteAttribute(dn, 'pwdReset', 'resetPassword');
    } catch (error) {
      if (error instanceof SsprError) {
        throw withDetails(error, {
          passwordSet: true,
          reason: 'the password was set, but clearing pwdReset / pwdAccountLockedTime failed',
        });
      }
      throw error;
    }
  }

  /**
   * Change with the old password, as the user: a new connection binds as the user (a wrong old
   * password → DIRECTORY_WRONG_CURRENT_PASSWORD, locked → DIRECTORY_ACCOUNT_LOCKED) and sends
   * the Password Modify operation with oldPasswd and the ppolicy control, so the user's policy
   * applies in full (length, history, minimum age). A successful change clears pwdReset.
   */
  async changePassword(dn: string, oldPassword: string, newPassword: string): Promise<void> {
    assertNonEmptyPassword(oldPassword, 'DIRECTORY_WRONG_CURRENT_PASSWORD');
    const entry = await this.writableUser(dn, 'changePassword');
    this.assertNotDisabled(dn, entry);
    const bindControl = new PasswordPolicyControl();
    const bound = await this.connector.bindAs(dn, oldPassword, {
      controls: [bindControl],
      operation: 'userBindForChange',
    });
    if (!bound.ok) {
      const outcome = classifyBindFailure(bound.error, {
        operation: 'userBindForChange',
        url: bound.url,
        ppolicy: bindControl.response,
      });
      if (outcome instanceof SsprError) throw outcome;
      // Right password, but expired with no grace logins left: only a reset can help now.
      throw new SsprError('DIRECTORY_ERROR', {
        details: { dn, reason: `${outcome.reason}: the user cannot bind to change it; reset it` },
      });
    }
    try {
      const control = new PasswordPolicyControl();
      try {
        await bound.session.client.exop(
          PASSWORD_MODIFY_OID,
          encodePasswordModify({ oldPassword, newPassword }),
          control,
        );
      } catch (error) {
        throw mapLdapError(error, {
          operation: 'changePassword',
          url: bound.session.url,
          ppolicy: control.response,
        });
      }
    } finally {
      await bound.close();
    }
  }

  async unlock(dn: string): Promise<void> {
    const entry = await this.writableUser(dn, 'unlock');
    this.assertNotDisabled(dn, entry);
    await this.deleteAttribute(dn, 'pwdAccountLockedTime', 'unlock');
  }

  async setMustChange(dn: string, mustChange: boolean): Promise<void> {
    await this.writableUser(dn, 'setMustChange');
    if (mustChange) await this.replaceAttribute(dn, 'pwdReset', 'TRUE', 'setMustChange');
    else await this.deleteAttribute(dn, 'pwdReset', 'setMustChange');
  }

  /**
   * Binds as the user with the ppolicy request control (a locked account shows only through
   * it). Resolves when the password is right, also when the server wants it changed first
   * (pwdReset → changeAfterReset; expired → passwordExpired): SSPR sign-in exists precisely to
   * let such users change it. Throws INVALID_CREDENTIALS, DIRECTORY_ACCOUNT_LOCKED, or
   * DIRECTORY_ACCOUNT_DISABLED for pwdAccountLockedTime=000001010000Z.
   */
  async verifyPassword(dn: string, password: string): Promise<void> {
    assertNonEmptyPassword(password, 'INVALID_CREDENTIALS');
    const entry = await this.writableUser(dn, 'verifyPassword');
    const control = new PasswordPolicyControl();
    const result = await this.connector.bindAs(dn, password, {
      controls: [control],
      operation: 'verifyPassword',
    });
    if (result.ok) {
      await result.close();
      return;
    }
    const outcome = classifyBindFailure(result.error, {
      operation: 'verifyPassword',
      url: result.url,
      ppolicy: control.response,
    });
    if (!(outcome instanceof SsprError)) return;
    if (
      outcome.errorName === 'DIRECTORY_ACCOUNT_LOCKED' &&
      text(entry, 'pwdAccountLockedTime') === LOCKED_FOREVER
    ) {
      throw new SsprError('DIRECTORY_ACCOUNT_DISABLED', {
        details: { ...outcome.details, reason: `pwdAccountLockedTime=${LOCKED_FOREVER}` },
        cause: outcome.cause,
      });
    }
    throw outcome;
  }

  // -------------------------------------------------------------------------------------------
  // State and policy

  async readAccountState(dn: string): Promise<AccountState> {
    this.assertWithinBase(dn);
    const entry = await this.readEntry(dn, STATE_ATTRIBUTES);
    if (entry === null) throw this.notFound(dn, 'no such entry');
    return openLdapAccountState(entry, await this.policyOf(entry), this.clock.now());
  }

  /**
   * The user's pwdPolicySubentry, else the default policy (`defaultPolicyDn`). pwdMinLength
   * counts only when pwdCheckQuality is on; OpenLDAP has no complexity module.
   */
  async readPasswordPolicy(dn: string): Promise<DirectoryPasswordPolicy> {
    this.assertWithinBase(dn);
    const entry = await this.readEntry(dn, ['pwdPolicySubentry']);
    if (entry === null) throw this.notFound(dn, 'no such entry');
    const policy = await this.policyOf(entry);
    return {
      source: policy.dn === null ? 'ppolicy:none' : `ppolicy:${policy.dn}`,
      minLength: policy.checkQuality > 0 ? policy.minLength : 0,
      complexity: false,
      historyCount: policy.inHistory,
      minAgeDays: policy.minAgeSeconds / 86_400,
      maxAgeDays: policy.maxAgeSeconds / 86_400,
      lockoutThreshold: policy.lockout ? policy.maxFailure : 0,
      lockoutDurationMinutes: policy.lockoutDurationSeconds / 60,
      // A password administrator's reset skips quality and history; a write-only one's is
      // checked like a change except for the minimum age.
      notEnforcedOnReset: this.passwordAdministrator
        ? ['history', 'length', 'complexity']
        : ['minAge'],
    };
  }

  /**
   * Without writing: the service account can read users in each scope OU and the default
   * password policy. OpenLDAP cannot tell effective write rights, so whether the account is a
   * password administrator (manage on userPassword) is reported as configured.
   */
  async checkRights(): Promise<RightsReport> {
    const checks: { check: string; ok: boolean; detail?: string }[] = [];
    for (const base of this.scopeBases) {
      try {
        const found = await this.run(
          'search',
          async (client) =>
            (
              await client.search(base, {
                scope: 'sub',
                filter: this.usersFilter(),
                attributes: ['entryUUID', 'pwdAccountLockedTime'],
                sizeLimit: 1,
              })
            ).searchEntries,
          { retry: true },
        );
        const first = found[0];
        checks.push({
          check: `read users in OU ${base}`,
          ok: first === undefined || text(first, 'entryUUID') !== null,
          detail:
            first === undefined
              ? 'no user visible there'
              : text(first, 'entryUUID') === null
                ? 'entryUUID is not readable'
                : `users readable (e.g. ${first.dn})`,
        });
      } catch (error) {
        checks.push({
          check: `read users in OU ${base}`,
          ok: false,
          detail:
            error instanceof SsprError
              ? `${error.code}: ${JSON.stringify(error.details)}`
              : String(error),
        });
      }
    }
    const policy = await this.policyAt(this.defaultPolicyDn).catch(() => null);
    checks.push({
      check: 'read the default password policy',
      ok: policy !== null && policy.dn !== null,
      detail:
        policy?.dn == null
          ? `${this.defaultPolicyDn} is missing or not readable (set directory.defaultPolicyDn)`
          : `${policy.dn}: pwdMinLength ${String(policy.minLength)}, pwdInHistory ${String(policy.inHistory)}`,
    });
    checks.push({
      check: 'password administrator',
      ok: true,
      detail: this.passwordAdministrator
        ? 'configured as a ppolicy password administrator (manage on userPassword): resets skip length and history checks and set pwdReset, which the agent clears'
        : 'configured as a write-only account: resets are checked like changes',
    });
    return { ok: checks.every((check) => check.ok), checks };
  }

  // -------------------------------------------------------------------------------------------
  // Sync

  /**
   * Full scan when `cookie` is null or unusable; otherwise the users and groups whose
   * modifyTimestamp is at or after the previous scan's start (minus `clockSkewSeconds`), found
   * below baseDn so that one moved out of scope is reported in `deleted`. OpenLDAP keeps no
   * trace of deleted entries without the accesslog overlay: deltas cannot see deletions, and
   * only full scans detect them (the server compares what it receives with what it has).
   */
  async scan(
    cookie: string | null,
    sink: (page: DirectoryChangePage) => Promise<void>,
    options?: { readonly pageSize?: number },
  ): Promise<ScanResult> {
    const pageSize = Math.max(1, Math.min(options?.pageSize ?? DEFAULT_PAGE_SIZE, 1000));
    const started = new Date(this.clock.now().getTime() - this.clockSkewMs);
    const next: OpenLdapCookie = {
      v: 1,
      mode: 'modifyTimestamp',
      since: formatGeneralizedTime(started),
    };
    const previous = parseOpenLdapCookie(cookie);
    if (previous === null) {
      await this.fullScan(pageSize, sink);
      return { full: true, cookie: JSON.stringify(next) };
    }
    const changed = `(modifyTimestamp>=${previous.since})`;
    await this.pagedBaseSearch(
      and(this.usersFilter(), changed),
      this.userAttributes,
      pageSize,
      async (entries) => {
        const inScope = entries.filter((entry) => this.inScope(entry.dn));
        const moved = entries.filter((entry) => !this.inScope(entry.dn));
        await sink({
          users: await this.toUsers(inScope),
          groups: [],
          deleted: moved.map((entry) => this.externalId(entry)),
        });
      },
    );
    await this.pagedBaseSearch(
      and(this.groupsFilter(), changed),
      this.preset.groupAttributes,
      pageSize,
      async (entries) => {
        await sink({
          users: [],
          groups: entries.filter((entry) => this.inScope(entry.dn)).map((e) => this.toGroup(e)),
          deleted: entries
            .filter((entry) => !this.inScope(entry.dn))
            .map((entry) => this.externalId(entry)),
        });
      },
    );
    return { full: false, cookie: JSON.stringify(next) };
  }

  private async pagedBaseSearch(
    filter: string,
    attributes: readonly string[],
    pageSize: number,
    onPage: (entries: Entry[]) => Promise<void>,
  ): Promise<void> {
    await this.run('search', async (client) => {
      const pages = client.searchPaginated(this.baseDn, {
        scope: 'sub',
        filter,
        attributes: [...attributes],
        paged: { pageSize },
      });
      for await (const page of pages) {
        if (page.searchEntries.length > 0) await onPage(page.searchEntries);
      }
    });
  }
}

export function createOpenLdapDirectory(options: OpenLdapOptions): OpenLdapDirectory {
  return new OpenLdapDirectory(options);
}
