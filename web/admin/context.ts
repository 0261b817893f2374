/** What every admin-center view gets: the strings, the signed-in admin and what their roles allow. */
import type { Messages } from './i18n.js';

export type AdminRole =
  | 'globalAdministrator'
  | 'passwordAdministrator'
  | 'helpdeskAdministrator'
  | 'hybridIdentityAdministrator'
  | 'userAdministrator'
  | 'reportsReader';

/** Every admin role, in the order the admin center lists them. */
export const ADMIN_ROLES: readonly AdminRole[] = [
  'globalAdministrator',
  'passwordAdministrator',
  'helpdeskAdministrator',
  'hybridIdentityAdministrator',
  'userAdministrator',
  'reportsReader',
];

/** GET /auth/session (the parts the admin center uses). */
export interface SessionInfo {
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly secondFactorRequired: boolean;
  readonly secondFactorMethods: readonly { readonly method: string; readonly hint: string }[];
  readonly roles: readonly string[];
}

/** Mirrors the server's write checks (src/server/routes/admin.ts); the API enforces them anyway. */
const writers: Record<'policy' | 'users' | 'sync', readonly AdminRole[]> = {
  policy: ['globalAdministrator', 'passwordAdministrator'],
  users: ['globalAdministrator', 'userAdministrator'],
  sync: ['globalAdministrator', 'hybridIdentityAdministrator'],
};

export interface AdminContext {
  readonly t: Messages;
  readonly lang: string;
  readonly session: SessionInfo;
  can(action: keyof typeof writers): boolean;
}

export function createContext(t: Messages, lang: string, session: SessionInfo): AdminContext {
  return {
    t,
    lang,
    session,
    can: (action) => session.roles.some((r) => (writers[action] as readonly string[]).includes(r)),
  };
}

/** A group whose members hold an admin role (policy `administrators.roleGroups`). */
export interface RoleGroup {
  readonly role: AdminRole;
  readonly groupId: string;
}

/** The SSPR policy document (contract.md § Data shapes; customization per the branding spec). */
export interface Policy {
  readonly enabledFor: 'none' | 'selected' | 'all';
  readonly selectedGroupId: string | null;
  readonly methodsRequired: 1 | 2;
  readonly methods: Readonly<Record<string, boolean>>;
  readonly securityQuestions: {
    readonly toRegister: number;
    readonly toReset: number;
    readonly custom: readonly { readonly id: string; readonly text: string }[];
  };
  readonly registration: { readonly requireOnSignIn: boolean; readonly reconfirmDays: number };
  readonly notifications: {
    readonly notifyUserOnReset: boolean;
    readonly notifyAdminsOnAdminReset: boolean;
  };
  readonly customization: {
    readonly helpdeskLink: string | null;
    readonly organizationName?: string | null;
    readonly accentColor?: string | null;
    readonly logo?: string | null;
  };
  readonly onPremises: { readonly writeback: boolean; readonly allowUnlockWithoutReset: boolean };
  readonly administrators: {
    readonly allowedToUseSspr: boolean;
    /** Groups whose members (nested too) hold a role; PATCH replaces the whole array. */
    readonly roleGroups: readonly RoleGroup[];
  };
}

/** Method names in the policy, in the order the admin center lists them. */
export const METHOD_NAMES = [
  'totp',
  'appNotification',
  'email',
  'sms',
  'voice',
  'officePhone',
  'securityQuestions',
  'passkey',
] as const;
