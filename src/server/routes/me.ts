import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerDeps } from '../app.js';
import { contextOf } from '../request-context.js';
import { authenticate } from '../../services/session-service.js';
import {
  confirmMethods,
  listMethods,
  registerSecurityQuestions,
  removeMethod,
  startEmail,
  startPhone,
  startTotp,
  verifyEmailRegistration,
  verifyPhoneRegistration,
  verifyTotpRegistration,
} from '../../services/method-registration.js';
import { availableQuestions } from '../../services/questions.js';
import { changePassword } from '../../services/password-service.js';
import { registrationStatus } from '../../services/registration-status.js';
import { fail } from '../../domain/errors/sspr-error.js';
import { answersSchema, codeBody, idParams, passwordSchema } from './schemas.js';
import { readSessionToken } from './session-cookie.js';

/** The signed-in user's security info and password change (contract.md § Signed-in user). */
export function meRoutes(deps: ServerDeps): FastifyPluginAsyncZod {
  const s = deps.services;
  return async (app) => {
    const auth = (request: Parameters<typeof readSessionToken>[0]) =>
      authenticate(s, readSessionToken(request));
    const tags = ['security info'];

    app.get(
      '/me/methods',
      { schema: { tags, summary: 'Registered methods (no secrets)' } },
      async (request) => {
        const a = await auth(request);
        return {
          methods: await listMethods(s, a),
          registration: await registrationStatus(s, a.user),
        };
      },
    );

    app.get(
      '/me/methods/securityQuestions/questions',
      { schema: { tags, summary: 'Questions that can be registered' } },
      async (request) => {
        await auth(request);
        return availableQuestions(s);
      },
    );

    app.post(
      '/me/methods/totp',
      { schema: { tags, summary: 'Start registering an authenticator app' } },
      async (request, reply) => {
        return reply.code(201).send(await startTotp(s, await auth(request)));
      },
    );

    app.post(
      '/me/methods/totp/verify',
      { schema: { tags, summary: 'Confirm the authenticator with a code', body: codeBody } },
      async (request) =>
        verifyTotpRegistration(s, contextOf(request), await auth(request), request.body.code),
    );

    app.post(
      '/me/methods/email',
      {
        schema: {
          tags,
          summary: 'Start registering an email address (sends a code)',
          body: z.object({ email: z.string().min(3).max(254) }).strict(),
        },
      },
      async (request, reply) =>
        reply.code(201).send(await startEmail(s, await auth(request), request.body.email)),
    );

    app.post(
      '/me/methods/email/verify',
      { schema: { tags, summary: 'Confirm the email address with the code', body: codeBody } },
      async (request) =>
        verifyEmailRegistration(s, contextOf(request), await auth(request), request.body.code),
    );

    app.post(
      '/me/methods/securityQuestions',
      {
        schema: {
          tags,
          summary: 'Register security questions and answers',
          body: z.object({ answers: answersSchema }).strict(),
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(
            await registerSecurityQuestions(
              s,
              contextOf(request),
              await auth(request),
              request.body.answers,
            ),
          ),
    );

    app.post(
      '/me/methods/phone',
      {
        schema: {
          tags,
          summary:
            'Start registering a phone: mobile (code by text message) or office (code by voice call). SSPR_3506 when no SMS / voice provider is configured',
          body: z
            .object({
              type: z.enum(['mobile', 'office']),
              phoneNumber: z.string().min(1).max(64),
            })
            .strict(),
        },
      },
      async (request, reply) =>
        reply.code(201).send(await startPhone(s, await auth(request), request.body)),
    );

    app.post(
      '/me/methods/phone/verify',
      {
        schema: {
          tags,
          summary:
            'Confirm the phone with the code: mobile → methods sms and voice, office → officePhone',
          body: codeBody,
        },
      },
      async (request) =>
        verifyPhoneRegistration(s, contextOf(request), await auth(request), request.body.code),
    );

    app.post(
      '/me/methods/passkey',
      { schema: { tags, summary: 'Register a passkey (not available yet: SSPR_3506)' } },
      async (request) => {
        await auth(request);
        return fail('METHOD_NOT_SUPPORTED', { details: { method: 'passkey' } });
      },
    );

    app.post(
      '/me/methods/confirm',
      {
        schema: {
          tags,
          summary: 'Confirm the registered methods are still right (re-confirmation)',
        },
      },
      async (request) => {
        const a = await auth(request);
        await confirmMethods(s, contextOf(request), a);
        return { registration: await registrationStatus(s, a.user) };
      },
    );

    app.delete(
      '/me/methods/:id',
      { schema: { tags, summary: 'Remove a method', params: idParams } },
      async (request, reply) => {
        await removeMethod(s, contextOf(request), await auth(request), request.params.id);
        return reply.code(204).send();
      },
    );

    app.post(
      '/me/password',
      {
        schema: {
          tags,
          summary: 'Change the password (current + new)',
          body: z.object({ currentPassword: passwordSchema, newPassword: passwordSchema }).strict(),
        },
      },
      async (request) => changePassword(s, contextOf(request), await auth(request), request.body),
    );
  };
}
