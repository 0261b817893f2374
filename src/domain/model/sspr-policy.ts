import { z } from 'zod';
import { accentColorPattern, checkLogoDataUrl, LOGO_MAX_DATA_URL_LENGTH } from './branding.js';
import { adminRoles } from './user.js';

/** Method names used in flows, /me/methods and the policy (contract.md). */
export const methodNames = [
  'totp',
  'email',
  'sms',
  'voice',
  'officePhone',
  'securityQuestions',
  'passkey',
  'appNotification',
] as const;
export const methodNameSchema = z.enum(methodNames);
export type MethodName = z.infer<typeof methodNameSchema>;

export const customQuestionSchema = z.object({
  id: z
    .string()
    .regex(
      /^custom-[a-z0-9-]{1,40}$/,
      'a custom question id looks like custom-<letters, digits, ->',
    ),
  text: z.string().trim().min(3).max(200),
});
export type CustomQuestion = z.infer<typeof customQuestionSchema>;

const bannedTerm = z
  .string()
  .trim()
  .min(4, 'a banned term has at least 4 characters')
  .max(16, 'a banned term has at most 16 characters');

/**
 * The SSPR policy document (admin center "Password reset", product.md P4), with Entra's defaults.
 * PATCH /admin/policy deep-merges into it and the result is validated by this schema.
 */
export const ssprPolicySchema = z
  .object({
    /** Tenant switch: false turns SSPR off for everyone, admins included (SSPR_0009). */
    enabled: z.boolean().default(true),
    enabledFor: z.enum(['none', 'selected', 'all']).default('none'),
    selectedGroupId: z.string().min(1).max(200).nullable().default(null),
    methodsRequired: z.union([z.literal(1), z.literal(2)]).default(1),
    methods: z
      .object({
        totp: z.boolean().default(true),
        email: z.boolean().default(true),
        sms: z.boolean().default(false),
        voice: z.boolean().default(false),
        officePhone: z.boolean().default(false),
        securityQuestions: z.boolean().default(false),
        passkey: z.boolean().default(false),
        appNotification: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    securityQuestions: z
      .object({
        toRegister: z.number().int().min(3).max(5).default(3),
        toReset: z.number().int().min(3).max(5).default(3),
        custom: z.array(customQuestionSchema).max(20).default([]),
      })
      .strict()
      .prefault({}),
    registration: z
      .object({
        requireOnSignIn: z.boolean().default(true),
        reconfirmDays: z.number().int().min(0).max(730).default(180),
      })
      .strict()
      .prefault({}),
    notifications: z
      .object({
        notifyUserOnReset: z.boolean().default(true),
        notifyAdminsOnAdminReset: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    customization: z
      .object({
        helpdeskLink: z
          .union([z.url({ protocol: /^https?$/ }), z.email()])
          .nullable()
          .default(null),
        /** Shown by the portal instead of config `organization.name` when set. */
        organizationName: z.string().trim().min(1).max(64).nullable().default(null),
        /** The portal's accent colour, "#rrggbb". */
        accentColor: z
          .string()
          .regex(accentColorPattern, 'the accent colour looks like #rrggbb')
          .nullable()
          .default(null),
        /** data:image/(png|jpeg|webp|svg+xml);base64,… at most 100 KiB decoded. */
        logo: z
          .string()
          .max(LOGO_MAX_DATA_URL_LENGTH, 'the logo is larger than 100 KiB')
          .superRefine((value, ctx) => {
            if (value.length > LOGO_MAX_DATA_URL_LENGTH) return; // reported by max() above
            const check = checkLogoDataUrl(value);
            if (!check.ok) ctx.addIssue({ code: 'custom', message: check.message });
          })
          .nullable()
          .default(null),
      })
      .strict()
      .prefault({}),
    onPremises: z
      .object({
        writeback: z.boolean().default(true),
        allowUnlockWithoutReset: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    administrators: z
      .object({
        allowedToUseSspr: z.boolean().default(true),
        /**
         * Groups whose members (nested membership counts) hold an admin role, like Entra's
         * role-assignable groups: directory groups synced by the agent, or cloud groups.
         */
        roleGroups: z
          .array(
            z
              .object({ role: z.enum(adminRoles), groupId: z.string().trim().min(1).max(200) })
              .strict(),
          )
          .max(50)
          .default([]),
      })
      .strict()
      .prefault({}),
    eligibility: z
      .object({
        /** Only members of this group (nested) may reset ("licensed users"); null = everyone. */
        groupId: z.string().min(1).max(200).nullable().default(null),
        /** Or an explicit list of user principal names; empty = no list. */
        userPrincipalNames: z.array(z.string().min(3).max(113)).max(100_000).default([]),
      })
      .strict()
      .prefault({}),
    bannedPasswords: z
      .object({
        enforceCustomList: z.boolean().default(false),
        customList: z.array(bannedTerm).max(1000).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (policy.enabledFor === 'selected' && policy.selectedGroupId === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['selectedGroupId'],
        message: 'enabledFor "selected" needs selectedGroupId',
      });
    }
    if (policy.securityQuestions.toRegister < policy.securityQuestions.toReset) {
      ctx.addIssue({
        code: 'custom',
        path: ['securityQuestions', 'toRegister'],
        message: 'the number to register must be at least the number asked at reset',
      });
    }
    const enabled = methodNames.filter((m) => policy.methods[m]).length;
    if (policy.enabledFor !== 'none' && enabled < policy.methodsRequired) {
      ctx.addIssue({
        code: 'custom',
        path: ['methods'],
        message: `methodsRequired is ${String(policy.methodsRequired)} but only ${String(enabled)} method(s) are enabled`,
      });
    }
    const ids = new Set<string>();
    policy.securityQuestions.custom.forEach((q, i) => {
      if (ids.has(q.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['securityQuestions', 'custom', i, 'id'],
          message: 'duplicate custom question id',
        });
      }
      ids.add(q.id);
    });
  });

export type SsprPolicy = z.infer<typeof ssprPolicySchema>;

export const defaultSsprPolicy = (): SsprPolicy => ssprPolicySchema.parse({});
