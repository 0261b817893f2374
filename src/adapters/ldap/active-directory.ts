/**
 * The Directory port for Active Directory (Windows AD and Samba AD DC) over ldapts.
 *
 * Writes follow reference/directory-servers.md §2.4, all verified on Samba 4.17:
 *   reset   one modify: replace unicodePwd ("pw" in UTF-16LE) [+ lockoutTime=0] + pwdLastSet
 *           0 (must change) or -1 (now), with the policy-hints control when the DC supports it
 *   change  one modify as the service account: delete unicodePwd <old>, add unicodePwd <new>
 *           (the DC checks the old password and enforces the whole policy)
 *   unlock  replace lockoutTime 0;  must-change  replace pwdLastSet 0 / -1
 * Critical system objects (Administrator, krbtgt …) are refused with
 * ON_PREMISES_ADMIN_ACTION_REQUIRED before anything is sent. Protected accounts (adminCount=1)
 * are not refused here: the DC refuses them (their descriptor grants the agent nothing), and the
 * error says `protected: true`.
 */
import {
  AndFilter,
  Attribute,
  Change,
  EqualityFilter,
  FilterParser,
  OrFilter,
  type Client,
  type Entry,
  type Filter,
} from 'ldapts';
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
import {
  DIRSYNC_OBJECT_SECURITY,
  DIRSYNC_OID,
  DirSyncControl,
  POLICY_HINTS_DEPRECATED_OID,
  POLICY_HINTS_OID,
  PolicyHintsControl,
  SdFlagsControl,
  showDeletedControl,
} from './controls.js';
import {
  DEFAULT_PAGE_SIZE,
  LdapDirectoryBase,
  assertNonEmptyPassword,
  withDetails,
  type LdapDirectoryOptions,
} from './directory-base.js';
import { firstRdnValue, parseDn } from './dn.js';
import { bigint, bool, buffer, fileTimeToDate, int, text, texts } from './entry.js';
import { classifyBindFailure } from './errors.js';
import { decodeObjectGuid, encodeObjectGuid, eq, presets } from './presets.js';
import {
  RESET_PASSWORD_RIGHT,
  WELL_KNOWN_TOKEN_SIDS,
  decodeSid,
  grantsControlAccess,
} from './security-descriptor.js';

export interface ActiveDirectoryOptions extends LdapDirectoryOptions {
  /**
   * How deltas are found: `auto` (default) uses DirSync when the DC offers it and the service
   * account may use it (with LDAP_DIRSYNC_OBJECT_SECURITY a plain account may), else uSNChanged.
   */
  readonly changeTracking?: 'auto' | 'dirsync' | 'usn';
}

// userAccountControl and msDS-User-Account-Control-Computed bits
const UF_ACCOUNTDISABLE = 0x2;
const UF_LOCKOUT = 0x10;
const UF_PASSWORD_EXPIRED = 0x800000;

const STATE_ATTRIBUTES = [
  'userAccountControl',
  'lockoutTime',
  'pwdLastSet',
  'msDS-User-Account-Control-Computed',
  'adminCount',
  'isCriticalSystemObject',
] as const;

const PSO_ATTRIBUTES = [
  'msDS-MinimumPasswordLength',
  'msDS-PasswordComplexityEnabled',
  'msDS-PasswordHistoryLength',
  'msDS-MinimumPasswordAge',
  'msDS-MaximumPasswordAge',
  'msDS-LockoutThreshold',
  'msDS-LockoutDuration',
] as const;

const DOMAIN_POLICY_ATTRIBUTES = [
  'minPwdLength',
  'pwdProperties',
  'pwdHistoryLength',
  'minPwdAge',
  'maxPwdAge',
  'lockoutThreshold',
  'lockoutDuration',
] as const;

/** The most negative 64-bit value: AD's "never" for intervals. */
const NEVER = -0x8000000000000000n;
const TICKS_PER_MINUTE = 600_000_000n;
const TICKS_PER_DAY = 864_000_000_000n;

/** AD interval (negative 100-ns ticks) → days; 0 and "never" → 0. */
export function adIntervalToDays(value: bigint | null): number {
  if (value === null || value === 0n || value === NEVER) return 0;
  const ticks = value < 0n ? -value : value;
  return Number(ticks) / Number(TICKS_PER_DAY);
}

/** AD interval → minutes; 0 and "never" → 0 (locked until an administrator unlocks). */
export function adIntervalToMinutes(value: bigint | null): number {
  if (value === null || value === 0n || value === NEVER) return 0;
  const ticks = value < 0n ? -value : value;
  return Number(ticks) / Number(TICKS_PER_MINUTE);
}

/** The account state an AD user entry tells (STATE_ATTRIBUTES requested). */
export function adAccountState(entry: Entry): AccountState {
  const uac = int(entry, 'userAccountControl') ?? 0;
  const computed = int(entry, 'msDS-User-Account-Control-Computed');
  const lockoutTime = bigint(entry, 'lockoutTime') ?? 0n;
  const pwdLastSet = bigint(entry, 'pwdLastSet');
  const mustChange = pwdLastSet === 0n;
  return {
    disabled: (uac & UF_ACCOUNTDISABLE) !== 0,
    // The computed bit knows about lockoutDuration expiry; lockoutTime alone does not.
    locked: computed !== null ? (computed & UF_LOCKOUT) !== 0 : lockoutTime > 0n,
    expired: computed !== null && (computed & UF_PASSWORD_EXPIRED) !== 0 && !mustChange,
    mustChange,
    protected: int(entry, 'adminCount') === 1,
    criticalSystemObject: bool(entry, 'isCriticalSystemObject') === true,
    passwordLastSet:
      pwdLastSet === null ? null : (fileTimeToDate(pwdLastSet)?.toISOString() ?? null),
  };
}

/** `"password"` in UTF-16LE: the only form unicodePwd accepts. */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

const replace = (type: string, value: string | Buffer): Change =>
  new Change({
    operation: 'replace',
    modification: new Attribute({ type, values: Buffer.isBuffer(value) ? [value] : [value] }),
  });

// Change-tracking cookies (opaque to callers, JSON inside)
type AdCookie =
  | {
      readonly v: 1;
      readonly mode: 'dirsync';
      readonly dirsync: string;
      readonly flags: number;
      readonly usn: number;
      readonly dc: string;
    }
  | { readonly v: 1; readonly mode: 'usn'; readonly usn: number; readonly dc: string };

export function parseAdCookie(cookie: string | null): AdCookie | null {
  if (cookie === null || cookie === '') return null;
  try {
    const value = JSON.parse(cookie) as Record<string, unknown>;
    if (value['v'] !== 1 || typeof value['usn'] !== 'number' || typeof value['dc'] !== 'string') {
      return null;
    }
    if (value['mode'] === 'usn') return { v: 1, mode: 'usn', usn: value['usn'], dc: value['dc'] };
    if (
      value['mode'] === 'dirsync' &&
      typeof value['dirsync'] === 'string' &&
      typeof value['flags'] === 'number'
    ) {
      return {
        v: 1,
        mode: 'dirsync',
        dirsync: value['dirsync'],
        flags: value['flags'],
        usn: value['usn'],
        dc: value['dc'],
      };
    }
    return null;
  } catch {
    return null;
  }
}

/**
 * All values of a multi-valued attribute, following AD's ranged retrieval: a group with more
 * members than MaxValRange (1 500 on Windows) comes back as `member;range=0-1499`, and the rest
 * must be asked for as `member;range=1500-*` … until a range ends in `*`.
 */
export async function collectRangedValues(
  entry: Entry,
  attribute: string,
  fetch: (range: string) => Promise<Entry | null>,
): Promise<string[]> {
  const rangedKey = (of: Entry): string | undefined =>
    Object.keys(of).find((key) =>
      key.toLowerCase().startsWith(`${attribute.toLowerCase()};range=`),
    );
  let key = rangedKey(entry);
  if (key === undefined) return texts(entry, attribute);
  const values = texts(entry, key);
  for (let guard = 0; guard < 100_000; guard += 1) {
    const match = /;range=\d+-(\d+|\*)$/i.exec(key);
    if (match?.[1] === undefined || match[1] === '*') break;
    const next = await fetch(`${String(Number(match[1]) + 1)}-*`);
    key = next === null ? undefined : rangedKey(next);
    if (next === null || key === undefined) break;
    values.push(...texts(next, key));
  }
  return values;
}

interface RootDse {
  readonly defaultNamingContext: string;
  readonly dsServiceName: string;
  readonly highestCommittedUsn: number;
  readonly supportedControls: ReadonlySet<string>;
}

const CHANGE_FILTER = '(|(objectClass=user)(objectClass=group))';

export class ActiveDirectoryDirectory extends LdapDirectoryBase {
  protected readonly userAttributes: readonly string[];
  protected readonly userExclusionFilter = '(!(isCriticalSystemObject=TRUE))';
  private readonly changeTracking: 'auto' | 'dirsync' | 'usn';
  private capabilities: Promise<RootDse> | undefined;

  constructor(options: ActiveDirectoryOptions) {
    super(presets.ad, options);
    this.userAttributes = [...presets.ad.userAttributes, ...STATE_ATTRIBUTES];
    this.changeTracking = options.changeTracking ?? 'auto';
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private async rootDse(): Promise<RootDse> {
    const entry = await this.run(
      'read',
      async (client) =>
        (
          await client.search('', {
            scope: 'base',
            filter: '(objectClass=*)',
            attributes: [
              'defaultNamingContext',
              'dsServiceName',
              'highestCommittedUSN',
              'supportedControl',
            ],
          })
        ).searchEntries[0],
      { retry: true },
    );
    if (entry === undefined)
      throw new SsprError('DIRECTORY_ERROR', { details: { reason: 'no rootDSE' } });
    return {
      defaultNamingContext: text(entry, 'defaultNamingContext') ?? this.baseDn,
      dsServiceName: text(entry, 'dsServiceName') ?? '',
      highestCommittedUsn: int(entry, 'highestCommittedUSN') ?? 0,
      supportedControls: new Set(texts(entry, 'supportedControl')),
    };
  }

  /** rootDSE facts that do not change while we run (controls, naming context), read once. */
  private cachedCapabilities(): Promise<RootDse> {
    this.capabilities ??= this.rootDse().catch((error: unknown) => {
      this.capabilities = undefined;
      throw error;
    });
    return this.capabilities;
  }

  /** The policy-hints control when the DC supports it (Samba 4.17 does not). */
  private async policyHints(): Promise<PolicyHintsControl | null> {
    const { supportedControls } = await this.cachedCapabilities();
    if (supportedControls.has(POLICY_HINTS_OID)) return new PolicyHintsControl(POLICY_HINTS_OID);
    if (supportedControls.has(POLICY_HINTS_DEPRECATED_OID)) {
      return new PolicyHintsControl(POLICY_HINTS_DEPRECATED_OID);
    }
    return null;
  }

  /** The domain naming context a DN belongs to (its trailing DC= RDNs). */
  private async domainOf(dn: string): Promise<string> {
    try {
      const rdns = parseDn(dn);
      let start = rdns.length;
      while (start > 0 && rdns[start - 1]?.length === 1 && rdns[start - 1]?.[0]?.type === 'dc') {
        start -= 1;
      }
      if (start < rdns.length) {
        return rdns
          .slice(start)
          .map((rdn) => `DC=${rdn[0]?.value ?? ''}`)
          .join(',');
      }
    } catch {
      // fall through to the rootDSE
    }
    return (await this.cachedCapabilities()).defaultNamingContext;
  }

  protected toUsers(entries: readonly Entry[]): Promise<DirectoryUser[]> {
    return Promise.resolve(entries.map((entry) => this.toUser(entry)));
  }

  private toUser(entry: Entry): DirectoryUser {
    const accountName = text(entry, 'sAMAccountName') ?? '';
    return {
      dn: entry.dn,
      externalId: this.externalId(entry),
      userPrincipalName: (
        text(entry, 'userPrincipalName') ?? `${accountName}@${this.upnDomain}`
      ).toLowerCase(),
      accountName,
      displayName: text(entry, 'displayName'),
      givenName: text(entry, 'givenName'),
      surname: text(entry, 'sn'),
      mail: text(entry, 'mail'),
      mobile: text(entry, 'mobile'),
      telephoneNumber: text(entry, 'telephoneNumber'),
      state: adAccountState(entry),
      memberOf: texts(entry, 'memberOf'),
    };
  }

  protected toGroups(entries: readonly Entry[]): Promise<DirectoryGroup[]> {
    return Promise.all(
      entries.map(async (entry) => ({
        dn: entry.dn,
        externalId: this.externalId(entry),
        displayName: this.groupDisplayName(entry),
        members: await collectRangedValues(entry, 'member', (range) =>
          this.readEntry(entry.dn, [`member;range=${range}`], 'search'),
        ),
      })),
    );
  }

  private externalId(entry: Entry): string {
    const guid = buffer(entry, 'objectGUID');
    if (guid === null) {
      throw new SsprError('DIRECTORY_ERROR', {
        details: { dn: entry.dn, reason: 'objectGUID missing or not readable' },
      });
    }
    return decodeObjectGuid(guid);
  }

  /**
   * The user entry a write is about: it must exist, must not be a critical system object
   * (ON_PREMISES_ADMIN_ACTION_REQUIRED) and must lie in scope.
   */
  private async writableUser(
    dn: string,
    operation: 'resetPassword' | 'changePassword' | 'unlock' | 'setMustChange' | 'verifyPassword',
  ): Promise<Entry> {
    const entry = await this.readEntry(dn, ['objectClass', ...STATE_ATTRIBUTES], operation);
    if (entry === null) throw this.notFound(dn, 'no such entry');
    if (bool(entry, 'isCriticalSystemObject') === true) {
      throw new SsprError('ON_PREMISES_ADMIN_ACTION_REQUIRED', {
        details: {
          dn,
          reason:
            'critical system object (isCriticalSystemObject=TRUE): writeback never changes it',
        },
      });
    }
    this.assertInScope(dn);
    const classes = texts(entry, 'objectClass').map((c) => c.toLowerCase());
    if (!classes.includes('user') || classes.includes('computer')) {
      throw this.notFound(dn, 'not a user account');
    }
    return entry;
  }

  /** Runs a modify; a refusal on an adminCount=1 account says so in its details. */
  private async modify(
    dn: string,
    entry: Entry,
    operation: 'resetPassword' | 'changePassword' | 'unlock' | 'setMustChange',
    changes: Change[],
    controls: PolicyHintsControl[] = [],
  ): Promise<void> {
    try {
      await this.run(operation, (client) => client.modify(dn, changes, controls));
    } catch (error) {
      if (
        error instanceof SsprError &&
        error.errorName === 'DIRECTORY_INSUFFICIENT_RIGHTS' &&
        int(entry, 'adminCount') === 1
      ) {
        throw withDetails(error, {
          protected: true,
          reason:
            'protected account (adminCount=1): its descriptor does not inherit delegated rights',
        });
      }
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  /**
   * Administrative reset. `mustChange: false` writes pwdLastSet=-1 in the same modify, so a
   * password the user chose in SSPR is never left "must change at next logon". Without the
   * policy-hints control the DC checks length and complexity but not history or minimum age
   * (readPasswordPolicy says so in `notEnforcedOnReset`).
   */
  async resetPassword(dn: string, newPassword: string, options: ResetOptions): Promise<void> {
    const entry = await this.writableUser(dn, 'resetPassword');
    const changes = [replace('unicodePwd', unicodePwd(newPassword))];
    if (options.unlock) changes.push(replace('lockoutTime', '0'));
    changes.push(replace('pwdLastSet', options.mustChange ? '0' : '-1'));
    const hints = await this.policyHints();
    await this.modify(dn, entry, 'resetPassword', changes, hints === null ? [] : [hints]);
  }

  /**
   * Change with the old password: one modify (delete the old value, add the new one) sent by the
   * service account. The DC verifies the old password and enforces the whole policy, history
   * and minimum age included. Refused up front for disabled and locked accounts, as the user's
   * own change would be.
   */
  async changePassword(dn: string, oldPassword: string, newPassword: string): Promise<void> {
    assertNonEmptyPassword(oldPassword, 'DIRECTORY_WRONG_CURRENT_PASSWORD');
    const entry = await this.writableUser(dn, 'changePassword');
    const state = adAccountState(entry);
    if (state.disabled) throw new SsprError('DIRECTORY_ACCOUNT_DISABLED', { details: { dn } });
    if (state.locked) throw new SsprError('DIRECTORY_ACCOUNT_LOCKED', { details: { dn } });
    await this.modify(dn, entry, 'changePassword', [
      new Change({
        operation: 'delete',
        modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(oldPassword)] }),
      }),
      new Change({
        operation: 'add',
        modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(newPassword)] }),
      }),
    ]);
  }

  async unlock(dn: string): Promise<void> {
    const entry = await this.writableUser(dn, 'unlock');
    await this.modify(dn, entry, 'unlock', [replace('lockoutTime', '0')]);
  }

  async setMustChange(dn: string, mustChange: boolean): Promise<void> {
    const entry = await this.writableUser(dn, 'setMustChange');
    await this.modify(dn, entry, 'setMustChange', [replace('pwdLastSet', mustChange ? '0' : '-1')]);
  }

  /**
   * Binds as the user on a new connection. Resolves when the password is right, also when the
   * account must change it first (bind `data 773`, must change at next logon; `data 532`,
   * expired): SSPR sign-in exists precisely to let such users change it. Throws
   * INVALID_CREDENTIALS (52e), DIRECTORY_ACCOUNT_LOCKED (775), DIRECTORY_ACCOUNT_DISABLED (533,
   * 701 account expired). Each wrong password counts towards the lockout threshold, as any
   * sign-in does.
   */
  async verifyPassword(dn: string, password: string): Promise<void> {
    assertNonEmptyPassword(password, 'INVALID_CREDENTIALS');
    await this.writableUser(dn, 'verifyPassword');
    const result = await this.connector.bindAs(dn, password, { operation: 'verifyPassword' });
    if (result.ok) {
      await result.close();
      return;
    }
    const outcome = classifyBindFailure(result.error, {
      operation: 'verifyPassword',
      url: result.url,
    });
    if (outcome instanceof SsprError) throw outcome;
  }

  // -------------------------------------------------------------------------------------------
  // State and policy

  async readAccountState(dn: string): Promise<AccountState> {
    this.assertWithinBase(dn);
    const entry = await this.readEntry(dn, STATE_ATTRIBUTES);
    if (entry === null) throw this.notFound(dn, 'no such entry');
    return adAccountState(entry);
  }

  /**
   * The user's resultant PSO (msDS-ResultantPSO) when one applies, else the domain policy.
   * A PSO the service account may not read (Windows' default: only admins read the Password
   * Settings Container) is DIRECTORY_INSUFFICIENT_RIGHTS, never silently the domain policy.
   */
  async readPasswordPolicy(dn: string): Promise<DirectoryPasswordPolicy> {
    this.assertWithinBase(dn);
    const user = await this.readEntry(dn, ['msDS-ResultantPSO']);
    if (user === null) throw this.notFound(dn, 'no such entry');
    const notEnforcedOnReset: ('history' | 'minAge')[] =
      (await this.policyHints()) === null ? ['history', 'minAge'] : [];
    const psoDn = text(user, 'msDS-ResultantPSO');
    if (psoDn !== null) {
      const pso = await this.readEntry(psoDn, PSO_ATTRIBUTES);
      if (
        pso?.['msDS-MinimumPasswordLength'] === undefined ||
        text(pso, 'msDS-MinimumPasswordLength') === null
      ) {
        throw new SsprError('DIRECTORY_INSUFFICIENT_RIGHTS', {
          details: {
            dn,
            pso: psoDn,
            reason:
              'the service account cannot read the fine-grained password policy (PSO) that applies to this user; grant it Read on CN=Password Settings Container,CN=System',
          },
        });
      }
      return {
        source: `pso:${firstRdnValue(psoDn)}`,
        minLength: int(pso, 'msDS-MinimumPasswordLength') ?? 0,
        complexity: bool(pso, 'msDS-PasswordComplexityEnabled') === true,
        historyCount: int(pso, 'msDS-PasswordHistoryLength') ?? 0,
        minAgeDays: adIntervalToDays(bigint(pso, 'msDS-MinimumPasswordAge')),
        maxAgeDays: adIntervalToDays(bigint(pso, 'msDS-MaximumPasswordAge')),
        lockoutThreshold: int(pso, 'msDS-LockoutThreshold') ?? 0,
        lockoutDurationMinutes: adIntervalToMinutes(bigint(pso, 'msDS-LockoutDuration')),
        notEnforcedOnReset,
      };
    }
    const domainDn = await this.domainOf(dn);
    const domain = await this.readEntry(domainDn, DOMAIN_POLICY_ATTRIBUTES);
    if (domain === null || text(domain, 'minPwdLength') === null) {
      throw new SsprError('DIRECTORY_INSUFFICIENT_RIGHTS', {
        details: { dn, domain: domainDn, reason: 'the domain password policy is not readable' },
      });
    }
    return {
      source: 'domain',
      minLength: int(domain, 'minPwdLength') ?? 0,
      complexity: ((int(domain, 'pwdProperties') ?? 0) & 1) !== 0,
      historyCount: int(domain, 'pwdHistoryLength') ?? 0,
      minAgeDays: adIntervalToDays(bigint(domain, 'minPwdAge')),
      maxAgeDays: adIntervalToDays(bigint(domain, 'maxPwdAge')),
      lockoutThreshold: int(domain, 'lockoutThreshold') ?? 0,
      lockoutDurationMinutes: adIntervalToMinutes(bigint(domain, 'lockoutDuration')),
      notEnforcedOnReset,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Rights

  /** The service account's own DN (bindDn may be a UPN or DOMAIN\name). */
  private async serviceAccountDn(bindDn: string): Promise<string | null> {
    if (bindDn.includes('=')) return bindDn;
    const nc = (await this.cachedCapabilities()).defaultNamingContext;
    const filter = bindDn.includes('@')
      ? eq('userPrincipalName', bindDn)
      : eq('sAMAccountName', bindDn.slice(bindDn.indexOf('\\') + 1));
    const entries = await this.run(
      'search',
      async (client) =>
        (await client.search(nc, { scope: 'sub', filter, attributes: ['1.1'], sizeLimit: 2 }))
          .searchEntries,
      { retry: true },
    );
    return entries.length === 1 ? (entries[0]?.dn ?? null) : null;
  }

  /** objectSid + tokenGroups (+ Everyone, Authenticated Users) of the service account. */
  private async serviceTokenSids(serviceDn: string): Promise<Set<string> | null> {
    const entry = await this.run(
      'read',
      async (client) =>
        (
          await client.search(serviceDn, {
            scope: 'base',
            filter: '(objectClass=*)',
            attributes: ['objectSid', 'tokenGroups'],
            explicitBufferAttributes: ['objectSid', 'tokenGroups'],
          })
        ).searchEntries[0],
      { retry: true },
    );
    const sid = entry === undefined ? null : buffer(entry, 'objectSid');
    if (entry === undefined || sid === null) return null;
    const groups = entry['tokenGroups'] ?? entry['tokengroups'];
    const list = groups === undefined ? [] : Array.isArray(groups) ? groups : [groups];
    const sids = new Set<string>([decodeSid(sid), ...WELL_KNOWN_TOKEN_SIDS]);
    for (const value of list) {
      if (Buffer.isBuffer(value)) sids.add(decodeSid(value));
    }
    return sids;
  }

  /**
   * Checks, without writing, that the service account can do its job in each scope OU: on one
   * ordinary user (adminCount≠1) there, AD's allowedAttributesEffective must list lockoutTime
   * (unlock) and pwdLastSet (must change); the reset right is unicodePwd in that list or the
   * Reset Password extended right in the user's DACL (read with the SD-flags control, evaluated
   * for the account's token groups). Also reports whether PSOs are readable and how deltas and
   * deletions will be seen.
   */
  async checkRights(): Promise<RightsReport> {
    const checks: { check: string; ok: boolean; detail?: string }[] = [];
    let tokenSids: Set<string> | null | undefined;
    const bindDn = await this.serviceAccountDn(this.bindDn);
    for (const base of this.scopeBases) {
      const label = `OU ${base}`;
      let sample: Entry | undefined;
      try {
        sample = await this.run(
          'search',
          async (client) =>
            (
              await client.search(
                base,
                {
                  scope: 'sub',
                  filter: this.usersFilter('(!(adminCount=1))'),
                  attributes: ['allowedAttributesEffective', 'nTSecurityDescriptor'],
                  explicitBufferAttributes: ['nTSecurityDescriptor'],
                  sizeLimit: 1,
                },
                [new SdFlagsControl()],
              )
            ).searchEntries[0],
          { retry: true },
        );
      } catch (error) {
        checks.push({
          check: `read users in ${label}`,
          ok: false,
          detail:
            error instanceof SsprError
              ? `${error.code}: ${JSON.stringify(error.details)}`
              : String(error),
        });
        continue;
      }
      if (sample === undefined) {
        checks.push({
          check: `read users in ${label}`,
          ok: true,
          detail: 'no ordinary user found there: the write rights could not be evaluated',
        });
        continue;
      }
      checks.push({ check: `read users in ${label}`, ok: true });
      const sampleDn = sample.dn;
      const allowed = new Set(
        texts(sample, 'allowedAttributesEffective').map((a) => a.toLowerCase()),
      );
      const evaluated = allowed.size > 0;
      const attributeCheck = (attribute: string, what: string): void => {
        checks.push(
          evaluated
            ? {
                check: `${what} in ${label}`,
                ok: allowed.has(attribute.toLowerCase()),
                detail: `${attribute} ${allowed.has(attribute.toLowerCase()) ? 'is' : 'is not'} writable for ${sampleDn}`,
              }
            : {
                check: `${what} in ${label}`,
                ok: true,
                detail: `not evaluated: the directory did not compute allowedAttributesEffective (${attribute})`,
              },
        );
      };
      attributeCheck('lockoutTime', 'unlock (write lockoutTime)');
      attributeCheck('pwdLastSet', 'set must-change (write pwdLastSet)');
      // Reset: WP on unicodePwd, or the Reset Password control-access right.
      if (allowed.has('unicodepwd')) {
        checks.push({
          check: `reset password in ${label}`,
          ok: true,
          detail: 'unicodePwd is writable',
        });
      } else {
        const descriptor = buffer(sample, 'nTSecurityDescriptor');
        if (tokenSids === undefined) {
          tokenSids = bindDn === null ? null : await this.serviceTokenSids(bindDn);
        }
        if (descriptor === null || tokenSids === null) {
          checks.push({
            check: `reset password in ${label}`,
            ok: true,
            detail:
              "not evaluated: the user's security descriptor or the service account's groups are not readable",
          });
        } else {
          const granted = grantsControlAccess(descriptor, tokenSids, RESET_PASSWORD_RIGHT);
          checks.push({
            check: `reset password in ${label}`,
            ok: granted,
            detail: granted
              ? `the Reset Password right is granted on ${sample.dn}`
              : `neither unicodePwd nor the Reset Password right is granted on ${sample.dn}`,
          });
        }
      }
    }
    checks.push(await this.checkPsoReadable());
    checks.push(await this.describeChangeTracking());
    return { ok: checks.every((check) => check.ok), checks };
  }

  private async checkPsoReadable(): Promise<{ check: string; ok: boolean; detail?: string }> {
    const nc = (await this.cachedCapabilities()).defaultNamingContext;
    const container = `CN=Password Settings Container,CN=System,${nc}`;
    try {
      const entries = await this.run(
        'search',
        async (client) =>
          (
            await client.search(container, {
              scope: 'one',
              // Not (objectClass=msDS-PasswordSettings): an account that may not read a PSO
              // cannot match on its attributes, but still sees that the entry exists.
              filter: '(objectClass=*)',
              attributes: ['msDS-MinimumPasswordLength'],
            })
          ).searchEntries,
        { retry: true },
      );
      const unreadable = entries.filter(
        (entry) => text(entry, 'msDS-MinimumPasswordLength') === null,
      );
      if (unreadable.length > 0) {
        return {
          check: 'read fine-grained password policies (PSOs)',
          ok: false,
          detail: `${String(unreadable.length)} PSO(s) not readable (e.g. ${unreadable[0]?.dn ?? ''}): readPasswordPolicy fails for their users; grant Read on ${container}`,
        };
      }
      return {
        check: 'read fine-grained password policies (PSOs)',
        ok: true,
        detail: `${String(entries.length)} PSO(s) readable`,
      };
    } catch (error) {
      return {
        check: 'read fine-grained password policies (PSOs)',
        ok: true,
        detail: `no PSO visible (${error instanceof SsprError ? error.code : String(error)})`,
      };
    }
  }

  private async describeChangeTracking(): Promise<{ check: string; ok: boolean; detail: string }> {
    const root = await this.rootDse();
    const flags = await this.dirSyncFlags(root).catch(() => null);
    const deletions = await this.tombstonesVisible(root.defaultNamingContext);
    const mode =
      flags === null
        ? 'uSNChanged'
        : `DirSync${flags === DIRSYNC_OBJECT_SECURITY ? ' (object security)' : ''}`;
    const seesDeletions = deletions || flags === 0;
    return {
      check: 'change tracking',
      ok: true,
      detail: `delta sync uses ${mode}; deletions ${seesDeletions ? 'are seen by delta syncs' : 'are not visible to this account (no readable tombstone): only full syncs detect them'}`,
    };
  }

  private async tombstonesVisible(nc: string): Promise<boolean> {
    try {
      const found = await this.run(
        'search',
        async (client) =>
          (
            await client.search(
              `CN=Deleted Objects,${nc}`,
              // The container is visible to anyone; the tombstones in it only with rights.
              { scope: 'one', filter: '(isDeleted=TRUE)', attributes: ['1.1'], sizeLimit: 1 },
              [showDeletedControl()],
            )
          ).searchEntries,
      );
      return found.length > 0;
    } catch {
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sync

  /**
   * Full scan when `cookie` is null or unusable; otherwise the changes since it.
   *
   * Deltas: DirSync (cookie valid on any DC) when available, else `uSNChanged>=n` (per DC: a
   * cookie from another DC forces a full scan). Changed objects are re-read by objectGUID; one
   * that is no longer an in-scope user or group (moved out of scope, deleted, turned critical)
   * is reported in `deleted`. Deleted objects: DirSync returns them to an account with
   * replication rights; in uSNChanged mode the tombstones under CN=Deleted Objects (show-deleted
   * control) since the cookie's USN. An ordinary account sees neither, so for it only full scans
   * detect deletions (the server compares).
   */
  async scan(
    cookie: string | null,
    sink: (page: DirectoryChangePage) => Promise<void>,
    options?: { readonly pageSize?: number },
  ): Promise<ScanResult> {
    const pageSize = Math.max(1, Math.min(options?.pageSize ?? DEFAULT_PAGE_SIZE, 1000));
    const root = await this.rootDse();
    const previous = parseAdCookie(cookie);
    if (previous !== null) {
      const changes = await this.collectChanges(previous, root);
      if (changes !== null) {
        await this.emitChanges(changes.changed, changes.deleted, pageSize, sink);
        return { full: false, cookie: JSON.stringify(changes.next) };
      }
    }
    // Tracking starts before the scan, so changes made during it come in the next delta.
    const startUsn = root.highestCommittedUsn + 1;
    const dirsync = await this.startDirSync(root);
    await this.fullScan(pageSize, sink);
    const next: AdCookie =
      dirsync === null
        ? { v: 1, mode: 'usn', usn: startUsn, dc: root.dsServiceName }
        : { v: 1, mode: 'dirsync', ...dirsync, usn: startUsn, dc: root.dsServiceName };
    return { full: true, cookie: JSON.stringify(next) };
  }

  /** DirSync flags the service account may use (0 with replication rights, else object security), or null. */
  private async dirSyncFlags(root: RootDse): Promise<number | null> {
    if (this.changeTracking === 'usn') return null;
    if (!root.supportedControls.has(DIRSYNC_OID)) {
      if (this.changeTracking === 'dirsync') {
        throw new SsprError('DIRECTORY_ERROR', {
          details: { reason: 'changeTracking is dirsync, but the DC does not offer DirSync' },
        });
      }
      return null;
    }
    for (const flags of [0, DIRSYNC_OBJECT_SECURITY]) {
      try {
        await this.dirSync(root.defaultNamingContext, flags, Buffer.alloc(0), ['objectGUID']);
        return flags;
      } catch (error) {
        if (!(error instanceof SsprError) || error.errorName !== 'DIRECTORY_INSUFFICIENT_RIGHTS') {
          if (this.changeTracking === 'dirsync') throw error;
          return null;
        }
      }
    }
    return null;
  }

  /** Starts DirSync tracking: a cookie for "now" (asks only for objectGUID changes: cheap). */
  private async startDirSync(root: RootDse): Promise<{ dirsync: string; flags: number } | null> {
    const flags = await this.dirSyncFlags(root);
    if (flags === null) return null;
    const result = await this.dirSync(root.defaultNamingContext, flags, Buffer.alloc(0), [
      'objectGUID',
    ]);
    return { dirsync: result.cookie.toString('base64'), flags };
  }

  /** Runs DirSync rounds until the DC has no more; `onEntries` sees each round's entries. */
  private async dirSync(
    nc: string,
    flags: number,
    cookie: Buffer,
    attributes: string[],
    onEntries?: (entries: Entry[]) => void,
  ): Promise<{ cookie: Buffer }> {
    let current = cookie;
    for (let round = 0; round < 10_000; round += 1) {
      const control = new DirSyncControl(flags, current);
      const entries = await this.run('search', async (client) => {
        const result = await client.search(
          nc,
          {
            scope: 'sub',
            filter: CHANGE_FILTER,
            attributes,
            explicitBufferAttributes: ['objectGUID'],
          },
          control,
        );
        return result.searchEntries;
      });
      onEntries?.(entries);
      current = control.responseCookie ?? current;
      if (!control.moreResults) break;
    }
    return { cookie: current };
  }

  /** Changed and deleted objectGUIDs since the cookie, or null when a full scan is needed. */
  private async collectChanges(
    previous: AdCookie,
    root: RootDse,
  ): Promise<{ changed: Set<string>; deleted: Set<string>; next: AdCookie } | null> {
    const changed = new Set<string>();
    const deleted = new Set<string>();
    const nextUsn = root.highestCommittedUsn + 1;
    const nc = root.defaultNamingContext;
    if (previous.mode === 'dirsync') {
      if (this.changeTracking === 'usn') return null;
      let next: Buffer;
      try {
        ({ cookie: next } = await this.dirSync(
          nc,
          previous.flags,
          Buffer.from(previous.dirsync, 'base64'),
          [],
          (entries) => {
            for (const entry of entries) {
              const guid = buffer(entry, 'objectGUID');
              if (guid?.length !== 16) continue;
              (bool(entry, 'isDeleted') === true ? deleted : changed).add(decodeObjectGuid(guid));
            }
          },
        ));
      } catch (error) {
        // A cookie the DC no longer accepts (or rights withdrawn): start over with a full scan.
        if (
          error instanceof SsprError &&
          error.errorName !== 'DIRECTORY_UNREACHABLE' &&
          error.errorName !== 'DIRECTORY_TIMEOUT'
        ) {
          return null;
        }
        throw error;
      }
      return {
        changed,
        deleted,
        next: {
          v: 1,
          mode: 'dirsync',
          dirsync: next.toString('base64'),
          flags: previous.flags,
          usn: nextUsn,
          dc: root.dsServiceName,
        },
      };
    }
    if (this.changeTracking === 'dirsync') return null;
    // uSNChanged is per DC: after a failover to another DC the numbers mean nothing.
    if (previous.dc !== root.dsServiceName) return null;
    await this.run('search', async (client) => {
      const pages = client.searchPaginated(nc, {
        scope: 'sub',
        filter: `(&${CHANGE_FILTER}(uSNChanged>=${String(previous.usn)}))`,
        attributes: ['objectGUID'],
        explicitBufferAttributes: ['objectGUID'],
        paged: { pageSize: 1000 },
      });
      for await (const page of pages) {
        for (const entry of page.searchEntries) {
          const guid = buffer(entry, 'objectGUID');
          if (guid?.length === 16) changed.add(decodeObjectGuid(guid));
        }
      }
    });
    for (const guid of await this.tombstonesSince(nc, previous.usn)) {
      deleted.add(guid);
      changed.delete(guid);
    }
    return { changed, deleted, next: { v: 1, mode: 'usn', usn: nextUsn, dc: root.dsServiceName } };
  }

  /** objectGUIDs of users and groups deleted since `usn` (empty when tombstones are not visible). */
  private async tombstonesSince(nc: string, usn: number): Promise<string[]> {
    try {
      return await this.run('search', async (client) => {
        const result = await client.search(
          `CN=Deleted Objects,${nc}`,
          {
            scope: 'one',
            filter: `(&(isDeleted=TRUE)${CHANGE_FILTER}(uSNChanged>=${String(usn)}))`,
            attributes: ['objectGUID'],
            explicitBufferAttributes: ['objectGUID'],
          },
          [showDeletedControl()],
        );
        return result.searchEntries.flatMap((entry) => {
          const guid = buffer(entry, 'objectGUID');
          return guid?.length === 16 ? [decodeObjectGuid(guid)] : [];
        });
      });
    } catch (error) {
      if (
        error instanceof SsprError &&
        (error.errorName === 'DIRECTORY_UNREACHABLE' || error.errorName === 'DIRECTORY_TIMEOUT')
      ) {
        throw error;
      }
      return [];
    }
  }

  /** Re-reads changed objects by GUID and sends them (and deletions) in pages. */
  private async emitChanges(
    changed: ReadonlySet<string>,
    deleted: ReadonlySet<string>,
    pageSize: number,
    sink: (page: DirectoryChangePage) => Promise<void>,
  ): Promise<void> {
    const ids = [...changed].filter((id) => !deleted.has(id));
    await LdapDirectoryBase.inPages(ids, pageSize, async (slice) => {
      // Binary values travel as filter objects (see escapeFilterValue).
      const byGuid = new OrFilter({
        filters: slice.map(
          (id) => new EqualityFilter({ attribute: 'objectGUID', value: encodeObjectGuid(id) }),
        ),
      });
      const [userEntries, groupEntries] = await Promise.all([
        this.searchBase(
          new AndFilter({ filters: [FilterParser.parseString(this.usersFilter()), byGuid] }),
          this.userAttributes,
        ),
        this.searchBase(
          new AndFilter({ filters: [FilterParser.parseString(this.groupsFilter()), byGuid] }),
          presets.ad.groupAttributes,
        ),
      ]);
      const users = await this.toUsers(userEntries.filter((entry) => this.inScope(entry.dn)));
      const groups = await this.toGroups(groupEntries.filter((entry) => this.inScope(entry.dn)));
      const present = new Set([...users, ...groups].map((object) => object.externalId));
      const gone = slice.filter((id) => !present.has(id));
      if (users.length + groups.length + gone.length > 0) {
        await sink({ users, groups, deleted: gone });
      }
    });
    await LdapDirectoryBase.inPages([...deleted], pageSize, async (slice) => {
      await sink({ users: [], groups: [], deleted: slice });
    });
  }

  private searchBase(filter: Filter, attributes: readonly string[]): Promise<Entry[]> {
    return this.run(
      'search',
      async (client: Client) =>
        (
          await client.search(this.baseDn, {
            scope: 'sub',
            filter,
            attributes: [...attributes],
            explicitBufferAttributes: ['objectGUID'],
          })
        ).searchEntries,
      { retry: true },
    );
  }
}

export function createActiveDirectoryDirectory(
  options: ActiveDirectoryOptions,
): ActiveDirectoryDirectory {
  return new ActiveDirectoryDirectory(options);
}
