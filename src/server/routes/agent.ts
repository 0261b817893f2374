import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ServerDeps } from '../app.js';
import {
  AGENT_CONNECT_PATH,
  registrationRequestSchema,
  registrationResponseSchema,
} from '../../protocol/messages.js';
import { registerAgent } from '../../services/agent-registration.js';

/**
 * The writeback agent's HTTP route: one-time registration with a token from
 * `sspr admin agent-token create`. The agent then dials `GET /api/v1/agent/connect` (WebSocket,
 * served by agent-gateway.ts, not by fastify).
 */
export function agentRoutes(
  deps: ServerDeps,
  ipLimit: (request: FastifyRequest) => Promise<void>,
): FastifyPluginAsyncZod {
  const s = deps.services;
  return async (app) => {
    app.addHook('preHandler', ipLimit);

    app.post(
      '/agent/register',
      {
        schema: {
          tags: ['agent'],
          summary: 'Register a writeback agent with a one-time token → its agent id',
          description: `The token (sspr admin agent-token create) is consumed whether or not the agent connects later; an unknown, used or expired token answers SSPR_5101. The agent then connects with a WebSocket to ${AGENT_CONNECT_PATH}?agentId=… and signs the server's challenge with the Ed25519 key registered here.`,
          body: registrationRequestSchema,
          response: { 201: registrationResponseSchema },
        },
      },
      async (request, reply) => {
        const result = await registerAgent(s, request.body);
        request.log.info({ agentId: result.agentId, name: request.body.name }, 'agent registered');
        return reply.code(201).send(result);
      },
    );
  };
}
