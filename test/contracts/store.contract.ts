import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSsprError } from '../../src/domain/errors/sspr-error.js';
import { errorOf, expectSsprError } from '../support/errors.js';
import type { AuditEventInput } from '../../src/domain/model/audit-event.js';
import type { Flow } from '../../src/domain/model/flow.js';
import type { NewUser, User } from '../../src/domain/model/user.js';
import type { DirectoryGroup, DirectoryUser } from '../../src/domain/ports/directory.js';
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
      externalId: null,
      directoryDn: null,
      accountName: null,
      directoryState: null,
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
          lastSyncedAt: null,
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
        expect(group).toEqual({
          id,
          displayName: 'SSPR pilot',
          externalId: null,
          directoryDn: null,
          createdAt: at(3),
        });
        expect(await store.groups.findById(id)).toEqual(group);
        expect(await store.groups.findById(uid('missing'))).toBeNull();
        await expectSsprError(store.groups.create({ id, displayName: 'again' }, at(4)), 'CONFLICT');
      });

      it('lists groups by display name with a search, paged (names may repeat)', async () => {
        const marker = `zq${uid('m')
          .replace(/[^a-z0-9]/gi, '')
          .slice(-8)}`;
        const ids = [uid('l1'), uid('l2'), uid('l3')];
        await store.groups.create({ id: ids[0] ?? '', displayName: `Helpdesk ${marker}` }, at(0));
        await store.groups.create({ id: ids[1] ?? '', displayName: `Helpdesk ${marker}` }, at(0));
        await store.groups.create({ id: ids[2] ?? '', displayName: `Admins ${marker}` }, at(0));
        const first = await store.groups.list({ search: marker.toUpperCase(), limit: 2 });
        expect(first.items.map((g) => g.displayName)).toEqual([
          `Admins ${marker}`,
          `Helpdesk ${marker}`,
        ]);
        expect(first.nextCursor).not.toBeNull();
        const second = await store.groups.list({
          search: marker,
          limit: 2,
          cursor: first.nextCursor ?? '',
        });
        expect(second.items.map((g) => g.displayName)).toEqual([`Helpdesk ${marker}`]);
        expect(second.nextCursor).toBeNull();
        // Both Helpdesk groups, once each, whatever their ids' order.
        expect(new Set([first.items[1]?.id, second.items[0]?.id])).toEqual(
          new Set([ids[0], ids[1]]),
        );
        expect((await store.groups.list({ search: `${marker}%`, limit: 10 })).items).toEqual([]);
        await expectSsprError(
          store.groups.list({ limit: 2, cursor: 'not-a-cursor' }),
          'VALIDATION_FAILED',
        );
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
        expect(await store.groups.listUserMembersTransitive(a.id)).toEqual([user.id]);
        expect(await store.groups.listUserMembersTransitive(d.id)).toEqual([]);
        // Direct memberships only (c), not the groups c is nested in.
        expect((await store.groups.listGroupsOfUser(user.id)).map((g) => g.id)).toEqual([c.id]);
        expect(await store.groups.listGroupsOfUser(outsider.id)).toEqual([]);

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

    describe('agents', () => {
      it('consumes a registration token once, and only before it expires', async () => {
        const live = { id: uid('rt'), tokenHash: uid('hash'), expiresAt: at(60) };
        const expired = { id: uid('rt'), tokenHash: uid('hash'), expiresAt: at(10) };
        await store.agents.createRegistrationToken(live, at(0));
        await store.agents.createRegistrationToken(expired, at(0));
        expect(await store.agents.consumeRegistrationToken(uid('hash'), at(1))).toBe(false);
        expect(await store.agents.consumeRegistrationToken(expired.tokenHash, at(10))).toBe(false);
        const both = await Promise.all([
          store.agents.consumeRegistrationToken(live.tokenHash, at(1)),
          store.agents.consumeRegistrationToken(live.tokenHash, at(1)),
        ]);
        expect(both.sort()).toEqual([false, true]);
        expect(await store.agents.consumeRegistrationToken(live.tokenHash, at(2))).toBe(false);
      });

      it('creates, finds, touches, revokes and lists agents', async () => {
        const agent = {
          id: uid('agent'),
          name: 'dc1-agent',
          signingPublicKey: 'ed25519 pem',
          encryptionPublicKey: 'x25519 pem',
          version: '0.1.0',
        };
        const created = await store.agents.create(agent, at(1));
        const expected = { ...agent, createdAt: at(1), lastSeenAt: null, revokedAt: null };
        expect(created).toEqual(expected);
        expect(await store.agents.findById(agent.id)).toEqual(expected);
        expect(await store.agents.findById(uid('agent'))).toBeNull();
        await store.agents.touch(agent.id, at(2), '0.2.0');
        await store.agents.revoke(agent.id, at(3));
        await store.agents.revoke(agent.id, at(4));
        const after = { ...expected, version: '0.2.0', lastSeenAt: at(2), revokedAt: at(3) };
        expect(await store.agents.findById(agent.id)).toEqual(after);
        const second = await store.agents.create({ ...agent, id: uid('agent') }, at(5));
        const listed = (await store.agents.list()).filter((a) =>
          [agent.id, second.id].includes(a.id),
        );
        expect(listed).toEqual([after, second]);
      });
    });

    describe('directory sync', () => {
      const sync = () => store.directorySync;
      const newId = () => uid('dir');
      const options = { newId, prepopulateContacts: true };
      /** A directory user in OU=Staff of a per-test domain. */
      const dirUser = (
        name: string,
        domain: string,
        overrides: Partial<DirectoryUser> = {},
      ): DirectoryUser => ({
        dn: `CN=${name},OU=Staff,DC=${domain},DC=test`,
        externalId: randomUUID(),
        userPrincipalName: `${name.toLowerCase()}@${domain}.test`,
        accountName: name.toLowerCase(),
        displayName: `${name} Example`,
        givenName: name,
        surname: 'Example',
        mail: `${name.toLowerCase()}@mail.${domain}.test`,
        mobile: '+1 4255550100',
        telephoneNumber: '+1 4255550101',
        state: {
          disabled: false,
          locked: false,
          expired: false,
          mustChange: false,
          protected: false,
          criticalSystemObject: false,
          passwordLastSet: '2029-12-01T00:00:00.000Z',
        },
        memberOf: [],
        ...overrides,
      });
      const dirGroup = (
        name: string,
        domain: string,
        members: readonly string[],
        externalId: string = randomUUID(),
      ): DirectoryGroup => ({
        dn: `CN=${name},OU=Groups,DC=${domain},DC=test`,
        externalId,
        displayName: name,
        members,
      });
      const findGroupId = async (externalId: string): Promise<string> => {
        const group = await sync().findGroupByExternalId(externalId);
        if (group === null) throw new Error(`group ${externalId} not stored`);
        return group.id;
      };

      it('inserts directory users with their state and contacts, then updates only what changed', async () => {
        const domain = `d${token()}`;
        const alice = dirUser('Alice', domain, {
          state: { ...dirUser('x', domain).state, disabled: true, locked: true, protected: true },
        });
        const result = await sync().upsertUsers([alice], at(1), options);
        expect(result).toEqual({ added: 1, updated: 0, unchanged: 0, skipped: [] });
        const stored = await sync().findUserByExternalId(alice.externalId);
        expect(await store.users.findByUpn(alice.userPrincipalName)).toEqual(stored);
        expect(stored).toEqual({
          id: expect.any(String) as unknown,
          userPrincipalName: alice.userPrincipalName,
          displayName: 'Alice Example',
          givenName: 'Alice',
          surname: 'Example',
          source: 'directory',
          accountEnabled: false,
          passwordHash: null,
          passwordChangedAt: null,
          email: alice.mail,
          mobilePhone: '+1 4255550100',
          officePhone: '+1 4255550101',
          externalId: alice.externalId,
          directoryDn: alice.dn,
          accountName: 'alice',
          directoryState: {
            locked: true,
            expired: false,
            mustChange: false,
            protected: true,
            passwordLastSet: '2029-12-01T00:00:00.000Z',
          },
          lastSyncedAt: at(1),
          createdAt: at(1),
          updatedAt: at(1),
        });
        if (stored === null) throw new Error('not stored');

        // Seen again unchanged: only the sync time moves.
        expect(await sync().upsertUsers([alice], at(2), options)).toMatchObject({
          added: 0,
          updated: 0,
          unchanged: 1,
        });
        expect(await store.users.findById(stored.id)).toEqual({ ...stored, lastSyncedAt: at(2) });

        // Moved to another OU and enabled: same row, an update.
        const moved = {
          ...alice,
          dn: `CN=Alice,OU=Sales,DC=${domain},DC=test`,
          state: { ...alice.state, disabled: false },
        };
        expect(await sync().upsertUsers([moved], at(3), options)).toMatchObject({
          added: 0,
          updated: 1,
        });
        const after = await store.users.findById(stored.id);
        expect(after).toMatchObject({
          directoryDn: moved.dn,
          accountEnabled: true,
          lastSyncedAt: at(3),
          updatedAt: at(3),
        });

        // Without pre-population the contact columns are left as they are.
        const noMail = { ...moved, mail: null, mobile: null, telephoneNumber: null };
        await sync().upsertUsers([noMail], at(4), { newId, prepopulateContacts: false });
        expect(await store.users.findById(stored.id)).toMatchObject({
          email: alice.mail,
          mobilePhone: '+1 4255550100',
        });
        await sync().upsertUsers([noMail], at(5), options);
        expect(await store.users.findById(stored.id)).toMatchObject({
          email: null,
          mobilePhone: null,
          officePhone: null,
        });
      });

      it('skips a UPN held by a cloud user, critical system objects and users without a UPN', async () => {
        const domain = `d${token()}`;
        const cloud = await addUser({ userPrincipalName: `bob@${domain}.test` });
        const bob = dirUser('Bob', domain);
        const krbtgt = dirUser('Krbtgt', domain, {
          state: { ...bob.state, criticalSystemObject: true },
        });
        const nameless = dirUser('Nameless', domain, { userPrincipalName: '' });
        const carol = dirUser('Carol', domain);
        const result = await sync().upsertUsers([bob, krbtgt, nameless, carol], at(1), options);
        expect(result.added).toBe(1);
        expect(result.skipped).toEqual([
          {
            externalId: krbtgt.externalId,
            userPrincipalName: krbtgt.userPrincipalName,
            dn: krbtgt.dn,
            reason: 'criticalSystemObject',
          },
          {
            externalId: nameless.externalId,
            userPrincipalName: '',
            dn: nameless.dn,
            reason: 'invalid',
          },
          {
            externalId: bob.externalId,
            userPrincipalName: bob.userPrincipalName,
            dn: bob.dn,
            reason: 'upnConflict',
            conflictWith: { id: cloud.id, source: 'cloud' },
          },
        ]);
        expect(await store.users.findById(cloud.id)).toEqual(cloud);
        expect(await store.users.findByUpn(krbtgt.userPrincipalName)).toBeNull();
        expect(await sync().countByExternalIds([bob.externalId, carol.externalId])).toEqual({
          users: 1,
          groups: 0,
        });

        // A rename onto a taken UPN keeps the old UPN; the user still counts as seen.
        const renamed = { ...carol, userPrincipalName: cloud.userPrincipalName };
        const again = await sync().upsertUsers([renamed], at(2), options);
        expect(again.skipped).toEqual([
          expect.objectContaining({ externalId: carol.externalId, reason: 'upnConflict' }),
        ]);
        const stored = await store.users.findByUpn(carol.userPrincipalName);
        expect(stored?.lastSyncedAt).toBe(at(2));
        // Two directory users trading places in one batch: the freed UPN is taken.
        const dave = dirUser('Dave', domain, { userPrincipalName: carol.userPrincipalName });
        const carolRenamed = { ...carol, userPrincipalName: `carol.new@${domain}.test` };
        expect(await sync().upsertUsers([dave, carolRenamed], at(3), options)).toMatchObject({
          added: 1,
          updated: 1,
          skipped: [],
        });
        expect((await store.users.findByUpn(carol.userPrincipalName))?.externalId).toBe(
          dave.externalId,
        );
      });

      it('resolves members by DN in any order, nested groups included, and replaces them', async () => {
        const domain = `d${token()}`;
        const u1 = dirUser('Una', domain);
        const u2 = dirUser('Ugo', domain);
        const inner = dirGroup('Inner', domain, [u2.dn]);
        // The outer group first, naming members the store does not have yet (spelled differently).
        const outer = dirGroup('Outer', domain, [
          u1.dn.toUpperCase(),
          inner.dn.replace(/,/g, ', '),
          `CN=Ghost,OU=Staff,DC=${domain},DC=test`,
        ]);
        expect(await sync().upsertGroups([outer], at(1), { newId })).toEqual({
          added: 1,
          updated: 0,
          unchanged: 0,
        });
        await sync().upsertUsers([u1], at(1), options);
        await sync().upsertGroups([inner], at(1), { newId });
        await sync().upsertUsers([u2], at(1), options);
        const user1 = await store.users.findByUpn(u1.userPrincipalName);
        const user2 = await store.users.findByUpn(u2.userPrincipalName);
        if (user1 === null || user2 === null) throw new Error('users not stored');
        const outerId = await findGroupId(outer.externalId);
        const innerId = await findGroupId(inner.externalId);
        expect(await store.groups.findById(outerId)).toEqual({
          id: outerId,
          displayName: 'Outer',
          externalId: outer.externalId,
          directoryDn: outer.dn,
          createdAt: at(1),
        });
        expect(await store.groups.isMemberTransitive(outerId, user1.id)).toBe(true);
        expect(await store.groups.isMemberTransitive(innerId, user2.id)).toBe(true);
        expect(await store.groups.isMemberTransitive(outerId, user2.id)).toBe(true);
        expect(await store.groups.isMemberTransitive(innerId, user1.id)).toBe(false);

        // Seen again unchanged; then the outer group drops its nested group.
        expect(await sync().upsertGroups([outer], at(2), { newId })).toMatchObject({
          unchanged: 1,
        });
        const shrunk = { ...outer, members: [u1.dn] };
        expect(await sync().upsertGroups([shrunk], at(3), { newId })).toMatchObject({
          updated: 1,
        });
        expect(await store.groups.isMemberTransitive(outerId, user2.id)).toBe(false);
        expect(await store.groups.isMemberTransitive(outerId, user1.id)).toBe(true);

        // A user's memberOf counts too, and a move keeps memberships (AD links by object).
        const u3 = dirUser('Uwe', domain, { memberOf: [inner.dn.toLowerCase()] });
        await sync().upsertUsers([u3], at(4), options);
        const user3 = await store.users.findByUpn(u3.userPrincipalName);
        if (user3 === null) throw new Error('user not stored');
        expect(await store.groups.isMemberTransitive(innerId, user3.id)).toBe(true);
        const u3moved = { ...u3, dn: `CN=Uwe,OU=Moved,DC=${domain},DC=test` };
        await sync().upsertUsers([u3moved], at(5), options);
        expect(await store.groups.isMemberTransitive(innerId, user3.id)).toBe(true);
        // Leaving is the group's business: the group, sent again, replaces its members.
        await sync().upsertUsers([{ ...u3moved, memberOf: [] }], at(6), options);
        expect(await store.groups.isMemberTransitive(innerId, user3.id)).toBe(true);
        await sync().upsertGroups([inner], at(6), { newId });
        expect(await store.groups.isMemberTransitive(innerId, user3.id)).toBe(false);
        expect(await store.groups.isMemberTransitive(innerId, user2.id)).toBe(true);
      });

      it('deletes only directory objects by externalId, with their memberships', async () => {
        const domain = `d${token()}`;
        const u = dirUser('Dora', domain);
        const g = dirGroup('Team', domain, [u.dn]);
        const parent = dirGroup('Parent', domain, [g.dn]);
        await sync().upsertUsers([u], at(1), options);
        await sync().upsertGroups([g, parent], at(1), { newId });
        const user = await store.users.findByUpn(u.userPrincipalName);
        if (user === null) throw new Error('user not stored');
        const parentId = await findGroupId(parent.externalId);
        expect(await store.groups.isMemberTransitive(parentId, user.id)).toBe(true);
        const cloud = await addUser();

        const ids = [u.externalId, g.externalId, randomUUID()];
        expect(await sync().countByExternalIds(ids)).toEqual({ users: 1, groups: 1 });
        expect(await sync().deleteByExternalIds([...ids, cloud.id])).toEqual({
          users: 1,
          groups: 1,
        });
        expect(await store.users.findById(user.id)).toBeNull();
        expect(await store.users.findById(cloud.id)).not.toBeNull();
        expect(await sync().countByExternalIds(ids)).toEqual({ users: 0, groups: 0 });
        expect(await store.groups.findById(parentId)).not.toBeNull();
        expect(await sync().deleteByExternalIds([])).toEqual({ users: 0, groups: 0 });
      });

      it('lists the directory objects a full sync did not see, and counts objects', async () => {
        const domain = `d${token()}`;
        const seen = dirUser('Seen', domain);
        const gone = dirUser('Gone', domain);
        const goneGroup = dirGroup('GoneGroup', domain, []);
        const seenGroup = dirGroup('SeenGroup', domain, []);
        const before = await sync().countObjects();
        await sync().upsertUsers([seen, gone], at(10), options);
        await sync().upsertGroups([goneGroup, seenGroup], at(10), { newId });
        expect(await sync().countObjects()).toEqual({
          users: before.users + 2,
          groups: before.groups + 2,
        });
        const cloud = await addUser();
        // The next full sync starts at 20 and sees only `seen` and `seenGroup`.
        await sync().upsertUsers([seen], at(20), options);
        await sync().upsertGroups([seenGroup], at(20), { newId });
        const missing = await sync().notSeenSince(at(20));
        expect(missing.users).toContain(gone.externalId);
        expect(missing.users).not.toContain(seen.externalId);
        expect(missing.users).not.toContain(cloud.externalId);
        expect(missing.groups).toContain(goneGroup.externalId);
        expect(missing.groups).not.toContain(seenGroup.externalId);
      });

      it('keeps the sync state', async () => {
        const initial = await sync().getState();
        expect(Object.keys(initial).sort()).toEqual(['cookie', 'lastDeltaAt', 'lastFullAt']);
        const state = { cookie: 'x'.repeat(20_000), lastFullAt: at(1), lastDeltaAt: null };
        await sync().setState(state, at(1));
        expect(await sync().getState()).toEqual(state);
        const next = { ...state, cookie: 'c2', lastDeltaAt: at(2) };
        await sync().setState(next, at(2));
        expect(await sync().getState()).toEqual(next);
      });

      it('upserts inside a transaction and rolls back with it', async () => {
        const domain = `d${token()}`;
        const u = dirUser('Tx', domain);
        await expect(
          store.transaction(async (tx) => {
            await tx.directorySync.upsertUsers([u], at(1), options);
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(await store.users.findByUpn(u.userPrincipalName)).toBeNull();
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

      it('counts events per UTC day, activity, result, method, and code and reason of failures', async () => {
        // A window no other test writes to: a random day in 2040–2090.
        const base = Date.parse('2040-01-01T00:00:00.000Z') + randomInt(18_000) * 86_400_000;
        const iso = (hours: number) => new Date(base + hours * 3_600_000).toISOString();
        const day = (hours: number) => iso(hours).slice(0, 10);
        const append = (hours: number, overrides: Partial<AuditEventInput>) =>
          store.audit.append({ ...auditInput(overrides), id: uid('a'), occurredAt: iso(hours) });
        const progress = 'Self-service password reset flow activity progress' as const;
        await append(1, { details: { methods: ['totp'] } });
        await append(2, { details: { methods: ['totp'] } });
        await append(3, { activity: progress, details: { method: 'totp', gate: 1 } });
        await append(4, {
          activity: progress,
          result: 'failure',
          resultReason: 'User failed the totp verification (CODE_INVALID)',
          details: { method: 'totp' },
        });
        await append(5, {
          result: 'failure',
          resultReason: 'PasswordPolicyViolation',
          details: { code: 'SSPR_4001' },
        });
        await append(6, {
          result: 'success',
          resultReason: 'ignored for successes',
          details: { method: 7 },
        });
        await append(26, { activity: 'Change password (self-service)', details: {} });
        await append(27, { activity: 'Sign-in activity', details: {} });
        await append(-1, { details: {} }); // before the window

        const counts = await store.audit.countByDay({
          from: iso(0),
          to: iso(26),
          activities: [progress, 'Reset password (self-service)', 'Change password (self-service)'],
        });
        const key = (c: {
          day: string;
          activity: string;
          result: string;
          method: string | null;
          code: string | null;
          resultReason: string | null;
          count: number;
        }) =>
          [
            c.day,
            c.activity,
            c.result,
            c.method ?? '-',
            c.code ?? '-',
            c.resultReason ?? '-',
            c.count,
          ].join('|');
        expect(counts.map(key).sort()).toEqual(
          [
            [day(1), 'Reset password (self-service)', 'success', '-', '-', '-', 3],
            [day(3), progress, 'success', 'totp', '-', '-', 1],
            [
              day(4),
              progress,
              'failure',
              'totp',
              '-',
              'User failed the totp verification (CODE_INVALID)',
              1,
            ],
            [
              day(5),
              'Reset password (self-service)',
              'failure',
              '-',
              'SSPR_4001',
              'PasswordPolicyViolation',
              1,
            ],
            [day(26), 'Change password (self-service)', 'success', '-', '-', '-', 1],
          ]
            .map((parts) => parts.join('|'))
            .sort(),
        );
        expect(await store.audit.countByDay({ from: iso(0), to: iso(30), activities: [] })).toEqual(
          [],
        );
        expect(
          await store.audit.countByDay({ from: iso(7), to: iso(20), activities: [progress] }),
        ).toEqual([]);
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
