import type { Kysely } from 'kysely';
import type { SettingsRepository } from '../../domain/ports/store.js';
import { parseJson, type Database } from './database.js';

export function createSettingsRepository(db: Kysely<Database>): SettingsRepository {
  return {
    /** The stored JSON value, or undefined when the key was never set. */
    async get(key) {
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst();
      return row ? parseJson(row.value) : undefined;
    },

    async set(key, value, now) {
      // JSON.stringify(undefined) is undefined: store it as null.
      const text = JSON.stringify(value) as string | undefined;
      const json = text ?? 'null';
      await db
        .insertInto('settings')
        .values({ key, value: json, updatedAt: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updatedAt: now }))
        .execute();
    },
  };
}
