/**
 * Server ⇄ agent wire messages, version 1. Both ends validate every message with these schemas
 * (zod); anything else closes the connection with AGENT_PROTOCOL_ERROR. Passwords never appear
 * in clear: they travel in `secret`, an envelope encrypted to the agent's public key
 * (protocol/envelope.ts). Imported by the server and the agent; depends on nothing but zod.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** Where the agent registers (HTTP POST) and connects (WebSocket upgrade), under the server URL. */
export const AGENT_REGISTER_PATH = '/api/v1/agent/register';
export const AGENT_CONNECT_PATH = '/api/v1/agent/connect';

/**
 * WebSocket close codes of the link (4000-4999 are the application's). The agent logs the
 * reason text and reconnects with backoff; 4401 also tells the admin how to re-register.
 */
export const closeCodes = {
  /** 1001: the server (or the agent) is shutting down. */
  goingAway: 1001,
  /** A message did not validate against these schemas (AGENT_PROTOCOL_ERROR). */
  protocolError: 4400,
  /** Unknown or revoked agent, bad signature, or no hello in time (AGENT_AUTHENTICATION_FAILED). */
  unauthorized: 4401,
  /** The same agent connected again; the older connection is closed. */
  replaced: 4409,
  /** Missed heartbeats. */
  timeout: 4408,
} as const;

const id = z.string().min(1).max(100);
const iso = z.string().max(40);
const dn = z.string().min(1).max(2048);

/** A sealed payload: X25519 ephemeral key agreement + HKDF-SHA256 + AES-256-GCM (envelope.ts). */
export const envelopeSchema = z
  .object({
    epk: z.string().max(200),
    iv: z.string().max(40),
    ct: z.string().max(8192),
    tag: z.string().max(40),
  })
  .strict();
export type Envelope = z.infer<typeof envelopeSchema>;

export const accountStateSchema = z
  .object({
    disabled: z.boolean(),
    locked: z.boolean(),
    expired: z.boolean(),
    mustChange: z.boolean(),
    protected: z.boolean(),
    criticalSystemObject: z.boolean(),
    passwordLastSet: iso.nullable(),
  })
  .strict();

export const directoryUserSchema = z
  .object({
    dn,
    externalId: id,
    userPrincipalName: z.string().max(256),
    accountName: z.string().max(256),
    displayName: z.string().max(512).nullable(),
    givenName: z.string().max(256).nullable(),
    surname: z.string().max(256).nullable(),
    mail: z.string().max(256).nullable(),
    mobile: z.string().max(64).nullable(),
    telephoneNumber: z.string().max(64).nullable(),
    state: accountStateSchema,
    memberOf: z.array(dn).max(5000),
  })
  .strict();

export const directoryGroupSchema = z
  .object({
    dn,
    externalId: id,
    displayName: z.string().max(512),
    members: z.array(dn).max(250_000),
  })
  .strict();

export const passwordPolicySchema = z
  .object({
    source: z.string().max(2048),
    minLength: z.number().int().min(0).max(1024),
    complexity: z.boolean(),
    historyCount: z.number().int().min(0).max(1024),
    minAgeDays: z.number().min(0),
    maxAgeDays: z.number().min(0),
    lockoutThreshold: z.number().int().min(0),
    lockoutDurationMinutes: z.number().min(0),
    notEnforcedOnReset: z.array(z.enum(['history', 'minAge', 'length', 'complexity'])).max(4),
  })
  .strict();

export const rightsReportSchema = z
  .object({
    ok: z.boolean(),
    checks: z
      .array(
        z
          .object({
            check: z.string().max(500),
            ok: z.boolean(),
            detail: z.string().max(2000).optional(),
          })
          .strict(),
      )
      .max(200),
  })
  .strict();

/** The operations a job can ask for; `secret` carries the passwords of the first four. */
export const jobOps = [
  'resetPassword',
  'changePassword',
  'verifyPassword',
  'unlock',
  'setMustChange',
  'findUser',
  'readAccountState',
  'readPasswordPolicy',
  'checkRights',
] as const;
export const jobOpSchema = z.enum(jobOps);
export type JobOp = z.infer<typeof jobOpSchema>;

/** Non-secret parameters of a job. */
export const jobParamsSchema = z
  .object({
    dn: dn.optional(),
    by: z.enum(['upn', 'accountName', 'mail']).optional(),
    value: z.string().max(256).optional(),
    unlock: z.boolean().optional(),
    mustChange: z.boolean().optional(),
  })
  .strict();

/** What the envelope of a job decrypts to (validated by the agent after decryption). */
export const jobSecretSchema = z
  .object({
    newPassword: z.string().max(1024).optional(),
    oldPassword: z.string().max(1024).optional(),
    password: z.string().max(1024).optional(),
  })
  .strict();
export type JobSecret = z.infer<typeof jobSecretSchema>;

export const errorSchema = z
  .object({
    /** An ErrorName of the registry (the server maps it back to its SsprError). */
    name: z.string().max(100),
    code: z.string().max(20),
    message: z.string().max(1000),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const syncPage = {
  syncId: id,
  seq: z.number().int().min(0),
  users: z.array(directoryUserSchema).max(5000),
  groups: z.array(directoryGroupSchema).max(5000),
  deleted: z.array(id).max(100_000),
};

/** Messages the agent sends. */
export const agentMessageSchema = z.discriminatedUnion('type', [
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      type: z.literal('hello'),
      agentId: id,
      /** Ed25519 signature (base64) over `opensspr-agent-hello-v1:<agentId>:<nonce>`. */
      signature: z.string().max(200),
      version: z.string().max(50),
      directory: z
        .object({
          kind: z.enum(['ad', 'openldap']),
          reachable: z.boolean(),
          rights: rightsReportSchema.nullable(),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      type: z.literal('heartbeat'),
      at: iso,
      directoryReachable: z.boolean(),
    })
    .strict(),
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      type: z.literal('job.result'),
      jobId: id,
      ok: z.boolean(),
      /** The operation's value (findUser → user | null, readPasswordPolicy → policy, …). */
      result: z.unknown().optional(),
      error: errorSchema.optional(),
    })
    .strict(),
  z.object({ v: z.literal(PROTOCOL_VERSION), type: z.literal('sync.page'), ...syncPage }).strict(),
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      type: z.literal('sync.done'),
      syncId: id,
      ok: z.boolean(),
      full: z.boolean(),
      cookie: z.string().max(100_000).nullable(),
      pages: z.number().int().min(0),
      error: errorSchema.optional(),
    })
    .strict(),
]);
export type AgentMessage = z.infer<typeof agentMessageSchema>;

/** Messages the server sends. */
export const serverMessageSchema = z.discriminatedUnion('type', [
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      type: z.literal('challenge'),
      nonce: z.string().min(16).max(200),
    })
    .strict(),
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      type: z.literal('welcome'),
      agentId: id,
      heartbeatSeconds: z.number().int().min(1).max(3600),
      syncIntervalSeconds: z.number().int().min(0).max(86_400),
      /** The server's clock (ISO): the agent judges job deadlines against it, not its own clock. */
      serverTime: iso.optional(),
    })
    .strict(),
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      type: z.literal('job'),
      jobId: id,
      op: jobOpSchema,
      params: jobParamsSchema,
      secret: envelopeSchema.optional(),
      /** The agent drops a job it receives after this time (ISO). */
      deadline: iso,
    })
    .strict(),
  z
    .object({
      v: z.literal(PROTOCOL_VERSION),
      type: z.literal('sync.request'),
      syncId: id,
      full: z.boolean(),
      cookie: z.string().max(100_000).nullable(),
    })
    .strict(),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

export type HelloMessage = Extract<AgentMessage, { type: 'hello' }>;
export type HeartbeatMessage = Extract<AgentMessage, { type: 'heartbeat' }>;
export type JobResultMessage = Extract<AgentMessage, { type: 'job.result' }>;
export type SyncPageMessage = Extract<AgentMessage, { type: 'sync.page' }>;
export type SyncDoneMessage = Extract<AgentMessage, { type: 'sync.done' }>;
export type ChallengeMessage = Extract<ServerMessage, { type: 'challenge' }>;
export type WelcomeMessage = Extract<ServerMessage, { type: 'welcome' }>;
export type JobMessage = Extract<ServerMessage, { type: 'job' }>;
export type SyncRequestMessage = Extract<ServerMessage, { type: 'sync.request' }>;
export type WireError = z.infer<typeof errorSchema>;

/** POST /api/v1/agent/register: the agent's first contact, with a one-time token. */
export const registrationRequestSchema = z
  .object({
    registrationToken: z.string().min(1).max(200),
    name: z.string().trim().min(1).max(200),
    version: z.string().min(1).max(50),
    /** Ed25519, SPKI PEM. */
    signingPublicKey: z.string().min(1).max(1000),
    /** X25519, SPKI PEM. */
    encryptionPublicKey: z.string().min(1).max(1000),
  })
  .strict();
export type RegistrationRequest = z.infer<typeof registrationRequestSchema>;

export const registrationResponseSchema = z.object({ agentId: id }).strict();
export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;
