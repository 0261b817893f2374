import type { Kysely, Selectable } from 'kysely';
import { SsprError } from '../../domain/errors/sspr-error.js';
import type { CodeRepository, OneTimeCode } from '../../domain/ports/store.js';
import { toNumber, type Database, type OneTimeCodesTable } from './database.js';

const toCode = (row: Selectable<OneTimeCodesTable>): OneTimeCode => ({
  id: row.id,
  purpose: row.purpose as OneTimeCode['purpose'],
  subject: row.subject,
  hmac: row.hmac,
  attempts: row.attempts,
  expiresAt: row.expiresAt,
  usedAt: row.usedAt,
  createdAt: row.createdAt,
});

export function createCodeRepository(db: Kysely<Database>): CodeRepository {
  return {
    async create(code) {
      await db
        .insertInto('oneTimeCodes')
        .values({
          id: code.id,
          purpose: code.purpose,
          subject: code.subject,
          hmac: code.hmac,
          attempts: 0,
          expiresAt: code.expiresAt,
          usedAt: null,
          createdAt: code.createdAt,
        })
        .execute();
    },

    async findById(id) {
      const row = await db
        .selectFrom('oneTimeCodes')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toCode(row) : null;
    },

    async findLatestUnused(purpose, subject) {
      const row = await db
        .selectFrom('oneTimeCodes')
        .selectAll()
        .where('purpose', '=', purpose)
        .where('subject', '=', subject)
        .where('usedAt', 'is', null)
        .orderBy('createdAt', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toCode(row) : null;
    },

    async incrementAttempts(id) {
      const row = await db
        .updateTable('oneTimeCodes')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .returning('attempts')
        .executeTakeFirst();
      // Fail closed: an unknown code has no counter to compare against.
      if (!row) throw new SsprError('RESOURCE_NOT_FOUND', { details: { code: 'unknown' } });
      return toNumber(row.attempts);
    },

    async consume(id, now) {
      // One atomic statement: of two concurrent consumers exactly one sees used_at IS NULL.
      const result = await db
        .updateTable('oneTimeCodes')
        .set({ usedAt: now })
        .where('id', '=', id)
        .where('usedAt', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteExpired(before) {
      const result = await db
        .deleteFrom('oneTimeCodes')
        .where('expiresAt', '<', before)
        .executeTakeFirst();
      return toNumber(result.numDeletedRows);
    },
  };
}
