import type { Kysely } from 'kysely';
import type { AgentRecord, AgentRepository } from '../../domain/ports/agent-store.js';
import type { Database } from './database.js';

/**
 * Row types of migration 0002_agents (camelCase; CamelCasePlugin maps the columns). A type alias,
 * not an interface: `withTables` needs an index-signature-compatible type.
 */
export type AgentTables = {
  agents: {
    id: string;
    name: string;
    signingPublicKey: string;
    encryptionPublicKey: string;
    version: string;
    createdAt: string;
    lastSeenAt: string | null;
    revokedAt: string | null;
  };
  agentRegistrationTokens: {
    id: string;
    tokenHash: string;
    createdAt: string;
    expiresAt: string;
    usedAt: string | null;
  };
};

const columns = [
  'id',
  'name',
  'signingPublicKey',
  'encryptionPublicKey',
  'version',
  'createdAt',
  'lastSeenAt',
  'revokedAt',
] as const;

export function createAgentRepository(root: Kysely<Database>): AgentRepository {
  const db = root.withTables<AgentTables>();
  return {
    async createRegistrationToken(token, now) {
      await db
        .insertInto('agentRegistrationTokens')
        .values({ ...token, createdAt: now, usedAt: null })
        .execute();
    },

    async consumeRegistrationToken(tokenHash, now) {
      // One UPDATE: of two concurrent callers only one sees a row change.
      const result = await db
        .updateTable('agentRegistrationTokens')
        .set({ usedAt: now })
        .where('tokenHash', '=', tokenHash)
        .where('usedAt', 'is', null)
        .where('expiresAt', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async create(agent, now) {
      const record: AgentRecord = { ...agent, createdAt: now, lastSeenAt: null, revokedAt: null };
      await db.insertInto('agents').values(record).execute();
      return record;
    },

    async findById(id) {
      const row = await db
        .selectFrom('agents')
        .select(columns)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ?? null;
    },

    async list() {
      return db.selectFrom('agents').select(columns).orderBy('createdAt').orderBy('id').execute();
    },

    async touch(id, now, version) {
      await db
        .updateTable('agents')
        .set({ lastSeenAt: now, version })
        .where('id', '=', id)
        .execute();
    },

    async revoke(id, now) {
      // The first revocation time stays.
      await db
        .updateTable('agents')
        .set({ revokedAt: now })
        .where('id', '=', id)
        .where('revokedAt', 'is', null)
        .execute();
    },
  };
}
