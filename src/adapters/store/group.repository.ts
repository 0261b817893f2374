import { sql, type Kysely } from 'kysely';
import { SsprError } from '../../domain/errors/sspr-error.js';
import type { Group } from '../../domain/model/user.js';
import type { GroupRepository, Page } from '../../domain/ports/store.js';
import {
  checkLimit,
  containsPattern,
  decodeCursor,
  encodeCursor,
  invalidCursor,
} from './paging.js';
import type { Database } from './database.js';

function groupCursorKey(text: string): [string, string] {
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    return invalidCursor();
  }
  if (!Array.isArray(key) || key.length !== 2 || !key.every((k) => typeof k === 'string'))
    return invalidCursor();
  return [key[0] as string, key[1] as string];
}

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

    async list({ search, cursor, limit }): Promise<Page<Group>> {
      checkLimit(limit);
      let query = db
        .selectFrom('groups')
        .select(['id', 'displayName', 'externalId', 'directoryDn', 'createdAt']);
      if (search !== undefined && search !== '') {
        const pattern = containsPattern(search.toLowerCase());
        query = query.where((eb) =>
          eb.or([
            eb(sql`lower(display_name)`, 'like', sql`${pattern} escape '\\'`),
            eb(sql`lower(coalesce(directory_dn, ''))`, 'like', sql`${pattern} escape '\\'`),
          ]),
        );
      }
      if (cursor !== undefined) {
        // Display names repeat: the key is (displayName, id).
        const [name, id] = groupCursorKey(decodeCursor('g', cursor));
        query = query.where((eb) =>
          eb.or([
            eb('displayName', '>', name),
            eb.and([eb('displayName', '=', name), eb('id', '>', id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy('displayName')
        .orderBy('id')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return {
        items,
        nextCursor:
          rows.length > limit && last
            ? encodeCursor('g', JSON.stringify([last.displayName, last.id]))
            : null,
      };
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

    async listGroupsOfUser(userId) {
      return db
        .selectFrom('groups')
        .innerJoin('groupMembers', 'groupMembers.groupId', 'groups.id')
        .select([
          'groups.id',
          'groups.displayName',
          'groups.externalId',
          'groups.directoryDn',
          'groups.createdAt',
        ])
        .where('groupMembers.memberId', '=', userId)
        .where('groupMembers.memberType', '=', 'user')
        .orderBy('groups.displayName')
        .orderBy('groups.id')
        .execute();
    },

    async listUserMembersTransitive(groupId) {
      const result = await sql<{ userId: string }>`
        with recursive tree(group_id) as (
          select cast(${groupId} as text)
          union
          select m.member_id from group_members m
            join tree t on m.group_id = t.group_id
            where m.member_type = 'group'
        )
        select distinct m.member_id as user_id from group_members m
          join tree t on m.group_id = t.group_id
          where m.member_type = 'user'
          order by m.member_id`.execute(db);
      return result.rows.map((r) => r.userId);
    },
  };
}
