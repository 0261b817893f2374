import { sql, type Kysely } from 'kysely';
import type { DirectoryState } from '../../domain/model/user.js';
import type { DirectoryUser } from '../../domain/ports/directory.js';
import type {
  DirectorySyncRepository,
  SkippedUser,
  SyncState,
} from '../../domain/ports/directory-sync-store.js';
import { toNumber, type Database } from './database.js';
import { directoryDnKey } from './directory-dn.js';
import { toUser } from './user.repository.js';

/** Values per IN list and rows per multi-row INSERT: far below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;
const STATE_ID = 'default';

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The last of each externalId wins (a page may carry an object twice). */
function lastByExternalId<T extends { readonly externalId: string }>(items: readonly T[]): T[] {
  return [...new Map(items.map((item) => [item.externalId, item])).values()];
}

const stateJson = (user: DirectoryUser): string => {
  const state: DirectoryState = {
    locked: user.state.locked,
    expired: user.state.expired,
    mustChange: user.state.mustChange,
    protected: user.state.protected,
    passwordLastSet: user.state.passwordLastSet,
  };
  return JSON.stringify(state);
};

/** Entra shows a user without a display name by its name parts, else its account name. */
function displayNameOf(user: DirectoryUser): string {
  if (user.displayName !== null && user.displayName.trim() !== '') return user.displayName;
  const parts = [user.givenName, user.surname].filter((p) => p !== null && p.trim() !== '');
  if (parts.length > 0) return parts.join(' ');
  return user.accountName !== '' ? user.accountName : user.userPrincipalName;
}

/** The columns a sync writes for one directory user. */
function userColumns(user: DirectoryUser, prepopulateContacts: boolean) {
  return {
    upn: user.userPrincipalName.toLowerCase(),
    displayName: displayNameOf(user),
    givenName: user.givenName,
    surname: user.surname,
    accountEnabled: !user.state.disabled,
    directoryDn: user.dn,
    directoryDnKey: directoryDnKey(user.dn),
    accountName: user.accountName,
    directoryState: stateJson(user),
    ...(prepopulateContacts
      ? { email: user.mail, mobilePhone: user.mobile, officePhone: user.telephoneNumber }
      : {}),
  };
}
type UserColumns = ReturnType<typeof userColumns>;

interface ExistingUser {
  id: string;
  externalId: string | null;
  upn: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  accountEnabled: number | boolean;
  directoryDn: string | null;
  directoryDnKey: string | null;
  accountName: string | null;
  directoryState: string | null;
  email: string | null;
  mobilePhone: string | null;
  officePhone: string | null;
}

function userChanged(row: ExistingUser, next: UserColumns): boolean {
  const contactsChanged =
    'email' in next &&
    (row.email !== next.email ||
      row.mobilePhone !== next.mobilePhone ||
      row.officePhone !== next.officePhone);
  return (
    contactsChanged ||
    row.upn !== next.upn ||
    row.displayName !== next.displayName ||
    row.givenName !== next.givenName ||
    row.surname !== next.surname ||
    Boolean(row.accountEnabled) !== next.accountEnabled ||
    row.directoryDn !== next.directoryDn ||
    row.directoryDnKey !== next.directoryDnKey ||
    row.accountName !== next.accountName ||
    row.directoryState !== next.directoryState
  );
}

export function createDirectorySyncRepository(db: Kysely<Database>): DirectorySyncRepository {
  async function touchUsers(ids: readonly string[], now: string): Promise<void> {
    for (const part of chunks(ids)) {
      await db.updateTable('users').set({ lastSyncedAt: now }).where('id', 'in', part).execute();
    }
  }

  async function insertEdges(
    rows: readonly { groupId: string; memberId: string; memberType: 'user' | 'group' }[],
  ): Promise<void> {
    for (const part of chunks(rows, 300)) {
      await db
        .insertInto('groupMembers')
        .values(part)
        .onConflict((oc) => oc.columns(['groupId', 'memberId']).doNothing())
        .execute();
    }
  }

  /** Ids of directory groups by normalised DN. */
  async function groupIdsByDnKey(keys: readonly string[]): Promise<Map<string, string[]>> {
    const byKey = new Map<string, string[]>();
    for (const part of chunks([...new Set(keys)])) {
      const rows = await db
        .selectFrom('groups')
        .select(['id', 'directoryDnKey'])
        .where('externalId', 'is not', null)
        .where('directoryDnKey', 'in', part)
        .execute();
      for (const row of rows) {
        if (row.directoryDnKey === null) continue;
        byKey.set(row.directoryDnKey, [...(byKey.get(row.directoryDnKey) ?? []), row.id]);
      }
    }
    return byKey;
  }

  /**
   * Adds the memberships of these users in directory groups: their memberOf, plus the groups
   * whose declared member DNs name them (a group synced before the user). Nothing is removed
   * here: leaving a group changes the group, which the sync sends and upsertGroups replaces; and
   * a moved user whose groups were not sent again (AD keeps links by object, not by DN) keeps them.
   */
  async function addUserMemberships(
    users: readonly { id: string; dnKey: string; memberOf: readonly string[] }[],
  ): Promise<void> {
    if (users.length === 0) return;
    const groupsByKey = await groupIdsByDnKey(users.flatMap((u) => u.memberOf.map(directoryDnKey)));
    const edges = new Map<string, { groupId: string; memberId: string; memberType: 'user' }>();
    const add = (groupId: string, memberId: string) => {
      edges.set(`${groupId}\u0000${memberId}`, { groupId, memberId, memberType: 'user' });
    };
    for (const user of users) {
      for (const dn of user.memberOf) {
        for (const groupId of groupsByKey.get(directoryDnKey(dn)) ?? []) add(groupId, user.id);
      }
    }
    const usersByKey = new Map<string, string[]>();
    for (const user of users)
      usersByKey.set(user.dnKey, [...(usersByKey.get(user.dnKey) ?? []), user.id]);
    for (const part of chunks([...usersByKey.keys()])) {
      const declared = await db
        .selectFrom('directoryGroupMembers')
        .select(['groupId', 'memberDnKey'])
        .where('memberDnKey', 'in', part)
        .execute();
      for (const row of declared) {
        for (const userId of usersByKey.get(row.memberDnKey) ?? []) add(row.groupId, userId);
      }
    }
    await insertEdges([...edges.values()]);
  }

  return {
    async upsertUsers(input, now, options) {
      const skipped: SkippedUser[] = [];
      const candidates: DirectoryUser[] = [];
      for (const user of lastByExternalId(input)) {
        const base = {
          externalId: user.externalId,
          userPrincipalName: user.userPrincipalName,
          dn: user.dn,
        };
        if (user.state.criticalSystemObject) {
          skipped.push({ ...base, reason: 'criticalSystemObject' });
        } else if (user.userPrincipalName.trim() === '' || user.externalId.trim() === '') {
          skipped.push({ ...base, reason: 'invalid' });
        } else {
          candidates.push(user);
        }
      }

      const existing = new Map<string, ExistingUser>();
      for (const part of chunks(candidates.map((u) => u.externalId))) {
        const rows = await db
          .selectFrom('users')
          .select([
            'id',
            'externalId',
            'upn',
            'displayName',
            'givenName',
            'surname',
            'accountEnabled',
            'directoryDn',
            'directoryDnKey',
            'accountName',
            'directoryState',
            'email',
            'mobilePhone',
            'officePhone',
          ])
          .where('externalId', 'in', part)
          .execute();
        for (const row of rows) if (row.externalId !== null) existing.set(row.externalId, row);
      }
      // Who holds each UPN now; kept current as this batch renames and inserts.
      const upnHolder = new Map<string, { id: string; source: 'cloud' | 'directory' }>();
      const upns = candidates.map((u) => u.userPrincipalName.toLowerCase());
      for (const part of chunks([...new Set(upns)])) {
        const rows = await db
          .selectFrom('users')
          .select(['id', 'upn', 'source'])
          .where('upn', 'in', part)
          .execute();
        for (const row of rows) {
          upnHolder.set(row.upn, {
            id: row.id,
            source: row.source === 'directory' ? 'directory' : 'cloud',
          });
        }
      }

      let added = 0;
      let updated = 0;
      let unchanged = 0;
      const touched: string[] = [];
      const memberships: { id: string; dnKey: string; memberOf: readonly string[] }[] = [];
      // Updates first, so a UPN freed by a rename in this batch can be taken by a new user.
      const updates = candidates.filter((u) => existing.has(u.externalId));
      const inserts = candidates.filter((u) => !existing.has(u.externalId));
      for (const user of updates) {
        const row = existing.get(user.externalId);
        if (row === undefined) continue;
        const next = userColumns(user, options.prepopulateContacts);
        const holder = upnHolder.get(next.upn);
        if (holder !== undefined && holder.id !== row.id) {
          // The user keeps its row (and old UPN); seen, so a full sync does not delete it.
          skipped.push({
            externalId: user.externalId,
            userPrincipalName: next.upn,
            dn: user.dn,
            reason: 'upnConflict',
            conflictWith: holder,
          });
          touched.push(row.id);
          continue;
        }
        if (userChanged(row, next)) {
          await db
            .updateTable('users')
            .set({
              ...next,
              accountEnabled: next.accountEnabled ? 1 : 0,
              source: 'directory',
              lastSyncedAt: now,
              updatedAt: now,
            })
            .where('id', '=', row.id)
            .execute();
          if (row.upn !== next.upn) {
            upnHolder.delete(row.upn);
            upnHolder.set(next.upn, { id: row.id, source: 'directory' });
          }
          updated += 1;
        } else {
          touched.push(row.id);
          unchanged += 1;
        }
        memberships.push({ id: row.id, dnKey: next.directoryDnKey, memberOf: user.memberOf });
      }
      for (const user of inserts) {
        const next = userColumns(user, options.prepopulateContacts);
        const holder = upnHolder.get(next.upn);
        if (holder !== undefined) {
          skipped.push({
            externalId: user.externalId,
            userPrincipalName: next.upn,
            dn: user.dn,
            reason: 'upnConflict',
            conflictWith: holder,
          });
          continue;
        }
        const id = options.newId();
        await db
          .insertInto('users')
          .values({
            id,
            email: null,
            mobilePhone: null,
            officePhone: null,
            ...next,
            accountEnabled: next.accountEnabled ? 1 : 0,
            source: 'directory',
            passwordHash: null,
            passwordChangedAt: null,
            externalId: user.externalId,
            lastSyncedAt: now,
            createdAt: now,
            updatedAt: now,
          })
          .execute();
        upnHolder.set(next.upn, { id, source: 'directory' });
        added += 1;
        memberships.push({ id, dnKey: next.directoryDnKey, memberOf: user.memberOf });
      }
      await touchUsers(touched, now);
      await addUserMemberships(memberships);
      return { added, updated, unchanged, skipped };
    },

    async upsertGroups(input, now, options) {
      const groups = lastByExternalId(input).filter((g) => g.externalId.trim() !== '');
      const existing = new Map<
        string,
        { id: string; displayName: string; directoryDn: string | null }
      >();
      for (const part of chunks(groups.map((g) => g.externalId))) {
        const rows = await db
          .selectFrom('groups')
          .select(['id', 'externalId', 'displayName', 'directoryDn'])
          .where('externalId', 'in', part)
          .execute();
        for (const row of rows) if (row.externalId !== null) existing.set(row.externalId, row);
      }
      const declaredBefore = new Map<string, Set<string>>();
      for (const part of chunks([...existing.values()].map((g) => g.id))) {
        const rows = await db
          .selectFrom('directoryGroupMembers')
          .select(['groupId', 'memberDnKey'])
          .where('groupId', 'in', part)
          .execute();
        for (const row of rows) {
          const set = declaredBefore.get(row.groupId) ?? new Set<string>();
          set.add(row.memberDnKey);
          declaredBefore.set(row.groupId, set);
        }
      }

      let added = 0;
      let updated = 0;
      const touched: string[] = [];
      const stored: { id: string; members: Set<string> }[] = [];
      for (const group of groups) {
        const members = new Set(group.members.map(directoryDnKey));
        const row = existing.get(group.externalId);
        const columns = {
          displayName: group.displayName,
          directoryDn: group.dn,
          directoryDnKey: directoryDnKey(group.dn),
        };
        if (row === undefined) {
          const id = options.newId();
          await db
            .insertInto('groups')
            .values({
              id,
              ...columns,
              externalId: group.externalId,
              lastSyncedAt: now,
              createdAt: now,
            })
            .execute();
          added += 1;
          stored.push({ id, members });
          continue;
        }
        const before = declaredBefore.get(row.id) ?? new Set<string>();
        const sameMembers =
          before.size === members.size && [...members].every((m) => before.has(m));
        if (row.displayName !== group.displayName || row.directoryDn !== group.dn || !sameMembers) {
          await db
            .updateTable('groups')
            .set({ ...columns, lastSyncedAt: now })
            .where('id', '=', row.id)
            .execute();
          updated += 1;
        } else {
          touched.push(row.id);
        }
        stored.push({ id: row.id, members });
      }
      for (const part of chunks(touched)) {
        await db.updateTable('groups').set({ lastSyncedAt: now }).where('id', 'in', part).execute();
      }

      const ids = stored.map((g) => g.id);
      for (const part of chunks(ids)) {
        await db.deleteFrom('directoryGroupMembers').where('groupId', 'in', part).execute();
        await db.deleteFrom('groupMembers').where('groupId', 'in', part).execute();
      }
      const declared = stored.flatMap((g) =>
        [...g.members].map((memberDnKey) => ({ groupId: g.id, memberDnKey })),
      );
      for (const part of chunks(declared, 400)) {
        await db.insertInto('directoryGroupMembers').values(part).execute();
      }
      for (const part of chunks(ids)) {
        // The members each group declares that are in the store now …
        await db
          .insertInto('groupMembers')
          .columns(['groupId', 'memberId', 'memberType'])
          .expression((eb) =>
            eb
              .selectFrom('directoryGroupMembers as d')
              .innerJoin('users as u', 'u.directoryDnKey', 'd.memberDnKey')
              .select(['d.groupId', 'u.id', sql.lit('user').as('memberType')])
              .where('d.groupId', 'in', part)
              .where('u.externalId', 'is not', null),
          )
          .onConflict((oc) => oc.columns(['groupId', 'memberId']).doNothing())
          .execute();
        await db
          .insertInto('groupMembers')
          .columns(['groupId', 'memberId', 'memberType'])
          .expression((eb) =>
            eb
              .selectFrom('directoryGroupMembers as d')
              .innerJoin('groups as g', 'g.directoryDnKey', 'd.memberDnKey')
              .select(['d.groupId', 'g.id', sql.lit('group').as('memberType')])
              .where('d.groupId', 'in', part)
              .where('g.externalId', 'is not', null)
              .whereRef('g.id', '!=', 'd.groupId'),
          )
          .onConflict((oc) => oc.columns(['groupId', 'memberId']).doNothing())
          .execute();
        // … and these groups as members of groups synced before them (nesting, any order).
        await db
          .insertInto('groupMembers')
          .columns(['groupId', 'memberId', 'memberType'])
          .expression((eb) =>
            eb
              .selectFrom('directoryGroupMembers as d')
              .innerJoin('groups as g', 'g.directoryDnKey', 'd.memberDnKey')
              .select(['d.groupId', 'g.id', sql.lit('group').as('memberType')])
              .where('g.id', 'in', part)
              .whereRef('g.id', '!=', 'd.groupId'),
          )
          .onConflict((oc) => oc.columns(['groupId', 'memberId']).doNothing())
          .execute();
      }
      return { added, updated, unchanged: stored.length - added - updated };
    },

    async deleteByExternalIds(externalIds) {
      let users = 0;
      let groups = 0;
      for (const part of chunks([...new Set(externalIds)])) {
        const userIds = (
          await db
            .selectFrom('users')
            .select('id')
            .where('source', '=', 'directory')
            .where('externalId', 'in', part)
            .execute()
        ).map((r) => r.id);
        if (userIds.length > 0) {
          await db
            .deleteFrom('groupMembers')
            .where('memberType', '=', 'user')
            .where('memberId', 'in', userIds)
            .execute();
          const result = await db.deleteFrom('users').where('id', 'in', userIds).executeTakeFirst();
          users += Number(result.numDeletedRows);
        }
        const groupIds = (
          await db.selectFrom('groups').select('id').where('externalId', 'in', part).execute()
        ).map((r) => r.id);
        if (groupIds.length > 0) {
          await db
            .deleteFrom('groupMembers')
            .where((eb) =>
              eb.or([
                eb('groupId', 'in', groupIds),
                eb.and([eb('memberType', '=', 'group'), eb('memberId', 'in', groupIds)]),
              ]),
            )
            .execute();
          await db.deleteFrom('directoryGroupMembers').where('groupId', 'in', groupIds).execute();
          const result = await db
            .deleteFrom('groups')
            .where('id', 'in', groupIds)
            .executeTakeFirst();
          groups += Number(result.numDeletedRows);
        }
      }
      return { users, groups };
    },

    async countByExternalIds(externalIds) {
      let users = 0;
      let groups = 0;
      for (const part of chunks([...new Set(externalIds)])) {
        const u = await db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('source', '=', 'directory')
          .where('externalId', 'in', part)
          .executeTakeFirstOrThrow();
        const g = await db
          .selectFrom('groups')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('externalId', 'in', part)
          .executeTakeFirstOrThrow();
        users += toNumber(u.n);
        groups += toNumber(g.n);
      }
      return { users, groups };
    },

    async notSeenSince(syncStartedAt) {
      const users = await db
        .selectFrom('users')
        .select('externalId')
        .where('source', '=', 'directory')
        .where('externalId', 'is not', null)
        .where((eb) =>
          eb.or([eb('lastSyncedAt', 'is', null), eb('lastSyncedAt', '<', syncStartedAt)]),
        )
        .orderBy('externalId')
        .execute();
      const groups = await db
        .selectFrom('groups')
        .select('externalId')
        .where('externalId', 'is not', null)
        .where((eb) =>
          eb.or([eb('lastSyncedAt', 'is', null), eb('lastSyncedAt', '<', syncStartedAt)]),
        )
        .orderBy('externalId')
        .execute();
      const ids = (rows: { externalId: string | null }[]) =>
        rows.flatMap((r) => (r.externalId === null ? [] : [r.externalId]));
      return { users: ids(users), groups: ids(groups) };
    },

    async findUserByExternalId(externalId) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('externalId', '=', externalId)
        .executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async findGroupByExternalId(externalId) {
      const row = await db
        .selectFrom('groups')
        .select(['id', 'displayName', 'externalId', 'directoryDn', 'createdAt'])
        .where('externalId', '=', externalId)
        .executeTakeFirst();
      return row ?? null;
    },

    async countObjects() {
      const u = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('source', '=', 'directory')
        .executeTakeFirstOrThrow();
      const g = await db
        .selectFrom('groups')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('externalId', 'is not', null)
        .executeTakeFirstOrThrow();
      return { users: toNumber(u.n), groups: toNumber(g.n) };
    },

    async getState(): Promise<SyncState> {
      const row = await db
        .selectFrom('directorySyncState')
        .select(['cookie', 'lastFullAt', 'lastDeltaAt'])
        .where('id', '=', STATE_ID)
        .executeTakeFirst();
      return row ?? { cookie: null, lastFullAt: null, lastDeltaAt: null };
    },

    async setState(state, now) {
      const values = {
        cookie: state.cookie,
        lastFullAt: state.lastFullAt,
        lastDeltaAt: state.lastDeltaAt,
        updatedAt: now,
      };
      await db
        .insertInto('directorySyncState')
        .values({ id: STATE_ID, ...values })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
    },
  };
}
