import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { ServerDeps } from '../app.js';
import { contextOf } from '../request-context.js';
import {
  challenge,
  getFlow,
  resetPassword,
  startReset,
  unlockAccount,
  verify,
} from '../../services/reset-flow-service.js';
import { checkPassword } from '../../services/password-service.js';
import { getPolicy } from '../../services/policy-service.js';
import { answersSchema, flowIdParams, limits, methodBody, passwordSchema } from './schemas.js';

const verifyBody = z.discriminatedUnion('method', [
  z
    .object({ method: z.enum(['totp', 'email']), code: z.string().min(1).max(limits.code) })
    .strict(),
  z.object({ method: z.literal('securityQuestions'), answers: answersSchema }).strict(),
]);

/** Anonymous self-service routes (contract.md § Self-service). Flow ids are the capability. */
export function ssprRoutes(
  deps: ServerDeps,
  ipLimit: (request: FastifyRequest) => Promise<void>,
): FastifyPluginAsyncZod {
  const s = deps.services;
  return async (app) => {
    app.addHook('preHandler', ipLimit);

    app.get(
      '/sspr/captcha',
      { schema: { tags: ['self-service'], summary: 'A proof-of-work CAPTCHA challenge (ALTCHA)' } },
      async () => {
        return s.captcha.createChallenge();
      },
    );

    app.get(
      '/sspr/settings',
      {
        schema: {
          tags: ['self-service'],
          summary:
            'What the portal shows everyone: organisation name and the helpdesk link (email or URL)',
        },
      },
      async () => {
        const policy = await getPolicy(s.store);
        return {
          organizationName: s.settings.organizationName,
          helpdeskLink: policy.customization.helpdeskLink,
        };
      },
    );

    app.post(
      '/sspr/flows',
      {
        schema: {
          tags: ['self-service'],
          summary: 'Start a password reset: user id (+ CAPTCHA) → the gates to pass',
          body: z
            .object({
              userId: z.string().trim().min(1).max(limits.userId),
              captcha: z.string().max(limits.captcha).optional(),
            })
            .strict(),
        },
      },
      async (request, reply) => {
        const view = await startReset(s, contextOf(request), request.body);
        return reply.code(201).send(view);
      },
    );

    app.get(
      '/sspr/flows/:flowId',
      { schema: { tags: ['self-service'], params: flowIdParams } },
      async (request) => getFlow(s, request.params.flowId),
    );

    app.post(
      '/sspr/flows/:flowId/challenge',
      {
        schema: {
          tags: ['self-service'],
          summary: 'Send a code (email) or fetch the security questions',
          params: flowIdParams,
          body: methodBody,
        },
      },
      async (request) =>
        challenge(s, contextOf(request), request.params.flowId, request.body.method),
    );

    app.post(
      '/sspr/flows/:flowId/verify',
      {
        schema: {
          tags: ['self-service'],
          summary: 'Pass a gate with a code or the answers',
          params: flowIdParams,
          body: verifyBody,
        },
      },
      async (request) => verify(s, contextOf(request), request.params.flowId, request.body),
    );

    app.post(
      '/sspr/flows/:flowId/reset',
      {
        schema: {
          tags: ['self-service'],
          summary: 'Set the new password (after enough gates); also unlocks',
          params: flowIdParams,
          body: z.object({ newPassword: passwordSchema }).strict(),
        },
      },
      async (request) =>
        resetPassword(s, contextOf(request), request.params.flowId, request.body.newPassword),
    );

    app.post(
      '/sspr/flows/:flowId/unlock',
      {
        schema: {
          tags: ['self-service'],
          summary: 'Unlock only, when the policy allows it',
          params: flowIdParams,
        },
      },
      async (request) => unlockAccount(s, contextOf(request), request.params.flowId),
    );

    app.post(
      '/password/check',
      {
        schema: {
          tags: ['self-service'],
          summary: 'Which rules of the effective password policy the password passes',
          body: z
            .object({
              password: z.string().max(limits.passwordWire),
              userId: z.string().max(limits.userId).optional(),
              flowId: z.string().max(limits.flowId).optional(),
            })
            .strict(),
        },
      },
      async (request) => checkPassword(s, request.body),
    );
  };
}
