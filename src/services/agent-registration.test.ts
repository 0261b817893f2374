import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { createFixedClock } from '../../test/fakes/fixed-clock.js';
import { createSeededRandom } from '../../test/fakes/seeded-random.js';
import { createTestApp, errorCode, type TestApp } from '../../test/support/test-app.js';
import { createStore, type SqlStore } from '../adapters/store/create-store.js';
import { isSsprError } from '../domain/errors/sspr-error.js';
import { generateAgentKeys } from '../protocol/envelope.js';
import {
  AGENT_TOKEN_PREFIX,
  agentTokenHash,
  createAgentRegistrationToken,
  registerAgent,
} from './agent-registration.js';

const keys = generateAgentKeys();

function request(token: string) {
  return {
    registrationToken: token,
    name: 'dc1-agent',
    version: '1.2.3',
    signingPublicKey: keys.signing.publicKey,
    encryptionPublicKey: keys.encryption.publicKey,
  };
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isSsprError(error)) return error.errorName;
    throw error;
  }
  return 'resolved';
}

describe('agent registration service', () => {
  let store: SqlStore;
  const clock = createFixedClock('2030-01-01T00:00:00.000Z');
  const deps = () => ({ store, clock, random: createSeededRandom('agents') });

  beforeEach(async () => {
    store = await createStore({ url: 'sqlite::memory:' });
    await store.migrate();
    clock.set('2030-01-01T00:00:00.000Z');
  });
  afterEach(async () => {
    await store.close();
  });

  it('creates a 24 h token, stores only its hash, and registers the agent once', async () => {
    const created = await createAgentRegistrationToken(deps());
    expect(created.token.startsWith(AGENT_TOKEN_PREFIX)).toBe(true);
    expect(created.expiresAt).toBe('2030-01-02T00:00:00.000Z');

    const { agentId } = await registerAgent(deps(), request(created.token));
    const agent = await store.agents.findById(agentId);
    expect(agent).toMatchObject({
      name: 'dc1-agent',
      version: '1.2.3',
      signingPublicKey: keys.signing.publicKey,
      encryptionPublicKey: keys.encryption.publicKey,
      createdAt: '2030-01-01T00:00:00.000Z',
      revokedAt: null,
    });
    expect(await errorName(registerAgent(deps(), request(created.token)))).toBe(
      'AGENT_REGISTRATION_INVALID',
    );
    expect(await store.agents.list()).toHaveLength(1);
    const audited = await store.audit.query({ activity: 'Register agent', limit: 10 });
    expect(audited.items.map((e) => e.details)).toEqual([
      { agentId, name: 'dc1-agent', version: '1.2.3' },
    ]);
  });

  it('refuses an expired, unknown or malformed token the same way', async () => {
    const created = await createAgentRegistrationToken(deps(), { ttlHours: 1 });
    clock.advance(3_600_000);
    expect(await errorName(registerAgent(deps(), request(created.token)))).toBe(
      'AGENT_REGISTRATION_INVALID',
    );
    expect(await errorName(registerAgent(deps(), request(`${AGENT_TOKEN_PREFIX}nope`)))).toBe(
      'AGENT_REGISTRATION_INVALID',
    );
    expect(await errorName(registerAgent(deps(), request('sspr_at_admin-token')))).toBe(
      'AGENT_REGISTRATION_INVALID',
    );
    expect(await errorName(createAgentRegistrationToken(deps(), { ttlHours: 0 }))).toBe(
      'VALIDATION_FAILED',
    );
  });

  it('keeps the token when the keys are not Ed25519 / X25519 public keys', async () => {
    const created = await createAgentRegistrationToken(deps());
    const swapped = {
      ...request(created.token),
      signingPublicKey: keys.encryption.publicKey,
    };
    expect(await errorName(registerAgent(deps(), swapped))).toBe('VALIDATION_FAILED');
    expect(
      await errorName(
        registerAgent(deps(), { ...request(created.token), encryptionPublicKey: 'junk' }),
      ),
    ).toBe('VALIDATION_FAILED');
    expect((await registerAgent(deps(), request(created.token))).agentId).toEqual(
      expect.any(String),
    );
  });

  it('hashes tokens at rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sspr-agent-token-'));
    const file = join(dir, 'sspr.db');
    const fileStore = await createStore({ url: `sqlite:${file}` });
    try {
      await fileStore.migrate();
      const created = await createAgentRegistrationToken({ ...deps(), store: fileStore });
      const raw = new SqliteDatabase(file, { readonly: true });
      const rows = raw.prepare('select * from agent_registration_tokens').all();
      raw.close();
      expect(rows).toEqual([
        {
          id: created.id,
          token_hash: agentTokenHash(created.token),
          created_at: '2030-01-01T00:00:00.000Z',
          expires_at: created.expiresAt,
          used_at: null,
        },
      ]);
      expect(JSON.stringify(rows)).not.toContain(created.token.slice(AGENT_TOKEN_PREFIX.length));
    } finally {
      await fileStore.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('POST /api/v1/agent/register', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it('answers 201 with the agent id, then SSPR_5101 for the used token', async () => {
    const { token } = await createAgentRegistrationToken(t.services);
    const first = await t.request('POST', '/api/v1/agent/register', { body: request(token) });
    expect(first.statusCode, first.body).toBe(201);
    const { agentId } = first.json<{ agentId: string }>();
    expect((await t.store.agents.findById(agentId))?.name).toBe('dc1-agent');

    const again = await t.request('POST', '/api/v1/agent/register', { body: request(token) });
    expect(again.statusCode).toBe(401);
    expect(errorCode(again)).toBe('SSPR_5101');

    const invalid = await t.request('POST', '/api/v1/agent/register', {
      body: { ...request(token), extra: 1 },
    });
    expect(errorCode(invalid)).toBe('SSPR_1001');
  });

  it('is documented under the agent tag', async () => {
    const doc = (await t.request('GET', '/api/v1/openapi.json')).json<{
      paths: Record<string, Record<string, { tags?: string[]; requestBody?: unknown }>>;
    }>();
    expect(doc.paths['/api/v1/agent/register']?.post?.tags).toEqual(['agent']);
  });
});
