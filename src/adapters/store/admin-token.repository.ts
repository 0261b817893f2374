import type { Kysely } from 'kysely';
import type { AdminTokenRepository } from '../../domain/ports/store.js';
import type { Database } from './database.js';

const columns = ['id', 'name', 'createdAt', 'lastUsedAt', 'revokedAt'] as const;

export function createAdminTokenRepository(db: Kysely<Database>): AdminTokenRepository {
  return {
    async create(token, now) {
      await db
        .insertInto('adminTokens')
        .values({ ...token, createdAt: now, lastUsedAt: null, revokedAt: null })
        .execute();
    },

    async findByTokenHash(tokenHash) {
      const row = await db
        .selectFrom('adminTokens')
        .select(columns)
        .where('tokenHash', '=', tokenHash)
        .executeTakeFirst();
      return row ?? null;
    },

    async touch(id, now) {
      await db.updateTable('adminTokens').set({ lastUsedAt: now }).where('id', '=', id).execute();
    },

    async revoke(id, now) {
      // The first revocation time stays.
      await db
        .updateTable('adminTokens')
        .set({ revokedAt: now })
        .where('id', '=', id)
        .where('revokedAt', 'is', null)
        .execute();
    },

    async list() {
      return db
        .selectFrom('adminTokens')
        .select(columns)
        .orderBy('createdAt')
        .orderBy('id')
        .execute();
    },
  };
}
