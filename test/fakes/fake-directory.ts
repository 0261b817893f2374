import { SsprError } from '../../src/domain/errors/sspr-error.js';
import type {
  AccountState,
  Directory,
  DirectoryChangePage,
  DirectoryPasswordPolicy,
  DirectoryUser,
  ResetOptions,
  RightsReport,
  ScanResult,
} from '../../src/domain/ports/directory.js';

/** One call the fake received (passwords included: tests assert the agent delivered them). */
export interface FakeDirectoryCall {
  readonly op: keyof Directory;
  readonly args: readonly unknown[];
}

export interface FakeDirectory extends Directory {
  /** Every call, in order (ping included). */
  readonly calls: FakeDirectoryCall[];
  /** Calls of one operation. */
  callsOf(op: keyof Directory): FakeDirectoryCall[];
  /** Adds a user (defaults fill the rest) with a current password. */
  addUser(user: Partial<DirectoryUser> & { dn: string }, password?: string): DirectoryUser;
  /** The user's current password, or undefined. */
  passwordOf(dn: string): string | undefined;
  /** The next call of `op` throws `error` (queued, one per call). */
  failNext(op: keyof Directory, error: Error): void;
  /**
   * Holds every later password, lookup and state operation (not ping / checkRights / scan)
   * until the returned release function is called.
   */
  hold(): () => void;
  /** ping() fails while false. */
  reachable: boolean;
  rights: RightsReport;
  /**
   * Scripted scan: when set, scan() hands exactly these pages to its sink, in order (`full` when
   * the cookie is null). When null (the default) scan() reads the fake's own users like the real
   * adapters: a full scan, or the users changed since the cookie.
   */
  pages: DirectoryChangePage[] | null;
  /** When set, the cookie every scan() returns (else the fake's own change counter). */
  scanCookie: string | null;
  closed: boolean;
}

const defaultState: AccountState = {
  disabled: false,
  locked: false,
  expired: false,
  mustChange: false,
  protected: false,
  criticalSystemObject: false,
  passwordLastSet: null,
};

export const fakePolicy: DirectoryPasswordPolicy = {
  source: 'domain',
  minLength: 8,
  complexity: true,
  historyCount: 3,
  minAgeDays: 0,
  maxAgeDays: 0,
  lockoutThreshold: 5,
  lockoutDurationMinutes: 30,
  notEnforcedOnReset: [],
};

/** AD's complexity rule: 3 of the 4 character categories, and not the account name. */
function isComplex(password: string, accountName: string): boolean {
  const categories = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) =>
    re.test(password),
  ).length;
  const containsName =
    accountName.length >= 3 && password.toLowerCase().includes(accountName.toLowerCase());
  return categories >= 3 && !containsName;
}

const COOKIE_PREFIX = 'fake-directory:';

interface Entry {
  user: DirectoryUser;
  /** Current password first. */
  history: string[];
  /** Consecutive wrong passwords (locks at fakePolicy.lockoutThreshold). */
  badPasswords: number;
  /** The change counter when the user was last added or changed (for delta scans). */
  changed: number;
}

/**
 * An in-memory Directory for unit tests of the agent and the link, held to the Directory
 * contract (test/contracts/directory.contract.ts) like the real adapters: users with passwords
 * and a history of 3 (reusing one is DIRECTORY_PASSWORD_IN_HISTORY), minimum length 8 and AD
 * complexity (enforced on reset too: notEnforcedOnReset is empty), lockout after 5 wrong
 * passwords, lookups that never match blank or ambiguous values, full and delta scans of its own
 * users (or scripted pages), injectable failures and a hold to simulate a hanging directory.
 */
export function createFakeDirectory(): FakeDirectory {
  const users = new Map<string, Entry>();
  const failures = new Map<keyof Directory, Error[]>();
  let gate: Promise<void> | undefined;
  /** Bumped by every change to a user; a scan cookie is its value when the scan started. */
  let changeCounter = 0;

  const key = (dn: string): string => dn.toLowerCase();

  async function enter(op: keyof Directory, args: unknown[]): Promise<void> {
    fake.calls.push({ op, args });
    if (gate !== undefined && op !== 'ping' && op !== 'checkRights' && op !== 'scan') await gate;
    const queued = failures.get(op);
    const failure = queued?.shift();
    if (failure !== undefined) throw failure;
  }

  function entry(dn: string): Entry {
    const found = users.get(key(dn));
    if (found === undefined) throw new SsprError('DIRECTORY_USER_NOT_FOUND', { details: { dn } });
    return found;
  }

  function touch(found: Entry): void {
    changeCounter += 1;
    found.changed = changeCounter;
  }

  function setState(dn: string, patch: Partial<AccountState>): void {
    const found = entry(dn);
    found.user = { ...found.user, state: { ...found.user.state, ...patch } };
    if (patch.locked === false) found.badPasswords = 0;
    touch(found);
  }

  function setPassword(dn: string, password: string): void {
    const found = entry(dn);
    if (password.length < fakePolicy.minLength) throw new SsprError('DIRECTORY_PASSWORD_TOO_SHORT');
    if (fakePolicy.complexity && !isComplex(password, found.user.accountName)) {
      throw new SsprError('DIRECTORY_PASSWORD_COMPLEXITY');
    }
    if (found.history.includes(password)) throw new SsprError('DIRECTORY_PASSWORD_IN_HISTORY');
    found.history = [password, ...found.history].slice(0, fakePolicy.historyCount);
    touch(found);
  }

  /** The fake's own scan: every user (full), or those changed after the cookie's counter. */
  async function scanUsers(
    cookie: string | null,
    sink: (page: DirectoryChangePage) => Promise<void>,
    pageSize: number,
  ): Promise<ScanResult> {
    const since =
      cookie?.startsWith(COOKIE_PREFIX) === true
        ? Number(cookie.slice(COOKIE_PREFIX.length))
        : Number.NaN;
    const full = !Number.isSafeInteger(since) || since < 0 || since > changeCounter;
    const next = `${COOKIE_PREFIX}${String(changeCounter)}`;
    const selected = [...users.values()]
      .filter((found) => !found.user.state.criticalSystemObject && (full || found.changed > since))
      .map((found) => found.user);
    for (let index = 0; index < selected.length; index += pageSize) {
      await sink({ users: selected.slice(index, index + pageSize), groups: [], deleted: [] });
    }
    return { full, cookie: next };
  }

  const fake: FakeDirectory = {
    calls: [],
    reachable: true,
    rights: { ok: true, checks: [{ check: 'reset password in scope', ok: true }] },
    pages: null,
    scanCookie: null,
    closed: false,

    callsOf: (op) => fake.calls.filter((c) => c.op === op),

    addUser(partial, password = 'Initial-Passw0rd') {
      const name = /^[^=]+=([^,]+)/.exec(partial.dn)?.[1] ?? 'user';
      const user: DirectoryUser = {
        externalId: `guid-${name}`,
        userPrincipalName: `${name.toLowerCase()}@contoso.test`,
        accountName: name.toLowerCase(),
        displayName: name,
        givenName: null,
        surname: null,
        mail: null,
        mobile: null,
        telephoneNumber: null,
        state: defaultState,
        memberOf: [],
        ...partial,
      };
      const added: Entry = { user, history: [password], badPasswords: 0, changed: 0 };
      users.set(key(user.dn), added);
      touch(added);
      return user;
    },

    passwordOf: (dn) => users.get(key(dn))?.history[0],

    failNext(op, error) {
      const queued = failures.get(op) ?? [];
      queued.push(error);
      failures.set(op, queued);
    },

    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },

    async findUser(query) {
      await enter('findUser', [query]);
      // Like the adapters: the value is trimmed, compared without case and never a pattern; a
      // blank value, and one that several users match, find nobody.
      // eslint-disable-next-line no-control-regex -- control characters never name a user
      if (/[\u0000-\u001f\u007f]/.test(query.value)) return null;
      const value = query.value.trim().toLowerCase();
      if (value === '') return null;
      const matches = [...users.values()]
        .map(({ user }) => user)
        .filter((user) => {
          const field =
            query.by === 'upn'
              ? user.userPrincipalName
              : query.by === 'accountName'
                ? user.accountName
                : user.mail;
          return field?.toLowerCase() === value && !user.state.criticalSystemObject;
        });
      return matches.length === 1 ? (matches[0] ?? null) : null;
    },

    async resetPassword(dn: string, newPassword: string, options: ResetOptions) {
      await enter('resetPassword', [dn, newPassword, options]);
      if (entry(dn).user.state.protected) throw new SsprError('ON_PREMISES_ADMIN_ACTION_REQUIRED');
      setPassword(dn, newPassword);
      setState(dn, {
        mustChange: options.mustChange,
        ...(options.unlock ? { locked: false } : {}),
      });
    },

    async changePassword(dn, oldPassword, newPassword) {
      await enter('changePassword', [dn, oldPassword, newPassword]);
      // Both adapters refuse a locked account's change before looking at the old password.
      if (entry(dn).user.state.locked) throw new SsprError('DIRECTORY_ACCOUNT_LOCKED');
      if (entry(dn).history[0] !== oldPassword) {
        throw new SsprError('DIRECTORY_WRONG_CURRENT_PASSWORD');
      }
      setPassword(dn, newPassword);
      setState(dn, { mustChange: false });
    },

    async unlock(dn) {
      await enter('unlock', [dn]);
      setState(dn, { locked: false });
    },

    async setMustChange(dn, mustChange) {
      await enter('setMustChange', [dn, mustChange]);
      setState(dn, { mustChange });
    },

    async verifyPassword(dn, password) {
      await enter('verifyPassword', [dn, password]);
      const found = entry(dn);
      // An empty password is never sent to a directory (it would be an anonymous bind).
      if (password === '') throw new SsprError('INVALID_CREDENTIALS');
      if (found.user.state.locked) throw new SsprError('DIRECTORY_ACCOUNT_LOCKED');
      if (found.history[0] !== password) {
        // A wrong password is a failed sign-in: enough of them in a row lock the account.
        found.badPasswords += 1;
        if (fakePolicy.lockoutThreshold > 0 && found.badPasswords >= fakePolicy.lockoutThreshold) {
          setState(dn, { locked: true });
        }
        throw new SsprError('INVALID_CREDENTIALS');
      }
      found.badPasswords = 0;
    },

    async readAccountState(dn) {
      await enter('readAccountState', [dn]);
      return entry(dn).user.state;
    },

    async readPasswordPolicy(dn) {
      await enter('readPasswordPolicy', [dn]);
      entry(dn);
      return fakePolicy;
    },

    async addGroupMember(groupDn, memberDn) {
      await enter('addGroupMember', [groupDn, memberDn]);
    },

    async removeGroupMember(groupDn, memberDn) {
      await enter('removeGroupMember', [groupDn, memberDn]);
    },

    async checkRights() {
      await enter('checkRights', []);
      return fake.rights;
    },

    async scan(cookie, sink, options): Promise<ScanResult> {
      await enter('scan', [cookie, options]);
      if (fake.pages === null) {
        const pageSize = Math.max(1, options?.pageSize ?? 500);
        const result = await scanUsers(cookie, sink, pageSize);
        return fake.scanCookie === null ? result : { ...result, cookie: fake.scanCookie };
      }
      for (const page of fake.pages) await sink(page);
      return {
        full: cookie === null,
        cookie: fake.scanCookie ?? `${COOKIE_PREFIX}${String(changeCounter)}`,
      };
    },

    async ping() {
      await enter('ping', []);
      if (!fake.reachable) throw new SsprError('DIRECTORY_UNREACHABLE');
    },

    async close() {
      fake.closed = true;
    },
  };
  return fake;
}
