import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CamelCasePlugin,
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Dialect,
} from 'kysely';
import pg from 'pg';
import { SsprError } from '../../domain/errors/sspr-error.js';
import type { Database } from './database.js';
import { isUniqueViolation, mapStoreError, withErrorMapping } from './error-mapping.js';
import { KyselyStore, type SqlStore } from './kysely-store.js';

export type { SqlStore } from './kysely-store.js';

export interface CreateStoreOptions {
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** PostgreSQL only: the schema to use (created if missing), e.g. one per test file. */
  readonly schema?: string;
  /** PostgreSQL only: the pool size (default 10). */
  readonly poolSize?: number;
}

const schemaName = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const invalid = (problem: string): SsprError =>
  new SsprError('CONFIG_INVALID', { details: { store: problem } });

/**
 * Opens the store named by the URL. Call `migrate()` before first use. PostgreSQL is contacted
 * at once, so an unreachable server fails here with SsprError STORE_UNAVAILABLE.
 */
export async function createStore(options: CreateStoreOptions): Promise<SqlStore> {
  const { url } = options;
  if (url.startsWith('sqlite:'))
    return openSqlite(url.slice('sqlite:'.length).replace(/^\/\//, ''));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(options);
  // Never echo the URL: it may hold a password.
  throw invalid('the store URL must start with sqlite: or postgres://');
}

async function openSqlite(path: string): Promise<SqlStore> {
  if (path === '') throw invalid('sqlite: needs a file path or :memory:');
  let database: SqliteDatabase.Database | undefined;
  try {
    if (path !== ':memory:') await mkdir(dirname(resolve(path)), { recursive: true });
    database = new SqliteDatabase(path);
    database.pragma('journal_mode = WAL'); // stays "memory" for :memory:
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
  } catch (error) {
    database?.close();
    throw new SsprError('STORE_UNAVAILABLE', { cause: error });
  }
  const db = new Kysely<Database>({
    dialect: withErrorMapping(new SqliteDialect({ database })),
    plugins: [new CamelCasePlugin()],
  });
  return new KyselyStore(db, { dialect: 'sqlite' });
}

async function openPostgres(options: CreateStoreOptions): Promise<SqlStore> {
  const { schema } = options;
  if (schema !== undefined && !schemaName.test(schema)) {
    throw invalid('the PostgreSQL schema must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)');
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    application_name: 'opensspr',
  });
  // A client losing its server emits 'error' (on the pool while idle, on the client while checked
  // out); unheard, that would crash the process. The failing query reports STORE_UNAVAILABLE.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const setSearchPath =
    schema === undefined ? undefined : CompiledQuery.raw(`set search_path to "${schema}"`);
  const dialect: Dialect = withErrorMapping(
    new PostgresDialect({
      pool,
      // Runs once on every new pooled connection.
      onCreateConnection: setSearchPath
        ? async (connection) => {
            await connection.executeQuery(setSearchPath);
          }
        : undefined,
    }),
  );
  const db = new Kysely<Database>({ dialect, plugins: [new CamelCasePlugin()] });
  let tablesIn: string;
  try {
    tablesIn = schema === undefined ? await currentSchema(db) : await createSchema(db, schema);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw mapStoreError(error);
  }
  return new KyselyStore(db, { dialect: 'postgres', schema: tablesIn });
}

async function createSchema(db: Kysely<Database>, schema: string): Promise<string> {
  // Look first: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
  const { rows } = await sql`select 1 from pg_namespace where nspname = ${schema}`.execute(db);
  if (rows.length > 0) return schema;
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (error) {
    // Two processes creating the same schema at once: the loser sees a unique violation.
    if (!isUniqueViolation(error)) throw error;
  }
  return schema;
}

/** The schema unqualified tables go to (the first existing one on the search_path). */
async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  );
  const schema = rows[0]?.schema ?? null;
  if (schema === null) throw invalid('no schema of the PostgreSQL search_path exists');
  return schema;
}
