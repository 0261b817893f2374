import { sql, type Kysely } from 'kysely';
import { SsprError } from '../../domain/errors/sspr-error.js';
import type { Group } from '../../domain/model/user.js';
import type { GroupRepository } from '../../domain/ports/store.js';
import type { Database } from './database.js';

export function createGroupRepository(db: Kysely<Database>): GroupRepository {
  return {
    async create(group, now): Promise<Group> {
      const created: Group = {
        id: group.id,
        displayName: group.displayName,
        externalId: null,
        directoryDn: null,
        createdAt: now,
      };
      const result = await db
        .insertInto('groups')
        .values(created)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (result.numInsertedOrUpdatedRows !== 1n) {
        throw new SsprError('CONFLICT', { details: { groupId: group.id } });
      }
      return created;
    },

    async findById(id) {
      const row = await db
        .selectFrom('groups')
        .select(['id', 'displayName', 'externalId', 'directoryDn', 'createdAt'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row ?? null;
    },

    async addMember(groupId, memberId, memberType) {
      await db
        .insertInto('groupMembers')
        .values({ groupId, memberId, memberType })
        .onConflict((oc) => oc.columns(['groupId', 'memberId']).doUpdateSet({ memberType }))
        .execute();
    },

    async removeMember(groupId, memberId) {
      await db
        .deleteFrom('groupMembers')
        .where('groupId', '=', groupId)
        .where('memberId', '=', memberId)
        .execute();
    },

    async isMemberTransitive(groupId, userId) {
      // Walk down from the group through nested groups; UNION (not UNION ALL) drops groups already
      // seen, so a cycle ends the recursion.
      const result = await sql<{ found: number }>`
        with recursive tree(group_id) as (
          select cast(${groupId} as text)
          union
          select m.member_id from group_members m
            join tree t on m.group_id = t.group_id
            where m.member_type = 'group'
        )
        select 1 as found from group_members m
          join tree t on m.group_id = t.group_id
          where m.member_type = 'user' and m.member_id = ${userId}
          limit 1`.execute(db);
      return result.rows.length > 0;
    },
  };
}
