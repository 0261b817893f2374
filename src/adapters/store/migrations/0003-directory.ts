import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../database.js';

/**
 * 0003_directory: the server's copy of the on-premises directory (product.md P2). Directory users
 * and groups are rows of `users` / `groups` with an `external_id` (objectGUID / entryUUID);
 * `directory_group_members` remembers the member DNs each directory group declares, so members
 * that arrive after their group (a later page, a nested group) are still resolved.
 * Released migrations never change; add a new file instead.
 */
export const directory = (_dialect: SqlDialect): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // SQLite adds one column per ALTER TABLE.
    for (const column of [
      'external_id',
      'directory_dn',
      'directory_dn_key',
      'account_name',
      'directory_state',
      'last_synced_at',
    ]) {
      await db.schema.alterTable('users').addColumn(column, 'text').execute();
    }
    // NULLs do not collide in a unique index (both dialects): cloud users have none.
    await db.schema
      .createIndex('users_external_id_key')
      .unique()
      .on('users')
      .column('external_id')
      .execute();
    await db.schema
      .createIndex('users_directory_dn_key_idx')
      .on('users')
      .column('directory_dn_key')
      .execute();
    await db.schema
      .createIndex('users_source_synced_idx')
      .on('users')
      .columns(['source', 'last_synced_at'])
      .execute();

    for (const column of ['external_id', 'directory_dn', 'directory_dn_key', 'last_synced_at']) {
      await db.schema.alterTable('groups').addColumn(column, 'text').execute();
    }
    await db.schema
      .createIndex('groups_external_id_key')
      .unique()
      .on('groups')
      .column('external_id')
      .execute();
    await db.schema
      .createIndex('groups_directory_dn_key_idx')
      .on('groups')
      .column('directory_dn_key')
      .execute();

    await db.schema
      .createTable('directory_group_members')
      .addColumn('group_id', 'text', (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addColumn('member_dn_key', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('directory_group_members_pkey', ['group_id', 'member_dn_key'])
      .execute();
    await db.schema
      .createIndex('directory_group_members_dn_idx')
      .on('directory_group_members')
      .column('member_dn_key')
      .execute();

    await db.schema
      .createTable('directory_sync_state')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('cookie', 'text')
      .addColumn('last_full_at', 'text')
      .addColumn('last_delta_at', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
});
