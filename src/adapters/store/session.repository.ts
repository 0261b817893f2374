import type { Kysely } from 'kysely';
import type { SessionRepository } from '../../domain/ports/store.js';
import { toNumber, type Database } from './database.js';

export function createSessionRepository(db: Kysely<Database>): SessionRepository {
  return {
    async create(session) {
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          userId: session.userId,
          tokenHash: session.tokenHash,
          pendingSecondFactor: session.pendingSecondFactor ? 1 : 0,
          createdAt: session.createdAt,
          expiresAt: session.expiresAt,
        })
        .execute();
    },

    async findByTokenHash(tokenHash) {
      const row = await db
        .selectFrom('sessions')
        .select(['id', 'userId', 'pendingSecondFactor', 'createdAt', 'expiresAt'])
        .where('tokenHash', '=', tokenHash)
        .executeTakeFirst();
      return row ? { ...row, pendingSecondFactor: Boolean(row.pendingSecondFactor) } : null;
    },

    async completeSecondFactor(id) {
      await db
        .updateTable('sessions')
        .set({ pendingSecondFactor: 0 })
        .where('id', '=', id)
        .execute();
    },

    async delete(id) {
      await db.deleteFrom('sessions').where('id', '=', id).execute();
    },

    async deleteByUser(userId, exceptId) {
      let query = db.deleteFrom('sessions').where('userId', '=', userId);
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
      const result = await query.executeTakeFirst();
      return toNumber(result.numDeletedRows);
    },
  };
}
