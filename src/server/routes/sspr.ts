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
import { authenticate } from '../../services/session-service.js';
import { readSessionToken } from './session-cookie.js';
import { getPolicy } from '../../services/policy-service.js';
import { decodeLogo, logoVersion } from '../../domain/model/branding.js';
import { fail } from '../../domain/errors/sspr-error.js';
import { answersSchema, flowIdParams, limits, methodBody, passwordSchema } from './schemas.js';

const verifyBody = z.discriminatedUnion('method', [
  z
    .object({
      method: z.enum(['totp', 'email', 'sms', 'voice', 'officePhone']),
      code: z.string().min(1).max(limits.code),
    })
    .strict(),
  z.object({ method: z.literal('securityQuestions'), answers: answersSchema }).strict(),
]);

const publicSettingsSchema = z.object({
  organizationName: z.string(),
  helpdeskLink: z.string().nullable(),
  accentColor: z.string().nullable().describe('"#rrggbb", or null for the default'),
  logoUrl: z
    .string()
    .nullable()
    .describe('/api/v1/sspr/branding/logo?v=<version> when a logo is set, else null'),
});

/** A sandboxed SVG: no script, no external fetch, inline styles only. */
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

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
            'What the portal shows everyone: organisation name, helpdesk link (email or URL), accent colour and logo',
          response: { 200: publicSettingsSchema },
        },
      },
      async () => {
        const { customization } = await getPolicy(s.store);
        return {
          organizationName: customization.organizationName ?? s.settings.organizationName,
          helpdeskLink: customization.helpdeskLink,
          accentColor: customization.accentColor,
          logoUrl:
            customization.logo === null
              ? null
              : `/api/v1/sspr/branding/logo?v=${logoVersion(customization.logo)}`,
        };
      },
    );

    app.get(
      '/sspr/branding/logo',
      {
        schema: {
          tags: ['self-service'],
          summary: 'The organisation logo (image bytes); 404 SSPR_1004 when none is set',
          description:
            'Link it with the `logoUrl` of GET /sspr/settings: with the current `v` the answer may be cached for a year.',
          querystring: z.object({ v: z.string().max(64).optional() }).strict(),
        },
        // Runs after the global security headers (which forbid caching under /api/): a logo may be
        // cached for good when asked for by its version, and an SVG is sandboxed.
        onSend: async (request, reply) => {
          const type = reply.getHeader('content-type');
          if (typeof type !== 'string' || !type.startsWith('image/')) return;
          const etag = reply.getHeader('etag');
          const current = request.query.v !== undefined && etag === `"${request.query.v}"`;
          reply.header(
            'cache-control',
            current ? 'public, max-age=31536000, immutable' : 'no-cache',
          );
          if (type === 'image/svg+xml') reply.header('content-security-policy', SVG_CSP);
        },
      },
      async (_request, reply) => {
        const { logo } = (await getPolicy(s.store)).customization;
        const image = logo === null ? null : decodeLogo(logo);
        if (logo === null || image === null) fail('ROUTE_NOT_FOUND');
        const version = logoVersion(logo);
        return reply
          .header('content-type', image.contentType)
          .header('x-content-type-options', 'nosniff')
          .header('etag', `"${version}"`)
          .send(image.bytes);
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
      async (request) => {
        // A signed-in user (changing their password) gets their own effective policy; the
        // user id alone never selects a policy (that would reveal accounts and their PSOs).
        const token = readSessionToken(request);
        const signedIn =
          token === undefined
            ? undefined
            : await authenticate(s, token).then(
                (a) => a.user,
                () => undefined,
              );
        return checkPassword(s, request.body, signedIn);
      },
    );
  };
}
