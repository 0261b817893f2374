import type { Kysely, Selectable } from 'kysely';
import type { AuthMethod, MethodData, MethodStatus } from '../../domain/model/auth-method.js';
import type { MethodName } from '../../domain/model/sspr-policy.js';
import type { MethodRepository } from '../../domain/ports/store.js';
import { parseJson, toNumber, type AuthMethodsTable, type Database } from './database.js';

const toMethod = (row: Selectable<AuthMethodsTable>): AuthMethod => ({
  id: row.id,
  userId: row.userId,
  kind: row.kind as MethodName,
  status: row.status as MethodStatus,
  data: parseJson(row.data) as MethodData,
  lastUsedStep: row.lastUsedStep === null ? null : toNumber(row.lastUsedStep),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export function createMethodRepository(db: Kysely<Database>): MethodRepository {
  return {
    async create(method, now): Promise<AuthMethod> {
      const created: AuthMethod = { ...method, lastUsedStep: null, createdAt: now, updatedAt: now };
      await db
        .insertInto('authMethods')
        .values({
          id: method.id,
          userId: method.userId,
          kind: method.kind,
          status: method.status,
          data: JSON.stringify(method.data),
          lastUsedStep: null,
          createdAt: now,
          updatedAt: now,
        })
        .execute();
      return created;
    },

    async findById(id) {
      const row = await db
        .selectFrom('authMethods')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toMethod(row) : null;
    },

    async listByUser(userId) {
      const rows = await db
        .selectFrom('authMethods')
        .selectAll()
        .where('userId', '=', userId)
        .orderBy('createdAt')
        .orderBy('id')
        .execute();
      return rows.map(toMethod);
    },

    async activate(id, now) {
      await db
        .updateTable('authMethods')
        .set({ status: 'active', updatedAt: now })
        .where('id', '=', id)
        .execute();
    },

    async replaceData(id, data, now) {
      await db
        .updateTable('authMethods')
        .set({ data: JSON.stringify(data), updatedAt: now })
        .where('id', '=', id)
        .execute();
    },

    async delete(id) {
      const result = await db.deleteFrom('authMethods').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async deletePending(userId, kind) {
      await db
        .deleteFrom('authMethods')
        .where('userId', '=', userId)
        .where('kind', '=', kind)
        .where('status', '=', 'pending')
        .execute();
    },

    async claimTotpStep(id, step, now) {
      // One atomic statement: of two concurrent claims of the same step, exactly one updates.
      const result = await db
        .updateTable('authMethods')
        .set({ lastUsedStep: step, updatedAt: now })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('lastUsedStep', 'is', null), eb('lastUsedStep', '<', step)]))
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },
  };
}
