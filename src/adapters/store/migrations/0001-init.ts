import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from '../database.js';

/**
 * 0001_init: the first schema. Released migrations never change; add a new file instead.
 * Portable types: ISO-8601 text for times, text for JSON, `boolean` (INTEGER 0/1 on SQLite).
 */
export const init = (dialect: SqlDialect): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('upn', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('given_name', 'text')
      .addColumn('surname', 'text')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('account_enabled', 'boolean', (c) => c.notNull())
      .addColumn('password_hash', 'text')
      .addColumn('password_changed_at', 'text')
      .addColumn('email', 'text')
      .addColumn('mobile_phone', 'text')
      .addColumn('office_phone', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    // The UPN is stored lower-cased, so a plain unique index makes it case-insensitively unique.
    await db.schema.createIndex('users_upn_key').unique().on('users').column('upn').execute();

    await db.schema
      .createTable('user_roles')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('user_roles_pkey', ['user_id', 'role'])
      .execute();

    await db.schema
      .createTable('groups')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('group_members')
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('member_id', 'text', (c) => c.notNull())
      .addColumn('member_type', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('group_members_pkey', ['group_id', 'member_id'])
      .execute();
    await db.schema
      .createIndex('group_members_member_idx')
      .on('group_members')
      .column('member_id')
      .execute();

    await db.schema
      .createTable('auth_methods')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('last_used_step', 'bigint')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('auth_methods_user_idx')
      .on('auth_methods')
      .columns(['user_id', 'created_at'])
      .execute();

    await db.schema
      .createTable('flows')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('gates_required', 'integer', (c) => c.notNull())
      .addColumn('gates_passed', 'text', (c) => c.notNull())
      .addColumn('context', 'text', (c) => c.notNull())
      .addColumn('submit_count', 'integer', (c) => c.notNull())
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('issued_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('completed_at', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('flows_expires_idx').on('flows').column('expires_at').execute();

    await db.schema
      .createTable('one_time_codes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('hmac', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('one_time_codes_expires_idx')
      .on('one_time_codes')
      .column('expires_at')
      .execute();

    await db.schema
      .createTable('throttle_events')
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('throttle_events_key_idx')
      .on('throttle_events')
      .columns(['key', 'occurred_at'])
      .execute();
    await db.schema
      .createIndex('throttle_events_occurred_idx')
      .on('throttle_events')
      .column('occurred_at')
      .execute();

    await db.schema
      .createTable('throttle_blocks')
      .addColumn('subject', 'text', (c) => c.primaryKey())
      .addColumn('until', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('pending_second_factor', 'boolean', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('admin_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();

    await db.schema
      .createTable('audit_events')
      .addColumn('seq', dialect === 'postgres' ? 'bigint' : 'integer', (c) =>
        dialect === 'postgres'
          ? c.primaryKey().generatedByDefaultAsIdentity()
          : c.primaryKey().autoIncrement(),
      )
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('occurred_at', 'text', (c) => c.notNull())
      .addColumn('activity', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('result_reason', 'text')
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_upn', 'text')
      .addColumn('target_id', 'text')
      .addColumn('target_upn', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();
    const auditIndexes: [string, string][] = [
      ['occurred', 'occurred_at'],
      ['activity', 'activity'],
      ['correlation', 'correlation_id'],
      ['actor_id', 'actor_id'],
      ['target_id', 'target_id'],
    ];
    for (const [name, column] of auditIndexes) {
      await db.schema
        .createIndex(`audit_events_${name}_idx`)
        .on('audit_events')
        .column(column)
        .execute();
    }
    // The `user` filter compares UPNs case-insensitively.
    for (const column of ['actor_upn', 'target_upn']) {
      await db.schema
        .createIndex(`audit_events_${column}_idx`)
        .on('audit_events')
        .expression(sql`lower(${sql.ref(column)})`)
        .execute();
    }

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
});
