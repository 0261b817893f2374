import type { Migration, MigrationProvider } from 'kysely';
import type { SqlDialect } from '../database.js';
import { init } from './0001-init.js';

/**
 * In-code migration provider (not a folder provider, so it works the same from dist/ and tsx).
 * Names sort in the order they run; append, never edit or reorder.
 */
export const migrationsFor = (dialect: SqlDialect): Record<string, Migration> => ({
  '0001_init': init(dialect),
});

export class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: SqlDialect) {}

  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrationsFor(this.dialect));
  }
}
