import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSsprError } from '../../src/domain/errors/sspr-error.js';
import type { ErrorName } from '../../src/domain/errors/registry.js';
import type { AuditEventInput } from '../../src/domain/model/audit-event.js';
import type { Flow } from '../../src/domain/model/flow.js';
import type { NewUser, User } from '../../src/domain/model/user.js';
import type { Store } from '../../src/domain/ports/store.js';

/**
 * The Store port's contract, run against every implementation (the fake and each SQL dialect).
 * `makeStore` is called once per suite and must return an empty-or-shared, migrated store: every
 * test uses fresh random ids, so the suite does not need a clean database per test.
 */
export function storeContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store!: Store;
    let opened = false;

    beforeAll(async () => {
      store = await makeStore();
      opened = true;
    });
    afterAll(async () => {
      if (opened) await store.close();
    });

    const T0 = Date.parse('2030-01-01T00:00:00.000Z');
    /** An ISO time `minutes` after 2030-01-01 (negative for before). */
    const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
    const uid = (prefix: string): string => `${prefix}-${randomUUID()}`;
    /** Eight lower-case hex characters, unique enough to scope a search. */
    const token = (): string => randomUUID().slice(0, 8);

    async function errorOf(promise: Promise<unknown>): Promise<unknown> {
      try {
        await promise;
      } catch (error) {
        return error;
      }
      throw new Error('expected the promise to reject');
    }
    async function expectSsprError(promise: Promise<unknown>, errorName: ErrorName): Promise<void> {
      const error = await errorOf(promise);
      expect(
        isSsprError(error, errorName),
        `expected SsprError ${errorName}, got ${String(error)}`,
      ).toBe(true);
    }

    const newUser = (overrides: Partial<NewUser> = {}): NewUser => ({
      id: uid('user'),
      userPrincipalName: `${randomUUID()}@contoso.test`,
      displayName: 'Test User',
      givenName: null,
      surname: null,
      source: 'cloud',
      accountEnabled: true,
      passwordHash: null,
      email: null,
      mobilePhone: null,
      officePhone: null,
      ...overrides,
    });
    const addUser = (overrides: Partial<NewUser> = {}): Promise<User> =>
      store.users.create(newUser(overrides), at(0));

    const newFlow = (userId: string | null, overrides: Partial<Flow> = {}): Flow => ({
      id: uid('flow'),
      kind: 'reset',
      state: 'choose_method',
      userId,
      gatesRequired: 2,
      gatesPassed: [],
      context: {
        offered: [
          { method: 'email', methodId: uid('m'), hint: 'a***@contoso.test' },
          { method: 'totp', methodId: null, hint: 'Authenticator app' },
        ],
        challenges: { email: { method: 'email', codeId: uid('code'), issuedAt: at(0) } },
        typedUserId: 'Alice@Contoso.test',
        isAdmin: false,
        source: 'cloud',
      },
      submitCount: 0,
      correlationId: uid('corr'),
      issuedAt: at(0),
      expiresAt: at(15),
      completedAt: null,
      version: 1,
      ...overrides,
    });

    const auditInput = (overrides: Partial<AuditEventInput> = {}): AuditEventInput => ({
      activity: 'Reset password (self-service)',
      category: 'UserManagement',
      result: 'success',
      resultReason: null,
      correlationId: uid('corr'),
      actorId: null,
      actorUpn: null,
      targetId: null,
      targetUpn: null,
      ip: '192.0.2.1',
      userAgent: 'vitest',
      details: { method: 'email', nested: { n: 1, list: [true, null] } },
      ...overrides,
    });

    describe('users', () => {
      it('creates a user with a lower-cased UPN and finds it by id and by UPN in any case', async () => {
        const input = newUser({
          userPrincipalName: `Alice.${token()}@Contoso.TEST`,
          displayName: 'Alice Anders',
          givenName: 'Alice',
          surname: 'Anders',
          source: 'directory',
          accountEnabled: false,
          email: 'alice@example.test',
          mobilePhone: '+1 4255550100',
          officePhone: '+1 4255550101',
        });
        const created = await store.users.create(input, at(1));
        const upn = input.userPrincipalName.toLowerCase();
        expect(created).toEqual({
          ...input,
          userPrincipalName: upn,
          passwordChangedAt: null,
          createdAt: at(1),
          updatedAt: at(1),
        });
        expect(await store.users.findById(input.id)).toEqual(created);
        expect(await store.users.findByUpn(upn)).toEqual(created);
        expect(await store.users.findByUpn(upn.toUpperCase())).toEqual(created);
        expect(await store.users.findById(uid('missing'))).toBeNull();
        expect(await store.users.findByUpn(`missing-${token()}@contoso.test`)).toBeNull();
      });

      it('records the password change time when created with a password hash', async () => {
        const created = await store.users.create(newUser({ passwordHash: '$argon2id$x' }), at(2));
        expect(created.passwordChangedAt).toBe(at(2));
        expect((await store.users.findById(created.id))?.passwordChangedAt).toBe(at(2));
      });

      it('throws CONFLICT for a UPN that exists in another case, and the store stays usable', async () => {
        const first = await addUser({ userPrincipalName: `bob.${token()}@contoso.test` });
        const duplicate = newUser({ userPrincipalName: first.userPrincipalName.toUpperCase() });
        await expectSsprError(store.users.create(duplicate, at(1)), 'CONFLICT');
        expect(await store.users.findById(duplicate.id)).toBeNull();
        // Inside a transaction the conflict must not poison it (PostgreSQL aborts on errors).
        const other = newUser();
        await store.transaction(async (tx) => {
          await expectSsprError(tx.users.create(duplicate, at(1)), 'CONFLICT');
          await tx.users.create(other, at(1));
        });
        expect(await store.users.findById(other.id)).not.toBeNull();
      });

      it('lets exactly one of two concurrent creates with the same UPN win', async () => {
        const upn = `race.${token()}@contoso.test`;
        const results = await Promise.allSettled([
          store.users.create(newUser({ userPrincipalName: upn }), at(0)),
          store.users.create(newUser({ userPrincipalName: upn }), at(0)),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected');
        expect(isSsprError(rejected?.reason, 'CONFLICT')).toBe(true);
      });

      it('lists by case-insensitive substring of UPN or display name, ordered by UPN, paged', async () => {
        const tok = token();
        const other = token();
        const a = await addUser({ userPrincipalName: `a.${tok}@contoso.test` });
        const c = await addUser({ userPrincipalName: `c.${tok}@contoso.test` });
        const b = await addUser({ userPrincipalName: `b.${tok}@contoso.test` });
        const d = await addUser({
          userPrincipalName: `d.${other}@contoso.test`,
          displayName: `Dora ${tok.toUpperCase()} Smith`,
        });
        await addUser({ userPrincipalName: `e.${other}@contoso.test`, displayName: 'Eve' });
        const upns = (page: { items: readonly User[] }) =>
          page.items.map((u) => u.userPrincipalName);

        const search = tok.toUpperCase();
        const page1 = await store.users.list({ search, limit: 2 });
        expect(upns(page1)).toEqual([a.userPrincipalName, b.userPrincipalName]);
        expect(page1.nextCursor).toEqual(expect.any(String));
        const page2 = await store.users.list({ search, limit: 2, cursor: page1.nextCursor ?? '' });
        expect(upns(page2)).toEqual([c.userPrincipalName, d.userPrincipalName]);
        expect(page2.nextCursor).toBeNull();

        const all = await store.users.list({ search, limit: 10 });
        expect(upns(all)).toEqual([a, b, c, d].map((u) => u.userPrincipalName));
        expect(all.nextCursor).toBeNull();
        expect(all.items[0]).toEqual(a);

        // LIKE wildcards in the search are literal characters.
        expect((await store.users.list({ search: `_${tok}`, limit: 10 })).items).toEqual([]);
        expect((await store.users.list({ search: `%${tok}`, limit: 10 })).items).toEqual([]);
        expect(upns(await store.users.list({ search: `.${tok}@`, limit: 10 }))).toEqual(
          [a, b, c].map((u) => u.userPrincipalName),
        );
      });

      it('pages through every user in UPN order without a search', async () => {
        await addUser();
        await addUser();
        const total = await store.users.count();
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let guard = 0; guard < 10_000; guard++) {
          const page = await store.users.list({ limit: 3, ...(cursor ? { cursor } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((u) => u.userPrincipalName));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(seen).toHaveLength(total);
        expect(new Set(seen).size).toBe(total);
        expect(seen).toEqual([...seen].sort());
      });

      it('rejects a cursor it did not issue', async () => {
        await expectSsprError(
          store.users.list({ limit: 2, cursor: 'not a cursor!' }),
          'VALIDATION_FAILED',
        );
      });

      it('sets the password hash and its change time', async () => {
        const user = await addUser();
        await store.users.setPasswordHash(user.id, '$argon2id$new', at(30));
        const found = await store.users.findById(user.id);
        expect(found).toEqual({
          ...user,
          passwordHash: '$argon2id$new',
          passwordChangedAt: at(30),
          updatedAt: at(30),
        });
      });

      it('updates only the patched fields', async () => {
        const user = await addUser({
          givenName: 'Carl',
          surname: 'Cole',
          email: 'carl@example.test',
          officePhone: '+1 2025550199',
        });
        await store.users.update(
          user.id,
          { displayName: 'Carl C', accountEnabled: false, mobilePhone: '+44 7700900000' },
          at(5),
        );
        expect(await store.users.findById(user.id)).toEqual({
          ...user,
          displayName: 'Carl C',
          accountEnabled: false,
          mobilePhone: '+44 7700900000',
          updatedAt: at(5),
        });
        await store.users.update(user.id, { accountEnabled: true, email: null }, at(6));
        const found = await store.users.findById(user.id);
        expect(found?.accountEnabled).toBe(true);
        expect(found?.email).toBeNull();
        expect(found?.givenName).toBe('Carl');
        expect(found?.surname).toBe('Cole');
        expect(found?.officePhone).toBe('+1 2025550199');
      });

      it('adds roles idempotently and lists admin ids once each', async () => {
        const admin = await addUser();
        const plain = await addUser();
        expect(await store.users.rolesOf(admin.id)).toEqual([]);
        await store.users.addRole(admin.id, 'passwordAdministrator');
        await store.users.addRole(admin.id, 'globalAdministrator');
        await store.users.addRole(admin.id, 'globalAdministrator');
        expect([...(await store.users.rolesOf(admin.id))].sort()).toEqual([
          'globalAdministrator',
          'passwordAdministrator',
        ]);
        const ids = await store.users.listAdminIds();
        expect(ids.filter((id) => id === admin.id)).toHaveLength(1);
        expect(ids).not.toContain(plain.id);
      });

      it('counts users', async () => {
        const before = await store.users.count();
        await addUser();
        await addUser();
        expect(await store.users.count()).toBe(before + 2);
      });
    });

    describe('groups', () => {
      it('creates and finds a group; a duplicate id is a CONFLICT', async () => {
        const id = uid('group');
        const group = await store.groups.create({ id, displayName: 'SSPR pilot' }, at(3));
        expect(group).toEqual({ id, displayName: 'SSPR pilot', createdAt: at(3) });
        expect(await store.groups.findById(id)).toEqual(group);
        expect(await store.groups.findById(uid('missing'))).toBeNull();
        await expectSsprError(store.groups.create({ id, displayName: 'again' }, at(4)), 'CONFLICT');
      });

      it('resolves direct and nested membership, survives a cycle and follows removals', async () => {
        const [a, b, c, d] = await Promise.all(
          ['a', 'b', 'c', 'd'].map((n) =>
            store.groups.create({ id: uid(`g${n}`), displayName: n }, at(0)),
          ),
        );
        if (!a || !b || !c || !d) throw new Error('groups not created');
        const user = await addUser();
        const outsider = await addUser();
        // a → b → c → a (a cycle); the user is a direct member of c; d is unrelated.
        await store.groups.addMember(a.id, b.id, 'group');
        await store.groups.addMember(b.id, c.id, 'group');
        await store.groups.addMember(c.id, a.id, 'group');
        await store.groups.addMember(c.id, user.id, 'user');
        await store.groups.addMember(c.id, user.id, 'user'); // idempotent

        expect(await store.groups.isMemberTransitive(c.id, user.id)).toBe(true);
        expect(await store.groups.isMemberTransitive(b.id, user.id)).toBe(true);
        expect(await store.groups.isMemberTransitive(a.id, user.id)).toBe(true);
        expect(await store.groups.isMemberTransitive(a.id, outsider.id)).toBe(false);
        expect(await store.groups.isMemberTransitive(d.id, user.id)).toBe(false);
        expect(await store.groups.isMemberTransitive(uid('nogroup'), user.id)).toBe(false);
        // A group id is not a user member.
        expect(await store.groups.isMemberTransitive(a.id, b.id)).toBe(false);

        await store.groups.removeMember(b.id, c.id);
        expect(await store.groups.isMemberTransitive(a.id, user.id)).toBe(false);
        expect(await store.groups.isMemberTransitive(c.id, user.id)).toBe(true);
        await store.groups.removeMember(c.id, user.id);
        expect(await store.groups.isMemberTransitive(c.id, user.id)).toBe(false);
      });
    });

    describe('methods', () => {
      it('creates methods and lists a user’s methods oldest first, data intact', async () => {
        const user = await addUser();
        const otherUser = await addUser();
        const totp = await store.methods.create(
          {
            id: uid('m'),
            userId: user.id,
            kind: 'totp',
            status: 'pending',
            data: { kind: 'totp', secretEncrypted: 'v1.abc', label: 'Phone' },
          },
          at(2),
        );
        const email = await store.methods.create(
          {
            id: uid('m'),
            userId: user.id,
            kind: 'email',
            status: 'active',
            data: { kind: 'email', email: 'a@example.test' },
          },
          at(1),
        );
        const questions = await store.methods.create(
          {
            id: uid('m'),
            userId: user.id,
            kind: 'securityQuestions',
            status: 'active',
            data: {
              kind: 'securityQuestions',
              answers: [
                { questionId: 'q1', answerHash: '$argon2id$1' },
                { questionId: 'custom-pet', answerHash: '$argon2id$2' },
              ],
            },
          },
          at(3),
        );
        await store.methods.create(
          {
            id: uid('m'),
            userId: otherUser.id,
            kind: 'sms',
            status: 'active',
            data: { kind: 'sms', phone: '+1 4255550100' },
          },
          at(0),
        );
        expect(totp).toMatchObject({ lastUsedStep: null, createdAt: at(2), updatedAt: at(2) });
        expect(await store.methods.findById(totp.id)).toEqual(totp);
        expect(await store.methods.findById(uid('missing'))).toBeNull();
        expect(await store.methods.listByUser(user.id)).toEqual([email, totp, questions]);
        expect(await store.methods.listByUser(uid('nobody'))).toEqual([]);
      });

      it('activates, replaces data and deletes', async () => {
        const user = await addUser();
        const method = await store.methods.create(
          {
            id: uid('m'),
            userId: user.id,
            kind: 'email',
            status: 'pending',
            data: { kind: 'email', email: 'old@example.test' },
          },
          at(0),
        );
        await store.methods.activate(method.id, at(1));
        expect(await store.methods.findById(method.id)).toEqual({
          ...method,
          status: 'active',
          updatedAt: at(1),
        });
        await store.methods.replaceData(
          method.id,
          { kind: 'email', email: 'new@example.test' },
          at(2),
        );
        expect(await store.methods.findById(method.id)).toMatchObject({
          status: 'active',
          data: { kind: 'email', email: 'new@example.test' },
          updatedAt: at(2),
        });
        expect(await store.methods.delete(method.id)).toBe(true);
        expect(await store.methods.delete(method.id)).toBe(false);
        expect(await store.methods.findById(method.id)).toBeNull();
      });

      it('deletes only pending registrations of the kind for the user', async () => {
        const user = await addUser();
        const other = await addUser();
        const make = (userId: string, kind: 'email' | 'sms', status: 'pending' | 'active') =>
          store.methods.create(
            {
              id: uid('m'),
              userId,
              kind,
              status,
              data:
                kind === 'email'
                  ? { kind, email: 'x@example.test' }
                  : { kind, phone: '+1 2025550100' },
            },
            at(0),
          );
        const pendingEmail = await make(user.id, 'email', 'pending');
        const activeEmail = await make(user.id, 'email', 'active');
        const pendingSms = await make(user.id, 'sms', 'pending');
        const othersPending = await make(other.id, 'email', 'pending');
        await store.methods.deletePending(user.id, 'email');
        expect(await store.methods.findById(pendingEmail.id)).toBeNull();
        expect(await store.methods.findById(activeEmail.id)).not.toBeNull();
        expect(await store.methods.findById(pendingSms.id)).not.toBeNull();
        expect(await store.methods.findById(othersPending.id)).not.toBeNull();
      });

      it('claims a TOTP step only when it is later than the last one, atomically', async () => {
        const user = await addUser();
        const method = await store.methods.create(
          {
            id: uid('m'),
            userId: user.id,
            kind: 'totp',
            status: 'active',
            data: { kind: 'totp', secretEncrypted: 'v1.x', label: 'App' },
          },
          at(0),
        );
        const step = 63_000_000;
        expect(await store.methods.claimTotpStep(method.id, step, at(1))).toBe(true);
        expect(await store.methods.findById(method.id)).toMatchObject({
          lastUsedStep: step,
          updatedAt: at(1),
        });
        expect(await store.methods.claimTotpStep(method.id, step, at(2))).toBe(false);
        expect(await store.methods.claimTotpStep(method.id, step - 1, at(2))).toBe(false);
        expect((await store.methods.findById(method.id))?.lastUsedStep).toBe(step);
        expect(await store.methods.claimTotpStep(method.id, step + 1, at(3))).toBe(true);
        // Steps beyond 32 bits survive the round trip.
        expect(await store.methods.claimTotpStep(method.id, 2 ** 40, at(3))).toBe(true);
        expect((await store.methods.findById(method.id))?.lastUsedStep).toBe(2 ** 40);

        const racing = await Promise.all(
          Array.from({ length: 5 }, () =>
            store.methods.claimTotpStep(method.id, 2 ** 40 + 1, at(4)),
          ),
        );
        expect(racing.filter(Boolean)).toHaveLength(1);
        expect(await store.methods.claimTotpStep(uid('missing'), 1, at(5))).toBe(false);
      });
    });

    describe('flows', () => {
      it('stores and reads a flow back unchanged, with or without a user', async () => {
        const user = await addUser();
        const flow = newFlow(user.id);
        await store.flows.create(flow);
        expect(await store.flows.findById(flow.id)).toEqual(flow);
        const anonymous = newFlow(null, { gatesRequired: 1 });
        await store.flows.create(anonymous);
        expect(await store.flows.findById(anonymous.id)).toEqual(anonymous);
        expect(await store.flows.findById(uid('missing'))).toBeNull();
      });

      it('updates optimistically: only from the previous version', async () => {
        const user = await addUser();
        const flow = newFlow(user.id);
        await store.flows.create(flow);
        const next: Flow = {
          ...flow,
          state: 'new_password',
          gatesPassed: ['email', 'totp'],
          submitCount: 2,
          context: { ...flow.context, challenges: {} },
          completedAt: at(9),
          version: 2,
        };
        expect(await store.flows.update(next)).toBe(true);
        expect(await store.flows.findById(flow.id)).toEqual(next);
        // A writer that read version 1 loses.
        expect(await store.flows.update({ ...next, state: 'failed' })).toBe(false);
        expect((await store.flows.findById(flow.id))?.state).toBe('new_password');

        const racing = await Promise.all(
          ['completed', 'failed', 'completed'].map((state) =>
            store.flows.update({ ...next, state: state as Flow['state'], version: 3 }),
          ),
        );
        expect(racing.filter(Boolean)).toHaveLength(1);
        expect((await store.flows.findById(flow.id))?.version).toBe(3);
        expect(await store.flows.update({ ...newFlow(user.id), version: 2 })).toBe(false);
      });

      it('deletes flows that expired before a time', async () => {
        // Times in 1990 are used by no other test, so the count is exact on a shared store.
        const user = await addUser();
        const old1 = newFlow(user.id, { expiresAt: '1990-01-01T00:00:00.000Z' });
        const old2 = newFlow(null, { expiresAt: '1990-01-01T00:10:00.000Z' });
        const boundary = newFlow(user.id, { expiresAt: '1990-01-01T00:20:00.000Z' });
        for (const f of [old1, old2, boundary]) await store.flows.create(f);
        expect(await store.flows.deleteExpired('1990-01-01T00:20:00.000Z')).toBe(2);
        expect(await store.flows.findById(old1.id)).toBeNull();
        expect(await store.flows.findById(old2.id)).toBeNull();
        expect(await store.flows.findById(boundary.id)).toEqual(boundary);
        expect(await store.flows.deleteExpired('1990-01-01T00:20:00.000Z')).toBe(0);
      });
    });

    describe('codes', () => {
      const newCode = (overrides: { expiresAt?: string } = {}) => ({
        id: uid('code'),
        purpose: 'flow' as const,
        subject: uid('flow'),
        hmac: 'hmac-sha256-base64',
        expiresAt: at(5),
        createdAt: at(0),
        ...overrides,
      });

      it('creates a code with no attempts and not used', async () => {
        const code = newCode();
        await store.codes.create(code);
        expect(await store.codes.findById(code.id)).toEqual({ ...code, attempts: 0, usedAt: null });
        expect(await store.codes.findById(uid('missing'))).toBeNull();
      });

      it('finds the newest unused code of a purpose for a subject', async () => {
        const subject = uid('session');
        const older = { ...newCode(), subject, purpose: 'sign-in' as const, createdAt: at(0) };
        const newer = { ...newCode(), subject, purpose: 'sign-in' as const, createdAt: at(1) };
        const otherPurpose = { ...newCode(), subject, createdAt: at(2) };
        for (const c of [older, newer, otherPurpose]) await store.codes.create(c);
        expect((await store.codes.findLatestUnused('sign-in', subject))?.id).toBe(newer.id);
        await store.codes.consume(newer.id, at(2));
        expect((await store.codes.findLatestUnused('sign-in', subject))?.id).toBe(older.id);
        await store.codes.consume(older.id, at(2));
        expect(await store.codes.findLatestUnused('sign-in', subject)).toBeNull();
        expect(await store.codes.findLatestUnused('sign-in', uid('nobody'))).toBeNull();
      });

      it('bumps the attempt counter and returns the new count', async () => {
        const code = newCode();
        await store.codes.create(code);
        expect(await store.codes.incrementAttempts(code.id)).toBe(1);
        expect(await store.codes.incrementAttempts(code.id)).toBe(2);
        const counts = await Promise.all(
          [1, 2, 3].map(() => store.codes.incrementAttempts(code.id)),
        );
        expect([...counts].sort()).toEqual([3, 4, 5]);
        expect((await store.codes.findById(code.id))?.attempts).toBe(5);
        await expectSsprError(store.codes.incrementAttempts(uid('missing')), 'RESOURCE_NOT_FOUND');
      });

      it('consumes a code exactly once, even under concurrency', async () => {
        const code = newCode();
        await store.codes.create(code);
        expect(await store.codes.consume(code.id, at(1))).toBe(true);
        expect(await store.codes.consume(code.id, at(2))).toBe(false);
        expect((await store.codes.findById(code.id))?.usedAt).toBe(at(1));

        const racer = newCode();
        await store.codes.create(racer);
        const two = await Promise.all([
          store.codes.consume(racer.id, at(1)),
          store.codes.consume(racer.id, at(1)),
        ]);
        expect(two.filter(Boolean)).toHaveLength(1);
        const crowd = newCode();
        await store.codes.create(crowd);
        const many = await Promise.all(
          Array.from({ length: 8 }, () => store.codes.consume(crowd.id, at(1))),
        );
        expect(many.filter(Boolean)).toHaveLength(1);
        expect(await store.codes.consume(uid('missing'), at(1))).toBe(false);
      });

      it('deletes codes that expired before a time', async () => {
        const old = newCode({ expiresAt: '1990-02-01T00:00:00.000Z' });
        const edge = newCode({ expiresAt: '1990-02-01T00:05:00.000Z' });
        await store.codes.create(old);
        await store.codes.create(edge);
        expect(await store.codes.deleteExpired('1990-02-01T00:05:00.000Z')).toBe(1);
        expect(await store.codes.findById(old.id)).toBeNull();
        expect(await store.codes.findById(edge.id)).not.toBeNull();
      });
    });

    describe('throttles', () => {
      it('counts events at or after a time and reports the latest', async () => {
        const key = uid('gate');
        expect(await store.throttles.count(key, at(0))).toBe(0);
        expect(await store.throttles.latest(key)).toBeNull();
        for (const m of [0, 10, 20, 20, 30]) await store.throttles.record(key, at(m));
        await store.throttles.record(uid('gate'), at(40));
        expect(await store.throttles.count(key, at(0))).toBe(5);
        expect(await store.throttles.count(key, at(20))).toBe(3);
        expect(await store.throttles.count(key, at(21))).toBe(1);
        expect(await store.throttles.count(key, at(31))).toBe(0);
        expect(await store.throttles.latest(key)).toBe(at(30));
      });

      it('clears keys by exact, case-sensitive prefix with wildcards taken literally', async () => {
        const base = uid('clear');
        const keys = {
          a: `${base}:user:a`,
          b: `${base}:user:b`,
          upper: `${base}:USER:c`,
          wild: `${base}:u_er:d`,
          other: `${base}x:user:e`,
        };
        for (const key of Object.values(keys)) await store.throttles.record(key, at(0));
        await store.throttles.clear(`${base}:user:`);
        expect(await store.throttles.count(keys.a, at(-1))).toBe(0);
        expect(await store.throttles.count(keys.b, at(-1))).toBe(0);
        expect(await store.throttles.count(keys.upper, at(-1))).toBe(1);
        expect(await store.throttles.count(keys.wild, at(-1))).toBe(1);
        expect(await store.throttles.count(keys.other, at(-1))).toBe(1);
        await store.throttles.clear(`${base}:u_`);
        await store.throttles.clear(`${base}:%`);
        expect(await store.throttles.count(keys.upper, at(-1))).toBe(1);
        expect(await store.throttles.count(keys.wild, at(-1))).toBe(0);
      });

      it('blocks a subject until a time, replaces a block and unblocks', async () => {
        const subject = uid('user');
        expect(await store.throttles.activeBlock(subject, at(0))).toBeNull();
        await store.throttles.block(subject, at(60), 'too many attempts');
        expect(await store.throttles.activeBlock(subject, at(0))).toEqual({
          until: at(60),
          reason: 'too many attempts',
        });
        expect(await store.throttles.activeBlock(subject, at(59))).not.toBeNull();
        expect(await store.throttles.activeBlock(subject, at(60))).toBeNull();
        await store.throttles.block(subject, at(120), 'again');
        expect(await store.throttles.activeBlock(subject, at(90))).toEqual({
          until: at(120),
          reason: 'again',
        });
        await store.throttles.unblock(subject);
        expect(await store.throttles.activeBlock(subject, at(90))).toBeNull();
        expect(await store.throttles.activeBlock(uid('nobody'), at(0))).toBeNull();
      });

      it('deletes events older than a time', async () => {
        const key = uid('old');
        await store.throttles.record(key, '1990-03-01T00:00:00.000Z');
        await store.throttles.record(key, '1990-03-01T00:01:00.000Z');
        await store.throttles.record(key, '1990-03-01T00:02:00.000Z');
        expect(await store.throttles.deleteBefore('1990-03-01T00:02:00.000Z')).toBe(2);
        expect(await store.throttles.count(key, '1990-01-01T00:00:00.000Z')).toBe(1);
        expect(await store.throttles.latest(key)).toBe('1990-03-01T00:02:00.000Z');
      });
    });

    describe('sessions', () => {
      it('creates, finds by token hash, completes the second factor and deletes', async () => {
        const user = await addUser();
        const session = {
          id: uid('s'),
          userId: user.id,
          pendingSecondFactor: true,
          createdAt: at(0),
          expiresAt: at(480),
        };
        const tokenHash = uid('hash');
        await store.sessions.create({ ...session, tokenHash });
        expect(await store.sessions.findByTokenHash(tokenHash)).toEqual(session);
        expect(await store.sessions.findByTokenHash(uid('hash'))).toBeNull();
        await store.sessions.completeSecondFactor(session.id);
        expect(await store.sessions.findByTokenHash(tokenHash)).toEqual({
          ...session,
          pendingSecondFactor: false,
        });
        await store.sessions.delete(session.id);
        expect(await store.sessions.findByTokenHash(tokenHash)).toBeNull();
      });

      it('revokes every session of a user except one', async () => {
        const user = await addUser();
        const other = await addUser();
        const make = async (userId: string) => {
          const s = {
            id: uid('s'),
            userId,
            pendingSecondFactor: false,
            createdAt: at(0),
            expiresAt: at(60),
            tokenHash: uid('hash'),
          };
          await store.sessions.create(s);
          return s;
        };
        const keep = await make(user.id);
        const drop1 = await make(user.id);
        const drop2 = await make(user.id);
        const others = await make(other.id);
        expect(await store.sessions.deleteByUser(user.id, keep.id)).toBe(2);
        expect(await store.sessions.findByTokenHash(keep.tokenHash)).not.toBeNull();
        expect(await store.sessions.findByTokenHash(drop1.tokenHash)).toBeNull();
        expect(await store.sessions.findByTokenHash(drop2.tokenHash)).toBeNull();
        expect(await store.sessions.deleteByUser(user.id)).toBe(1);
        expect(await store.sessions.findByTokenHash(keep.tokenHash)).toBeNull();
        expect(await store.sessions.findByTokenHash(others.tokenHash)).not.toBeNull();
      });
    });

    describe('admin tokens', () => {
      it('creates, finds, touches, revokes and lists tokens', async () => {
        const first = { id: uid('t'), name: 'ci', tokenHash: uid('hash') };
        const second = { id: uid('t'), name: 'backup', tokenHash: uid('hash') };
        await store.adminTokens.create(first, at(1));
        await store.adminTokens.create(second, at(2));
        const expected = {
          id: first.id,
          name: 'ci',
          createdAt: at(1),
          lastUsedAt: null,
          revokedAt: null,
        };
        expect(await store.adminTokens.findByTokenHash(first.tokenHash)).toEqual(expected);
        expect(await store.adminTokens.findByTokenHash(uid('hash'))).toBeNull();
        await store.adminTokens.touch(first.id, at(3));
        await store.adminTokens.revoke(first.id, at(4));
        expect(await store.adminTokens.findByTokenHash(first.tokenHash)).toEqual({
          ...expected,
          lastUsedAt: at(3),
          revokedAt: at(4),
        });
        const listed = (await store.adminTokens.list()).filter((t) =>
          [first.id, second.id].includes(t.id),
        );
        expect(listed.map((t) => t.id)).toEqual([first.id, second.id]);
        expect(listed[1]).toEqual({
          id: second.id,
          name: 'backup',
          createdAt: at(2),
          lastUsedAt: null,
          revokedAt: null,
        });
        expect(listed[0]).not.toHaveProperty('tokenHash');
      });
    });

    describe('audit', () => {
      it('appends events with increasing seq and returns them unchanged', async () => {
        const input = auditInput({ actorId: uid('u'), actorUpn: 'admin@contoso.test' });
        const e1 = await store.audit.append({ ...input, id: uid('a'), occurredAt: at(0) });
        const e2 = await store.audit.append({ ...input, id: uid('a'), occurredAt: at(1) });
        expect(e2.seq).toBeGreaterThan(e1.seq);
        expect(e1).toEqual({ ...input, id: e1.id, seq: e1.seq, occurredAt: at(0) });
        const page = await store.audit.query({ correlationId: input.correlationId, limit: 10 });
        expect(page.items).toEqual([e2, e1]);
      });

      it('pages newest first with an opaque cursor', async () => {
        const correlationId = uid('corr');
        const events = [];
        for (let i = 0; i < 5; i++) {
          events.push(
            await store.audit.append({
              ...auditInput({ correlationId }),
              id: uid('a'),
              occurredAt: at(i),
            }),
          );
        }
        const newestFirst = [...events].reverse();
        const p1 = await store.audit.query({ correlationId, limit: 2 });
        expect(p1.items).toEqual(newestFirst.slice(0, 2));
        expect(p1.nextCursor).toEqual(expect.any(String));
        const p2 = await store.audit.query({
          correlationId,
          limit: 2,
          cursor: p1.nextCursor ?? '',
        });
        expect(p2.items).toEqual(newestFirst.slice(2, 4));
        const p3 = await store.audit.query({
          correlationId,
          limit: 2,
          cursor: p2.nextCursor ?? '',
        });
        expect(p3.items).toEqual(newestFirst.slice(4));
        expect(p3.nextCursor).toBeNull();
        const exact = await store.audit.query({ correlationId, limit: 5 });
        expect(exact.items).toHaveLength(5);
        expect(exact.nextCursor).toBeNull();
        await expectSsprError(store.audit.query({ limit: 2, cursor: '%%%' }), 'VALIDATION_FAILED');
      });

      it('filters by time range, activity, result, correlation id and user', async () => {
        const correlationId = uid('corr');
        const actorId = uid('actor');
        const targetId = uid('target');
        const targetUpn = `target.${token()}@contoso.test`;
        const append = (minutes: number, overrides: Partial<AuditEventInput>) =>
          store.audit.append({
            ...auditInput({ correlationId, ...overrides }),
            id: uid('a'),
            occurredAt: at(minutes),
          });
        const reset = await append(0, { actorId, actorUpn: 'Actor@Contoso.test' });
        const failed = await append(10, {
          result: 'failure',
          resultReason: 'gate throttled',
          targetId,
          targetUpn,
        });
        const blocked = await append(20, {
          activity: 'Blocked from self-service password reset',
          category: 'UserManagement',
          targetUpn: targetUpn.toUpperCase(),
        });
        const ids = async (query: Omit<Parameters<Store['audit']['query']>[0], 'limit'>) =>
          (await store.audit.query({ limit: 50, ...query })).items.map((e) => e.id);

        expect(await ids({ correlationId })).toEqual([blocked.id, failed.id, reset.id]);
        expect(await ids({ correlationId, from: at(10) })).toEqual([blocked.id, failed.id]);
        expect(await ids({ correlationId, to: at(10) })).toEqual([failed.id, reset.id]);
        expect(await ids({ correlationId, from: at(5), to: at(15) })).toEqual([failed.id]);
        expect(
          await ids({ correlationId, activity: 'Blocked from self-service password reset' }),
        ).toEqual([blocked.id]);
        expect(await ids({ correlationId, result: 'failure' })).toEqual([failed.id]);
        expect(await ids({ correlationId, result: 'success' })).toEqual([blocked.id, reset.id]);
        expect(await ids({ user: actorId })).toEqual([reset.id]);
        expect(await ids({ user: 'actor@contoso.TEST', correlationId })).toEqual([reset.id]);
        expect(await ids({ user: targetId })).toEqual([failed.id]);
        expect(await ids({ user: targetUpn })).toEqual([blocked.id, failed.id]);
        expect(await ids({ user: targetUpn, result: 'failure', from: at(10) })).toEqual([
          failed.id,
        ]);
        expect(await ids({ user: uid('nobody') })).toEqual([]);
        expect(await ids({ correlationId: uid('corr') })).toEqual([]);
      });
    });

    describe('settings', () => {
      it('stores JSON values by key and overwrites them', async () => {
        const key = uid('setting');
        expect(await store.settings.get(key)).toBeUndefined();
        const policy = { enabledFor: 'selected', methods: { email: true }, list: [1, 'two', null] };
        await store.settings.set(key, policy, at(0));
        expect(await store.settings.get(key)).toEqual(policy);
        await store.settings.set(key, 42, at(1));
        expect(await store.settings.get(key)).toBe(42);
        await store.settings.set(key, null, at(2));
        expect(await store.settings.get(key)).toBeNull();
      });
    });

    describe('transactions', () => {
      it('commits every repository’s writes and returns the callback’s value', async () => {
        const user = newUser();
        const key = uid('setting');
        const result = await store.transaction(async (tx) => {
          await tx.users.create(user, at(0));
          await tx.settings.set(key, { ok: true }, at(0));
          await tx.throttles.record(key, at(0));
          return 'done';
        });
        expect(result).toBe('done');
        expect(await store.users.findById(user.id)).not.toBeNull();
        expect(await store.settings.get(key)).toEqual({ ok: true });
        expect(await store.throttles.count(key, at(0))).toBe(1);
      });

      it('rolls back every write when the callback throws, and rethrows', async () => {
        const existing = await addUser();
        const user = newUser();
        const key = uid('setting');
        const correlationId = uid('corr');
        const boom = new Error('boom');
        const error = await errorOf(
          store.transaction(async (tx) => {
            await tx.users.create(user, at(0));
            await tx.users.update(existing.id, { displayName: 'Changed' }, at(1));
            await tx.settings.set(key, 1, at(0));
            await tx.audit.append({
              ...auditInput({ correlationId }),
              id: uid('a'),
              occurredAt: at(0),
            });
            expect(await tx.users.findById(user.id)).not.toBeNull(); // visible inside
            throw boom;
          }),
        );
        expect(error).toBe(boom);
        expect(await store.users.findById(user.id)).toBeNull();
        expect((await store.users.findById(existing.id))?.displayName).toBe(existing.displayName);
        expect(await store.settings.get(key)).toBeUndefined();
        expect((await store.audit.query({ correlationId, limit: 5 })).items).toEqual([]);
      });

      it('runs a nested transaction inside the outer one', async () => {
        const outer = newUser();
        const inner = newUser();
        await store.transaction(async (tx) => {
          await tx.users.create(outer, at(0));
          const value = await tx.transaction(async (nested) => {
            // The nested transaction sees the outer one's uncommitted write.
            expect(await nested.users.findById(outer.id)).not.toBeNull();
            await nested.users.create(inner, at(0));
            return 7;
          });
          expect(value).toBe(7);
          expect(await tx.users.findById(inner.id)).not.toBeNull();
        });
        expect(await store.users.findById(outer.id)).not.toBeNull();
        expect(await store.users.findById(inner.id)).not.toBeNull();
      });

      it('undoes only the nested work when a nested failure is caught', async () => {
        const outer = newUser();
        const inner = newUser();
        const after = newUser();
        await store.transaction(async (tx) => {
          await tx.users.create(outer, at(0));
          const error = await errorOf(
            tx.transaction(async (nested) => {
              await nested.users.create(inner, at(0));
              throw new Error('inner failure');
            }),
          );
          expect(error).toEqual(new Error('inner failure'));
          await tx.users.create(after, at(0));
        });
        expect(await store.users.findById(outer.id)).not.toBeNull();
        expect(await store.users.findById(inner.id)).toBeNull();
        expect(await store.users.findById(after.id)).not.toBeNull();
      });

      it('rolls back nested work when the outer transaction fails afterwards', async () => {
        const inner = newUser();
        await errorOf(
          store.transaction(async (tx) => {
            await tx.transaction(async (nested) => {
              await nested.users.create(inner, at(0));
            });
            throw new Error('outer failure');
          }),
        );
        expect(await store.users.findById(inner.id)).toBeNull();
      });
    });
  });
}
