import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSsprError } from '../../src/domain/errors/sspr-error.js';
import { errorOf, expectSsprError } from '../support/errors.js';
import type {
  Directory,
  DirectoryChangePage,
  DirectoryPasswordPolicy,
  DirectoryUser,
  ScanResult,
} from '../../src/domain/ports/directory.js';

/** A user the setup created in scope, enabled, with a known password and nothing else special. */
export interface ContractUser {
  readonly dn: string;
  /** As the directory would take it in a lookup (any case). */
  readonly upn: string;
  readonly accountName: string;
  readonly password: string;
}

export interface DirectoryContractSetup {
  /** The implementation under test, scoped so that `user()`'s users are in scope. */
  readonly directory: Directory;
  /** A fresh user (unique names) in scope with a known password; deleted by cleanup(). */
  user(): Promise<ContractUser>;
  /** Locks the account the way the directory does it (failed sign-ins up to the threshold). */
  lock(dn: string): Promise<void>;
  /** Removes what user() created and closes connections. */
  cleanup(): Promise<void>;
}

const NOT_ENFORCEABLE = ['history', 'minAge', 'length', 'complexity'] as const;

/**
 * The Directory port's contract: what the server and the agent rely on, run against the
 * in-memory fake (test/fakes/directory.contract.test.ts) and the real adapters on a Samba AD DC
 * and on OpenLDAP with ppolicy (src/adapters/ldap/directory-contract.int.test.ts), so the fake
 * cannot promise what the directories do not do.
 *
 * Every test works on its own fresh user, so the suite runs against shared servers. The
 * passwords satisfy every implementation's policy (AD complexity, 14 characters) unless a test
 * means them not to.
 *
 * Common ground only, where the port lets the directories differ:
 * - An administrative reset may skip rules (`notEnforcedOnReset`: Samba skips history and
 *   minimum age, an OpenLDAP password administrator skips length and history); the contract
 *   holds each implementation to what its readPasswordPolicy says, not to one answer.
 * - A reset with `unlock: false` of a locked account: Samba leaves the lockout, OpenLDAP's
 *   Password Modify may clear it; untested.
 * - Delta scans and deletions: an AD delegated account (DirSync with object security) and
 *   OpenLDAP (no accesslog) never report deletions in a delta, so only "changed users come
 *   back" is asserted. A delta may also repeat unchanged objects (OpenLDAP looks back
 *   clockSkewSeconds), so "unchanged users stay out" is not asserted either.
 * - Whether a lookup by mail works for users without mail, disabled and protected accounts,
 *   minimum age and expiry need seeded objects and are covered by each adapter's own tests.
 */
export function directoryContract(
  name: string,
  setup: () => Promise<DirectoryContractSetup>,
): void {
  describe(`Directory contract: ${name}`, () => {
    let context!: DirectoryContractSetup;
    let ready = false;
    const directory = (): Directory => context.directory;

    beforeAll(async () => {
      context = await setup();
      ready = true;
    });
    afterAll(async () => {
      if (ready) await context.cleanup();
    });

    /** A password no implementation refuses: long, all four categories, unique. */
    const strong = (label: string): string =>
      `${label}-Pw9!${randomBytes(4).toString('hex')}`.padEnd(16, 'x');

    async function found(user: ContractUser): Promise<DirectoryUser> {
      const result = await directory().findUser({ by: 'accountName', value: user.accountName });
      if (result === null) throw new Error(`${user.accountName} not found`);
      return result;
    }

    /** Every page the scan hands to its sink, and its result. */
    async function scan(
      cookie: string | null,
      pageSize: number,
    ): Promise<ScanResult & { pages: DirectoryChangePage[]; users: DirectoryUser[] }> {
      const pages: DirectoryChangePage[] = [];
      const result = await directory().scan(
        cookie,
        async (page) => {
          pages.push(page);
          await Promise.resolve();
        },
        { pageSize },
      );
      return { ...result, pages, users: pages.flatMap((page) => page.users) };
    }

    /** A DN in scope that names no entry: the user's DN with another first RDN value. */
    const ghostDn = (user: ContractUser): string =>
      user.dn.replace(/^([^=]+=)[^,]+/, `$1ghost-${randomBytes(4).toString('hex')}`);

    describe('findUser', () => {
      it('finds a user by UPN (any case) and by account name, with a stable externalId', async () => {
        const user = await context.user();
        const byUpn = await directory().findUser({ by: 'upn', value: user.upn });
        expect(byUpn).toMatchObject({
          dn: user.dn,
          userPrincipalName: user.upn.toLowerCase(),
          accountName: user.accountName,
          memberOf: [],
          state: {
            disabled: false,
            locked: false,
            expired: false,
            mustChange: false,
            protected: false,
            criticalSystemObject: false,
          },
        });
        expect(byUpn?.externalId).toMatch(/\S/);
        const byUpnUpper = await directory().findUser({ by: 'upn', value: user.upn.toUpperCase() });
        expect(byUpnUpper?.dn).toBe(user.dn);
        const byName = await directory().findUser({ by: 'accountName', value: user.accountName });
        expect(byName).toMatchObject({ dn: user.dn, externalId: byUpn?.externalId });
        const padded = await directory().findUser({
          by: 'accountName',
          value: ` ${user.accountName} `,
        });
        expect(padded?.externalId).toBe(byUpn?.externalId);
      });

      it('answers null for unknown and blank values', async () => {
        const user = await context.user();
        const nobody = `nobody-${randomBytes(4).toString('hex')}`;
        const domain = user.upn.slice(user.upn.lastIndexOf('@') + 1);
        expect(await directory().findUser({ by: 'upn', value: `${nobody}@${domain}` })).toBeNull();
        expect(await directory().findUser({ by: 'accountName', value: nobody })).toBeNull();
        for (const by of ['upn', 'accountName', 'mail'] as const) {
          expect(await directory().findUser({ by, value: '' }), by).toBeNull();
          expect(await directory().findUser({ by, value: '   ' }), by).toBeNull();
        }
      });

      it('never treats LDAP filter characters as a pattern or as filter syntax', async () => {
        const user = await context.user();
        const name = user.accountName;
        const hostile = [
          '*',
          `${name.slice(0, 3)}*`,
          `*${name.slice(-3)}`,
          '*)(',
          `${name})(objectClass=*`,
          `*)(|(objectClass=*)`,
          `${name}\\2a`,
          // Control characters are refused before the directory sees them (Samba would cut a
          // value at a NUL and match the prefix).
          `${name}\0`,
          `${name}\n`,
        ];
        for (const value of hostile) {
          for (const by of ['upn', 'accountName'] as const) {
            expect(await directory().findUser({ by, value }), `${by} ${value}`).toBeNull();
          }
        }
        // Still found by its real name afterwards (nothing above broke the connection).
        expect((await found(user)).dn).toBe(user.dn);
      });
    });

    describe('verifyPassword', () => {
      it('resolves for the right password; a wrong or empty one is INVALID_CREDENTIALS', async () => {
        const user = await context.user();
        await directory().verifyPassword(user.dn, user.password);
        await expectSsprError(
          directory().verifyPassword(user.dn, `${user.password}-wrong`),
          'INVALID_CREDENTIALS',
        );
        await expectSsprError(directory().verifyPassword(user.dn, ''), 'INVALID_CREDENTIALS');
        await directory().verifyPassword(user.dn, user.password);
      });
    });

    describe('resetPassword', () => {
      it('with unlock and without mustChange: the new password works, the old one not; state clear', async () => {
        const user = await context.user();
        const next = strong('Reset');
        await directory().resetPassword(user.dn, next, { unlock: true, mustChange: false });
        await directory().verifyPassword(user.dn, next);
        await expectSsprError(
          directory().verifyPassword(user.dn, user.password),
          'INVALID_CREDENTIALS',
        );
        expect(await directory().readAccountState(user.dn)).toMatchObject({
          mustChange: false,
          locked: false,
          disabled: false,
        });
      });

      it('with mustChange: the state says so, the password still verifies, a change clears it', async () => {
        const user = await context.user();
        const temporary = strong('Temp');
        await directory().resetPassword(user.dn, temporary, { unlock: true, mustChange: true });
        expect((await directory().readAccountState(user.dn)).mustChange).toBe(true);
        // Documented: verifyPassword resolves for a must-change account (AD bind 773, OpenLDAP
        // changeAfterReset), since SSPR sign-in exists to let such users change it.
        await directory().verifyPassword(user.dn, temporary);
        const mine = strong('Mine');
        await directory().changePassword(user.dn, temporary, mine);
        expect((await directory().readAccountState(user.dn)).mustChange).toBe(false);
        await directory().verifyPassword(user.dn, mine);
      });

      it('clears a lockout when asked to unlock', async () => {
        const user = await context.user();
        await context.lock(user.dn);
        expect((await directory().readAccountState(user.dn)).locked).toBe(true);
        const next = strong('Unlocked');
        await directory().resetPassword(user.dn, next, { unlock: true, mustChange: false });
        await directory().verifyPassword(user.dn, next);
        expect((await directory().readAccountState(user.dn)).locked).toBe(false);
      });

      it('enforces length and history exactly unless readPasswordPolicy says it does not', async () => {
        const user = await context.user();
        const policy = await directory().readPasswordPolicy(user.dn);
        const short = 'Ab1!x9zY'.slice(0, Math.max(1, policy.minLength - 1));
        const shortReset = directory().resetPassword(user.dn, short, {
          unlock: true,
          mustChange: false,
        });
        if (policy.notEnforcedOnReset.includes('length')) {
          await shortReset;
          await directory().verifyPassword(user.dn, short);
        } else {
          await expectSsprError(shortReset, 'DIRECTORY_PASSWORD_TOO_SHORT');
          await directory().verifyPassword(user.dn, user.password);
        }
        // A password used before (not the current one): the history applies or is reported.
        const first = strong('First');
        const second = strong('Second');
        await directory().resetPassword(user.dn, first, { unlock: true, mustChange: false });
        await directory().resetPassword(user.dn, second, { unlock: true, mustChange: false });
        const reuse = directory().resetPassword(user.dn, first, {
          unlock: true,
          mustChange: false,
        });
        if (policy.historyCount > 1 && !policy.notEnforcedOnReset.includes('history')) {
          await expectSsprError(reuse, 'DIRECTORY_PASSWORD_IN_HISTORY');
          await directory().verifyPassword(user.dn, second);
        } else {
          await reuse;
          await directory().verifyPassword(user.dn, first);
        }
      });
    });

    describe('changePassword', () => {
      it('changes with the right old password', async () => {
        const user = await context.user();
        const next = strong('Changed');
        await directory().changePassword(user.dn, user.password, next);
        await directory().verifyPassword(user.dn, next);
        await expectSsprError(
          directory().verifyPassword(user.dn, user.password),
          'INVALID_CREDENTIALS',
        );
      });

      it('a wrong (or empty) old password is DIRECTORY_WRONG_CURRENT_PASSWORD and changes nothing', async () => {
        const user = await context.user();
        await expectSsprError(
          directory().changePassword(user.dn, `${user.password}-wrong`, strong('Never')),
          'DIRECTORY_WRONG_CURRENT_PASSWORD',
        );
        await expectSsprError(
          directory().changePassword(user.dn, '', strong('Never')),
          'DIRECTORY_WRONG_CURRENT_PASSWORD',
        );
        await directory().verifyPassword(user.dn, user.password);
      });

      it('a recently used or the current password is DIRECTORY_PASSWORD_IN_HISTORY', async () => {
        const user = await context.user();
        const policy = await directory().readPasswordPolicy(user.dn);
        expect(policy.historyCount).toBeGreaterThanOrEqual(2);
        const next = strong('Next');
        await directory().changePassword(user.dn, user.password, next);
        await expectSsprError(
          directory().changePassword(user.dn, next, user.password),
          'DIRECTORY_PASSWORD_IN_HISTORY',
        );
        await expectSsprError(
          directory().changePassword(user.dn, next, next),
          'DIRECTORY_PASSWORD_IN_HISTORY',
        );
        await directory().verifyPassword(user.dn, next);
      });

      it('a password shorter than the policy minimum is DIRECTORY_PASSWORD_TOO_SHORT', async () => {
        const user = await context.user();
        const policy = await directory().readPasswordPolicy(user.dn);
        // Complex but one character short (every implementation under test wants more than 5).
        expect(policy.minLength).toBeGreaterThan(5);
        const short = 'Ab1!x9zYq7W#e5Rt'.slice(0, policy.minLength - 1);
        await expectSsprError(
          directory().changePassword(user.dn, user.password, short),
          'DIRECTORY_PASSWORD_TOO_SHORT',
        );
        await directory().verifyPassword(user.dn, user.password);
      });

      it('a long password of one character class: refused exactly when the policy wants complexity', async () => {
        const user = await context.user();
        const policy = await directory().readPasswordPolicy(user.dn);
        const simple = `zq${randomBytes(8).toString('hex').replace(/[0-9]/g, 'k')}`.padEnd(
          Math.max(policy.minLength, 8) + 4,
          'm',
        );
        const change = directory().changePassword(user.dn, user.password, simple);
        if (policy.complexity) {
          await expectSsprError(change, 'DIRECTORY_PASSWORD_COMPLEXITY');
          await directory().verifyPassword(user.dn, user.password);
        } else {
          await change;
          await directory().verifyPassword(user.dn, simple);
        }
      });
    });

    describe('lockout and unlock', () => {
      it('a locked account: verify and change are DIRECTORY_ACCOUNT_LOCKED; unlock restores it', async () => {
        const user = await context.user();
        await context.lock(user.dn);
        await expectSsprError(
          directory().verifyPassword(user.dn, user.password),
          'DIRECTORY_ACCOUNT_LOCKED',
        );
        expect((await directory().readAccountState(user.dn)).locked).toBe(true);
        expect((await found(user)).state.locked).toBe(true);
        await expectSsprError(
          directory().changePassword(user.dn, user.password, strong('Locked')),
          'DIRECTORY_ACCOUNT_LOCKED',
        );
        await directory().unlock(user.dn);
        await directory().verifyPassword(user.dn, user.password);
        expect((await directory().readAccountState(user.dn)).locked).toBe(false);
        await directory().unlock(user.dn); // nothing to clear: still fine
      });

      it('lockoutThreshold wrong passwords through verifyPassword lock the account', async () => {
        const user = await context.user();
        const { lockoutThreshold } = await directory().readPasswordPolicy(user.dn);
        expect(lockoutThreshold).toBeGreaterThan(0);
        for (let attempt = 0; attempt < lockoutThreshold; attempt += 1) {
          await expectSsprError(
            directory().verifyPassword(user.dn, strong(`Wrong${String(attempt)}`)),
            'INVALID_CREDENTIALS',
          );
        }
        await expectSsprError(
          directory().verifyPassword(user.dn, user.password),
          'DIRECTORY_ACCOUNT_LOCKED',
        );
        await directory().unlock(user.dn);
        await directory().verifyPassword(user.dn, user.password);
      });
    });

    describe('setMustChange', () => {
      it('sets and clears must-change without touching the password', async () => {
        const user = await context.user();
        await directory().setMustChange(user.dn, true);
        expect((await directory().readAccountState(user.dn)).mustChange).toBe(true);
        await directory().setMustChange(user.dn, false);
        await directory().setMustChange(user.dn, false);
        expect((await directory().readAccountState(user.dn)).mustChange).toBe(false);
        await directory().verifyPassword(user.dn, user.password);
      });
    });

    describe('readPasswordPolicy', () => {
      it('has a sane shape', async () => {
        const user = await context.user();
        const policy: DirectoryPasswordPolicy = await directory().readPasswordPolicy(user.dn);
        expect(policy.source).toMatch(/\S/);
        expect(Number.isInteger(policy.minLength)).toBe(true);
        expect(policy.minLength).toBeGreaterThanOrEqual(1);
        expect(typeof policy.complexity).toBe('boolean');
        for (const value of [
          policy.historyCount,
          policy.minAgeDays,
          policy.maxAgeDays,
          policy.lockoutThreshold,
          policy.lockoutDurationMinutes,
        ]) {
          expect(Number.isFinite(value) && value >= 0, String(value)).toBe(true);
        }
        expect(Number.isInteger(policy.historyCount)).toBe(true);
        expect(Number.isInteger(policy.lockoutThreshold)).toBe(true);
        expect(Array.isArray(policy.notEnforcedOnReset)).toBe(true);
        for (const rule of policy.notEnforcedOnReset) expect(NOT_ENFORCEABLE).toContain(rule);
        expect(new Set(policy.notEnforcedOnReset).size).toBe(policy.notEnforcedOnReset.length);
      });
    });

    describe('an unknown DN in scope', () => {
      it('is DIRECTORY_USER_NOT_FOUND for every operation on a user', async () => {
        const dn = ghostDn(await context.user());
        const password = strong('Ghost');
        const attempts: [string, () => Promise<unknown>][] = [
          [
            'resetPassword',
            () => directory().resetPassword(dn, password, { unlock: true, mustChange: false }),
          ],
          ['changePassword', () => directory().changePassword(dn, password, strong('Ghost2'))],
          ['unlock', () => directory().unlock(dn)],
          ['setMustChange', () => directory().setMustChange(dn, true)],
          ['verifyPassword', () => directory().verifyPassword(dn, password)],
          ['readAccountState', () => directory().readAccountState(dn)],
          ['readPasswordPolicy', () => directory().readPasswordPolicy(dn)],
        ];
        for (const [operation, attempt] of attempts) {
          const error = await errorOf(attempt());
          expect(
            isSsprError(error, 'DIRECTORY_USER_NOT_FOUND'),
            `${operation}: ${String(error)}`,
          ).toBe(true);
        }
      });
    });

    describe('ping', () => {
      it('resolves', async () => {
        await directory().ping();
      });
    });

    describe('scan', () => {
      it('a full scan delivers pages of at most pageSize holding the user with its externalId', async () => {
        const user = await context.user();
        const { externalId } = await found(user);
        const full = await scan(null, 3);
        expect(full.full).toBe(true);
        expect(full.cookie).toMatch(/\S/);
        for (const page of full.pages) {
          expect(page.users.length + page.groups.length + page.deleted.length).toBeLessThanOrEqual(
            3,
          );
        }
        expect(full.pages.flatMap((page) => page.deleted)).toEqual([]);
        const scanned = full.users.filter((u) => u.externalId === externalId);
        expect(scanned).toHaveLength(1);
        expect(scanned[0]).toMatchObject({ dn: user.dn, accountName: user.accountName });
      });

      it('a delta after a change returns the changed user as it is now, and new users', async () => {
        const user = await context.user();
        const { externalId } = await found(user);
        const first = await scan(null, 100);
        await directory().setMustChange(user.dn, true);
        const added = await context.user();
        const delta = await scan(first.cookie, 100);
        expect(delta.full).toBe(false);
        expect(delta.cookie).toMatch(/\S/);
        const changed = delta.users.find((u) => u.externalId === externalId);
        expect(changed).toMatchObject({ dn: user.dn, state: { mustChange: true } });
        expect(delta.users.map((u) => u.dn)).toContain(added.dn);
      });

      it('an unusable cookie starts a full scan', async () => {
        expect((await scan('not-a-cookie', 100)).full).toBe(true);
      });
    });
  });
}
