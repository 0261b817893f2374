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
  /** What scan() hands to its sink, in order; `full` when the cookie is null. */
  pages: DirectoryChangePage[];
  scanCookie: string;
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

/**
 * An in-memory Directory for unit tests of the agent and the link: users with passwords and a
 * history of 3 (reusing one is DIRECTORY_PASSWORD_IN_HISTORY), minimum length 8, lockout state,
 * injectable failures, a hold to simulate a hanging directory, and scripted scan pages.
 */
export function createFakeDirectory(): FakeDirectory {
  const users = new Map<string, { user: DirectoryUser; history: string[] }>();
  const failures = new Map<keyof Directory, Error[]>();
  let gate: Promise<void> | undefined;

  const key = (dn: string): string => dn.toLowerCase();

  async function enter(op: keyof Directory, args: unknown[]): Promise<void> {
    fake.calls.push({ op, args });
    if (gate !== undefined && op !== 'ping' && op !== 'checkRights' && op !== 'scan') await gate;
    const queued = failures.get(op);
    const failure = queued?.shift();
    if (failure !== undefined) throw failure;
  }

  function entry(dn: string): { user: DirectoryUser; history: string[] } {
    const found = users.get(key(dn));
    if (found === undefined) throw new SsprError('DIRECTORY_USER_NOT_FOUND');
    return found;
  }

  function setState(dn: string, patch: Partial<AccountState>): void {
    const found = entry(dn);
    found.user = { ...found.user, state: { ...found.user.state, ...patch } };
  }

  function setPassword(dn: string, password: string): void {
    const found = entry(dn);
    if (password.length < fakePolicy.minLength) throw new SsprError('DIRECTORY_PASSWORD_TOO_SHORT');
    if (found.history.includes(password)) throw new SsprError('DIRECTORY_PASSWORD_IN_HISTORY');
    found.history = [password, ...found.history].slice(0, fakePolicy.historyCount);
  }

  const fake: FakeDirectory = {
    calls: [],
    reachable: true,
    rights: { ok: true, checks: [{ check: 'reset password in scope', ok: true }] },
    pages: [],
    scanCookie: 'cookie-1',
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
      users.set(key(user.dn), { user, history: [password] });
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
      const value = query.value.toLowerCase();
      for (const { user } of users.values()) {
        const field =
          query.by === 'upn'
            ? user.userPrincipalName
            : query.by === 'accountName'
              ? user.accountName
              : (user.mail ?? '');
        if (field.toLowerCase() === value) return user;
      }
      return null;
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
      if (found.user.state.locked) throw new SsprError('DIRECTORY_ACCOUNT_LOCKED');
      if (found.history[0] !== password) throw new SsprError('INVALID_CREDENTIALS');
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
      for (const page of fake.pages) await sink(page);
      return { full: cookie === null, cookie: fake.scanCookie };
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
