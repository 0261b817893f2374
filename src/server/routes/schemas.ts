import { z } from 'zod';
import { methodNameSchema } from '../../domain/model/sspr-policy.js';

/** Size limits shared by routes: every string a client sends has a maximum. */
export const limits = {
  userId: 256,
  /** Passwords longer than 256 are refused by the policy (SSPR_4003); the wire accepts up to 1024. */
  passwordWire: 1024,
  code: 32,
  flowId: 128,
  captcha: 8192,
  answer: 200,
} as const;

export const flowIdParams = z.object({
  flowId: z
    .string()
    .min(16)
    .max(limits.flowId)
    .regex(/^[A-Za-z0-9_-]+$/, 'not a flow id'),
});

export const idParams = z.object({ id: z.string().min(1).max(200) });

export const methodBody = z.object({ method: methodNameSchema }).strict();

export const codeBody = z.object({ code: z.string().min(1).max(limits.code) }).strict();

export const answersSchema = z
  .array(
    z
      .object({
        questionId: z.string().min(1).max(60),
        answer: z.string().max(limits.answer),
      })
      .strict(),
  )
  .min(1)
  .max(5);

export const passwordSchema = z.string().min(1).max(limits.passwordWire);
