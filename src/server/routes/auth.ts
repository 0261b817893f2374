import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerDeps } from '../app.js';
import { contextOf } from '../request-context.js';
import {
  authenticate,
  sessionState,
  signIn,
  signInChallenge,
  signInVerify,
  signOut,
} from '../../services/session-service.js';
import { registrationStatus } from '../../services/registration-status.js';
import { limits, passwordSchema } from './schemas.js';
import { clearSessionCookie, readSessionToken, setSessionCookie } from './session-cookie.js';

/** Sign-in (password, then a second step when the user has code methods) and sign-out. */
export function authRoutes(
  deps: ServerDeps,
  ipLimit: (request: FastifyRequest) => Promise<void>,
): FastifyPluginAsyncZod {
  const s = deps.services;
  return async (app) => {
    app.post(
      '/auth/sign-in',
      {
        preHandler: ipLimit,
        schema: {
          tags: ['session'],
          summary: 'Sign in with user id and password; sets the session cookie',
          body: z
            .object({
              userId: z.string().trim().min(1).max(limits.userId),
              password: passwordSchema,
            })
            .strict(),
        },
      },
      async (request, reply) => {
        const result = await signIn(s, contextOf(request), request.body);
        setSessionCookie(reply, deps.http.publicUrl, result.token, result.expiresAt);
        const auth = await authenticate(s, result.token, true);
        return {
          ...result.state,
          expiresAt: result.expiresAt,
          registration: await registrationStatus(s, auth.user),
        };
      },
    );

    app.post(
      '/auth/sign-in/challenge',
      {
        preHandler: ipLimit,
        schema: {
          tags: ['session'],
          summary: 'Send an email code (or a text message code) for the second step',
          body: z.object({ method: z.enum(['email', 'sms']) }).strict(),
        },
      },
      async (request) =>
        signInChallenge(
          s,
          await authenticate(s, readSessionToken(request), true),
          request.body.method,
        ),
    );

    app.post(
      '/auth/sign-in/verify',
      {
        preHandler: ipLimit,
        schema: {
          tags: ['session'],
          summary: 'Finish signing in with a TOTP, email or text message code',
          body: z
            .object({
              method: z.enum(['totp', 'email', 'sms']),
              code: z.string().min(1).max(limits.code),
            })
            .strict(),
        },
      },
      async (request) => {
        const auth = await authenticate(s, readSessionToken(request), true);
        const state = await signInVerify(s, contextOf(request), auth, request.body);
        return { ...state, registration: await registrationStatus(s, auth.user) };
      },
    );

    app.get(
      '/auth/session',
      { schema: { tags: ['session'], summary: 'The signed-in user' } },
      async (request) => {
        const auth = await authenticate(s, readSessionToken(request), true);
        return {
          ...(await sessionState(s, auth)),
          registration: await registrationStatus(s, auth.user),
        };
      },
    );

    app.post(
      '/auth/sign-out',
      {
        schema: {
          tags: ['session'],
          summary: 'Sign out; {everywhere:true} revokes every session of the user',
          // No body at all arrives as null: `POST /auth/sign-out` alone must work.
          body: z.object({ everywhere: z.boolean().optional() }).strict().nullish(),
        },
      },
      async (request, reply) => {
        const auth = await authenticate(s, readSessionToken(request), true);
        const revoked = await signOut(s, auth, request.body?.everywhere === true);
        clearSessionCookie(reply);
        return { signedOut: true, sessionsRevoked: revoked };
      },
    );
  };
}
