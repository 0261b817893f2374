import { Migrator, sql, type Kysely } from 'kysely';
import type { DirectorySyncRepository } from '../../domain/ports/directory-sync-store.js';
import type {
  AdminTokenRepository,
  AuditRepository,
  CodeRepository,
  FlowRepository,
  GroupRepository,
  MethodRepository,
  SessionRepository,
  SettingsRepository,
  Store,
  ThrottleRepository,
  UserRepository,
} from '../../domain/ports/store.js';
import type { AgentRepository } from '../../domain/ports/agent-store.js';
import { createAdminTokenRepository } from './admin-token.repository.js';
import { createAgentRepository } from './agent.repository.js';
import { createAuditRepository } from './audit.repository.js';
import { createCodeRepository } from './code.repository.js';
import type { Database, SqlDialect } from './database.js';
import { createDirectorySyncRepository } from './directory-sync.repository.js';
import { mapStoreError } from './error-mapping.js';
import { createFlowRepository } from './flow.repository.js';
import { createGroupRepository } from './group.repository.js';
import { createMethodRepository } from './method.repository.js';
import { InCodeMigrationProvider } from './migrations/index.js';
import { createSessionRepository } from './session.repository.js';
import { createSettingsRepository } from './settings.repository.js';
import { createThrottleRepository } from './throttle.repository.js';
import { createUserRepository } from './user.repository.js';

/** A Store with the operations the composition root needs on the real database. */
export interface SqlStore extends Store {
  readonly dialect: SqlDialect;
  /** Applies pending migrations (idempotent; safe to call on every start). */
  migrate(): Promise<void>;
}

/**
 * The Store over kysely. The root instance owns the connection (pool or SQLite handle); the
 * instances handed to `transaction()` callbacks are bound to that transaction.
 */
export class KyselyStore implements SqlStore {
  readonly users: UserRepository;
  readonly groups: GroupRepository;
  readonly methods: MethodRepository;
  readonly flows: FlowRepository;
  readonly codes: CodeRepository;
  readonly throttles: ThrottleRepository;
  readonly sessions: SessionRepository;
  readonly adminTokens: AdminTokenRepository;
  readonly audit: AuditRepository;
  readonly settings: SettingsRepository;
  readonly directorySync: DirectorySyncRepository;
  readonly agents: AgentRepository;

  /** `depth` 0: the root store; n > 0: inside n nested `transaction()` calls. */
  constructor(
    private readonly db: Kysely<Database>,
    /** PostgreSQL: `schema` holds the tables (kysely's migrator must be told explicitly). */
    private readonly where: { readonly dialect: SqlDialect; readonly schema?: string },
    private readonly depth = 0,
  ) {
    this.users = createUserRepository(db);
    this.groups = createGroupRepository(db);
    this.methods = createMethodRepository(db);
    this.flows = createFlowRepository(db);
    this.codes = createCodeRepository(db);
    this.throttles = createThrottleRepository(db);
    this.sessions = createSessionRepository(db);
    this.adminTokens = createAdminTokenRepository(db);
    this.audit = createAuditRepository(db, where.dialect);
    this.settings = createSettingsRepository(db);
    this.directorySync = createDirectorySyncRepository(db);
    this.agents = createAgentRepository(db);
  }

  get dialect(): SqlDialect {
    return this.where.dialect;
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.depth === 0) {
      return this.db.transaction().execute((trx) => fn(new KyselyStore(trx, this.where, 1)));
    }
    // Nested: reuse the open transaction (starting another would wait forever for SQLite's single
    // connection). A savepoint makes an inner failure that the outer code catches undo only the
    // inner work. Nested calls must not run concurrently with each other.
    const savepoint = sql.raw(`sspr_nested_${String(this.depth)}`);
    await sql`savepoint ${savepoint}`.execute(this.db);
    let result: T;
    try {
      result = await fn(new KyselyStore(this.db, this.where, this.depth + 1));
    } catch (error) {
      await sql`rollback to savepoint ${savepoint}`.execute(this.db);
      await sql`release savepoint ${savepoint}`.execute(this.db);
      throw error;
    }
    await sql`release savepoint ${savepoint}`.execute(this.db);
    return result;
  }

  async migrate(): Promise<void> {
    if (this.depth > 0) throw new Error('migrate() cannot run inside a transaction');
    const migrator = new Migrator({
      db: this.db.withoutPlugins(),
      provider: new InCodeMigrationProvider(this.where.dialect),
      migrationTableName: 'schema_migrations',
      migrationLockTableName: 'schema_migration_locks',
      // Without it kysely looks for its tables in every schema and skips creating them when
      // another schema of the database has them.
      migrationTableSchema: this.where.schema,
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      const mapped = mapStoreError(error);
      if (mapped !== error) throw mapped;
      const what = failed === undefined ? 'store migration' : `store migration ${failed}`;
      throw new Error(`${what} failed`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.depth > 0) throw new Error('close() cannot run inside a transaction');
    await this.db.destroy();
  }
}
