import { sql, type Kysely } from 'kysely';
import type { ThrottleRepository } from '../../domain/ports/store.js';
import { toNumber, type Database } from './database.js';

export function createThrottleRepository(db: Kysely<Database>): ThrottleRepository {
  return {
    async record(key, at) {
      await db.insertInto('throttleEvents').values({ key, occurredAt: at }).execute();
    },

    async count(key, since) {
      const row = await db
        .selectFrom('throttleEvents')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('key', '=', key)
        .where('occurredAt', '>=', since)
        .executeTakeFirstOrThrow();
      return toNumber(row.n);
    },

    async latest(key) {
      const row = await db
        .selectFrom('throttleEvents')
        .select((eb) => eb.fn.max('occurredAt').as('latest'))
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.latest ?? null;
    },

    async clear(keyPrefix) {
      // An exact, case-sensitive prefix on both dialects (SQLite's LIKE ignores ASCII case).
      // SQL's substr counts characters (code points), not UTF-16 units.
      const length = Array.from(keyPrefix).length;
      await db
        .deleteFrom('throttleEvents')
        .where(sql<string>`substr(key, 1, cast(${length} as integer))`, '=', keyPrefix)
        .execute();
    },

    async block(subject, until, reason) {
      await db
        .insertInto('throttleBlocks')
        .values({ subject, until, reason })
        .onConflict((oc) => oc.column('subject').doUpdateSet({ until, reason }))
        .execute();
    },

    async activeBlock(subject, now) {
      const row = await db
        .selectFrom('throttleBlocks')
        .select(['until', 'reason'])
        .where('subject', '=', subject)
        .where('until', '>', now)
        .executeTakeFirst();
      return row ?? null;
    },

    async unblock(subject) {
      await db.deleteFrom('throttleBlocks').where('subject', '=', subject).execute();
    },

    async deleteBefore(before) {
      // Housekeeping: events older than `before` and blocks that ended by then.
      const events = await db
        .deleteFrom('throttleEvents')
        .where('occurredAt', '<', before)
        .executeTakeFirst();
      const blocks = await db
        .deleteFrom('throttleBlocks')
        .where('until', '<=', before)
        .executeTakeFirst();
      return toNumber(events.numDeletedRows) + toNumber(blocks.numDeletedRows);
    },
  };
}
