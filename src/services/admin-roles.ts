import { adminRoles, type AdminRole } from '../domain/model/user.js';
import type { Store } from '../domain/ports/store.js';
import { getPolicy } from './policy-service.js';

/**
 * The admin roles a user holds: roles given to the account itself, plus the roles of the groups
 * the policy maps to roles (`administrators.roleGroups`; nested membership counts), in the order
 * of `adminRoles`.
 */
export async function effectiveRoles(store: Store, userId: string): Promise<AdminRole[]> {
  const held = new Set<AdminRole>(await store.users.rolesOf(userId));
  const { roleGroups } = (await getPolicy(store)).administrators;
  for (const { role, groupId } of roleGroups) {
    if (held.has(role)) continue;
    if (await store.groups.isMemberTransitive(groupId, userId)) held.add(role);
  }
  return adminRoles.filter((role) => held.has(role));
}

/** Every administrator's user id: accounts with a role, and members of the role groups. */
export async function administratorIds(store: Store): Promise<string[]> {
  const ids = new Set(await store.users.listAdminIds());
  for (const { groupId } of (await getPolicy(store)).administrators.roleGroups) {
    for (const id of await store.groups.listUserMembersTransitive(groupId)) ids.add(id);
  }
  return [...ids].sort();
}
