import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorName } from '../domain/errors/registry.js';
import { SsprError } from '../domain/errors/sspr-error.js';

export interface ErrorBody {
  error: { code: string; message: string; correlationId: string; details?: unknown };
}

function send(reply: FastifyReply, request: FastifyRequest, error: SsprError): FastifyReply {
  if (error.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(error.retryAfterSeconds));
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      correlationId: request.id,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
  return reply.code(error.status).send(body);
}

/** Fastify's own error codes that are the caller's fault, mapped to ours. */
const fastifyCodes: Record<string, ErrorName> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
};

/**
 * The one place errors become responses: {error:{code,message,correlationId,details?}}.
 * SsprErrors render as registered; request validation becomes SSPR_1001 with the failing fields;
 * anything else is an opaque SSPR_9000 whose cause goes to the log only.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | SsprError, request, reply) => {
    if (error instanceof SsprError) {
      if (error.status >= 500 && error.cause !== undefined) {
        request.log.warn({ code: error.code, err: error.cause }, error.message);
      }
      return send(reply, request, error);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v: { instancePath: string; message?: string }) => ({
        path: [error.validationContext, ...v.instancePath.split('/').filter(Boolean)].join('.'),
        message: v.message ?? 'invalid',
      }));
      return send(reply, request, new SsprError('VALIDATION_FAILED', { details: { issues } }));
    }
    if (error.code in fastifyCodes) {
      const name = fastifyCodes[error.code];
      if (name !== undefined) return send(reply, request, new SsprError(name));
    }
    if (error.code === 'FST_ERR_VALIDATION' || (error.statusCode === 400 && error.validation)) {
      return send(
        reply,
        request,
        new SsprError('VALIDATION_FAILED', {
          details: { issues: [{ path: '', message: error.message }] },
        }),
      );
    }
    if (error.statusCode === 404) return send(reply, request, new SsprError('ROUTE_NOT_FOUND'));
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, request, new SsprError('INTERNAL'));
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, request, new SsprError('ROUTE_NOT_FOUND')),
  );
}
