import type { SsprPolicy } from '../domain/model/sspr-policy.js';
import type { User } from '../domain/model/user.js';
import type { ServiceDeps } from './deps.js';
import { administratorIds } from './admin-roles.js';
import { usableMethods } from './user-facts.js';

/** The address notifications go to: the registered email, else the pre-populated one. */
export async function notificationAddress(
  deps: ServiceDeps,
  user: User,
  policy: SsprPolicy,
): Promise<string | null> {
  const methods = await deps.store.methods.listByUser(user.id);
  return (
    usableMethods(user, methods, policy).find((m) => m.method === 'email')?.address ?? user.email
  );
}

/**
 * After a reset: tell the user (when the policy says so) and, when an admin reset their own
 * password, every other admin (Entra's two notification settings). Delivery failures are logged,
 * never turned into a failed reset: the password has already changed.
 */
export async function notifyPasswordReset(
  deps: ServiceDeps,
  user: User,
  policy: SsprPolicy,
  isAdmin: boolean,
): Promise<void> {
  const org = deps.settings.organizationName;
  const sends: Promise<void>[] = [];
  if (policy.notifications.notifyUserOnReset) {
    const to = await notificationAddress(deps, user, policy);
    if (to !== null) {
      sends.push(
        deps.mailer.send({
          to,
          subject: `${org}: your password was reset`,
          text:
            `The password of ${user.userPrincipalName} was reset through self-service password reset ` +
            `at ${deps.clock.now().toISOString()}.\n\nIf this was not you, contact your helpdesk at once.\n`,
        }),
      );
    }
  }
  if (isAdmin && policy.notifications.notifyAdminsOnAdminReset) {
    for (const adminId of await administratorIds(deps.store)) {
      if (adminId === user.id) continue;
      const admin = await deps.store.users.findById(adminId);
      const to = admin ? await notificationAddress(deps, admin, policy) : null;
      if (to === null) continue;
      sends.push(
        deps.mailer.send({
          to,
          subject: `${org}: an administrator reset their password`,
          text: `The administrator ${user.userPrincipalName} reset their own password through self-service password reset.\n`,
        }),
      );
    }
  }
  const results = await Promise.allSettled(sends);
  for (const r of results) {
    if (r.status === 'rejected')
      deps.log.warn({ userId: user.id }, 'password reset notification not delivered');
  }
}
