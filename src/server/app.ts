import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ServiceDeps } from '../services/deps.js';
import { installErrorHandler } from './error-handler.js';
import { installCsrfGuard } from './plugins/csrf.js';
import { installSecurityHeaders } from './plugins/security-headers.js';
import { createIpRateLimit } from './plugins/ip-rate-limit.js';
import { ssprRoutes } from './routes/sspr.js';
import { authRoutes } from './routes/auth.js';
import { meRoutes } from './routes/me.js';
import { adminRoutes } from './routes/admin.js';
import { agentRoutes } from './routes/agent.js';
import { opsRoutes } from './routes/ops.js';
import { devRoutes, type DevOutboxView } from './routes/dev.js';
import { webRoutes } from './routes/web.js';

export interface HttpSettings {
  readonly publicUrl: string;
  readonly trustProxy: boolean;
  readonly perIpPerMinute: number;
  /** Largest accepted request body, bytes. */
  readonly bodyLimit: number;
  /** The process logger (pino); none = silent. Passwords and tokens never reach it. */
  readonly logger?: FastifyBaseLogger | undefined;
  /** The demo's development outbox (mail/SMS "sent"), or undefined outside demo mode. */
  readonly devOutbox?: DevOutboxView | undefined;
  readonly version: string;
}

export interface ServerDeps {
  readonly services: ServiceDeps;
  readonly http: HttpSettings;
}

export type App = FastifyInstance;

/** Builds the HTTP server: portal API, admin API, OpenAPI, operational routes. No listening here. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.http.logger === undefined ? { logger: false } : { loggerInstance: deps.http.logger }),
    trustProxy: deps.http.trustProxy,
    bodyLimit: deps.http.bodyLimit,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installSecurityHeaders(app);
  installCsrfGuard(app, deps.http.publicUrl);
  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'OpenSSPR API',
        version: deps.http.version,
        description:
          'Self-service password reset with password writeback. Errors answer {"error":{"code":"SSPR_…","message","correlationId","details?"}}; see docs/errors.md.',
      },
      servers: [{ url: deps.http.publicUrl }],
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'sspr admin token create' },
          session: { type: 'apiKey', in: 'cookie', name: 'sspr_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });

  const ipLimit = createIpRateLimit(deps.http.perIpPerMinute, () =>
    deps.services.clock.now().getTime(),
  );
  await app.register(
    async (api) => {
      await api.register(ssprRoutes(deps, ipLimit));
      await api.register(authRoutes(deps, ipLimit));
      await api.register(meRoutes(deps));
      await api.register(adminRoutes(deps));
      await api.register(agentRoutes(deps, ipLimit));
      api.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
    },
    { prefix: '/api/v1' },
  );
  await app.register(opsRoutes(deps));
  await app.register(webRoutes());
  if (deps.http.devOutbox !== undefined) await app.register(devRoutes(deps.http.devOutbox));
  return app;
}
