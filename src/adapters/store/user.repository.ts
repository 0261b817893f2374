import { sql, type Kysely, type Selectable } from 'kysely';
import { SsprError } from '../../domain/errors/sspr-error.js';
import type {
  AdminRole,
  DirectoryState,
  NewUser,
  User,
  UserSource,
} from '../../domain/model/user.js';
import type { Page, UserRepository } from '../../domain/ports/store.js';
import { parseJson, toNumber, type Database, type UsersTable } from './database.js';
import { directoryDnKey } from './directory-dn.js';
import { checkLimit, containsPattern, decodeCursor, encodeCursor } from './paging.js';

export const toUser = (row: Selectable<UsersTable>): User => ({
  id: row.id,
  userPrincipalName: row.upn,
  displayName: row.displayName,
  givenName: row.givenName,
  surname: row.surname,
  source: row.source as UserSource,
  accountEnabled: Boolean(row.accountEnabled),
  passwordHash: row.passwordHash,
  passwordChangedAt: row.passwordChangedAt,
  email: row.email,
  mobilePhone: row.mobilePhone,
  officePhone: row.officePhone,
  externalId: row.externalId,
  directoryDn: row.directoryDn,
  accountName: row.accountName,
  directoryState:
    row.directoryState === null ? null : (parseJson(row.directoryState) as DirectoryState),
  lastSyncedAt: row.lastSyncedAt,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export function createUserRepository(db: Kysely<Database>): UserRepository {
  return {
    async create(user: NewUser, now: string): Promise<User> {
      const created: User = {
        ...user,
        userPrincipalName: user.userPrincipalName.toLowerCase(),
        passwordChangedAt: user.passwordHash === null ? null : now,
        lastSyncedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      // ON CONFLICT DO NOTHING instead of catching the violation: on PostgreSQL a failed INSERT
      // would abort the caller's transaction.
      const result = await db
        .insertInto('users')
        .values({
          id: created.id,
          upn: created.userPrincipalName,
          displayName: created.displayName,
          givenName: created.givenName,
          surname: created.surname,
          source: created.source,
          accountEnabled: created.accountEnabled ? 1 : 0,
          passwordHash: created.passwordHash,
          passwordChangedAt: created.passwordChangedAt,
          email: created.email,
          mobilePhone: created.mobilePhone,
          officePhone: created.officePhone,
          externalId: created.externalId,
          directoryDn: created.directoryDn,
          directoryDnKey: created.directoryDn === null ? null : directoryDnKey(created.directoryDn),
          accountName: created.accountName,
          directoryState:
            created.directoryState === null ? null : JSON.stringify(created.directoryState),
          createdAt: now,
          updatedAt: now,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (result.numInsertedOrUpdatedRows !== 1n) {
        throw new SsprError('CONFLICT', {
          details: { userPrincipalName: created.userPrincipalName },
        });
      }
      return created;
    },

    async findById(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async findByUpn(userPrincipalName) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('upn', '=', userPrincipalName.toLowerCase())
        .executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async list({ search, cursor, limit }): Promise<Page<User>> {
      checkLimit(limit);
      let query = db.selectFrom('users').selectAll();
      if (search !== undefined && search !== '') {
        const pattern = containsPattern(search.toLowerCase());
        query = query.where((eb) =>
          eb.or([
            eb(sql`lower(upn)`, 'like', sql`${pattern} escape '\\'`),
            eb(sql`lower(display_name)`, 'like', sql`${pattern} escape '\\'`),
          ]),
        );
      }
      if (cursor !== undefined) query = query.where('upn', '>', decodeCursor('u', cursor));
      const rows = await query
        .orderBy('upn')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(toUser);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor('u', last.userPrincipalName) : null,
      };
    },

    async setPasswordHash(id, passwordHash, now) {
      await db
        .updateTable('users')
        .set({ passwordHash, passwordChangedAt: now, updatedAt: now })
        .where('id', '=', id)
        .execute();
    },

    async update(id, patch, now) {
      // Explicit columns: a caller's extra properties never reach the SQL.
      const { accountEnabled } = patch;
      await db
        .updateTable('users')
        .set({
          displayName: patch.displayName,
          givenName: patch.givenName,
          surname: patch.surname,
          accountEnabled: accountEnabled === undefined ? undefined : accountEnabled ? 1 : 0,
          email: patch.email,
          mobilePhone: patch.mobilePhone,
          officePhone: patch.officePhone,
          updatedAt: now,
        })
        .where('id', '=', id)
        .execute();
    },

    async rolesOf(userId) {
      const rows = await db
        .selectFrom('userRoles')
        .select('role')
        .where('userId', '=', userId)
        .orderBy('role')
        .execute();
      return rows.map((r) => r.role as AdminRole);
    },

    async addRole(userId, role) {
      await db
        .insertInto('userRoles')
        .values({ userId, role })
        .onConflict((oc) => oc.doNothing())
        .execute();
    },

    async listAdminIds() {
      const rows = await db
        .selectFrom('userRoles')
        .select('userId')
        .distinct()
        .orderBy('userId')
        .execute();
      return rows.map((r) => r.userId);
    },

    async count() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return toNumber(row.n);
    },
  };
}
