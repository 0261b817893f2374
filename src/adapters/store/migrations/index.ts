import type { Migration, MigrationProvider } from 'kysely';
import type { SqlDialect } from '../database.js';
import { init } from './0001-init.js';
import { agents } from './0002-agents.js';
import { directory } from './0003-directory.js';

/**
 * In-code migration provider (not a folder provider, so it works the same from dist/ and tsx).
 * Names sort in the order they run; append, never edit or reorder.
 */
export const migrationsFor = (dialect: SqlDialect): Record<string, Migration> => ({
  '0001_init': init(dialect),
  '0002_agents': agents(),
  '0003_directory': directory(dialect),
});

export class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: SqlDialect) {}

  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrationsFor(this.dialect));
  }
}
