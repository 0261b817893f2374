/**
 * The whole chain as an operator runs it: `sspr admin agent-token create` on the server host, the
 * server listening on loopback, the agent registering over HTTP with that token and connecting
 * over WebSocket, then a password reset travelling through the link.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/support/cli.js';
import { createFakeDirectory } from '../../test/fakes/fake-directory.js';
import { eventually } from '../../test/support/agent-harness.js';
import type { AgentLogger } from '../agent/log.js';
import { loadConfig } from '../config/load.js';
import { createAgentRuntime, type AgentRuntime } from './agent-runtime.js';
import { createServerRuntime, type ServerRuntime } from './server-runtime.js';

type Env = Record<string, string | undefined>;

let dir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sspr-agent-runtime-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

const sspr = (argv: string[], env: Env) => runCli(argv, { env, cwd: dir });

const quiet: AgentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('sspr admin agent-token create + the agent runtime', () => {
  it('registers with the printed token and carries a reset end to end', async () => {
    const serverEnv = { SSPR_DATA_DIR: join(dir, 'server') };
    const created = await sspr(['admin', 'agent-token', 'create', '--ttl-hours', '2'], serverEnv);
    expect(created.exitCode).toBeUndefined();
    expect(created.out).toHaveLength(1);
    const token = created.out.at(-1) ?? '';
    expect(token).toMatch(/^sspr_ar_[A-Za-z0-9_-]{43}$/);
    expect(created.err.join('\n')).toContain('server.registrationToken');
    expect(created.err.join('\n')).not.toContain(token);

    const server: ServerRuntime = await createServerRuntime(
      loadConfig({ env: { ...serverEnv, SSPR_LOG_LEVEL: 'silent' }, cwd: dir }),
      { timingFloorMs: 0 },
    );
    cleanups.push(() => server.close());
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${String((server.app.server.address() as net.AddressInfo).port)}`;
    expect(await server.agentLink.status()).toMatchObject({ ready: false });

    const directory = createFakeDirectory();
    directory.addUser({ dn: 'CN=Bob,OU=Staff,DC=contoso,DC=test' });
    const agentConfig = loadConfig({
      env: {
        SSPR_DATA_DIR: join(dir, 'agent'),
        SSPR_SERVER_URL: url,
        SSPR_SERVER_REGISTRATION_TOKEN: token,
        SSPR_DIRECTORY_KIND: 'ad',
        SSPR_LOG_LEVEL: 'silent',
      },
      cwd: dir,
    });
    const agent: AgentRuntime = await createAgentRuntime(agentConfig, {
      makeDirectory: () => directory,
      log: quiet,
    });
    cleanups.push(() => agent.close());
    await agent.agent.connected();
    await eventually(async () => (await server.agentLink.status()).ready);

    await server.agentLink.resetPassword('CN=Bob,OU=Staff,DC=contoso,DC=test', 'Via-The-Agent-1!', {
      unlock: true,
      mustChange: false,
    });
    expect(directory.passwordOf('CN=Bob,OU=Staff,DC=contoso,DC=test')).toBe('Via-The-Agent-1!');
    const [status] = (await server.agentLink.status()).agents;
    expect(status).toMatchObject({
      agentId: agent.agent.agentId,
      connected: true,
      version: expect.any(String) as unknown,
    });

    await agent.close();
    expect(directory.closed).toBe(true);
  });

  it('refuses a bad --ttl-hours, and `sspr agent` explains what is missing', async () => {
    const bad = await sspr(['admin', 'agent-token', 'create', '--ttl-hours', '0'], {
      SSPR_DATA_DIR: dir,
    });
    expect(bad.exitCode).toBe(1);
    expect(bad.err.join('\n')).toContain('--ttl-hours must be a whole number from 1 to 720');

    const noUrl = await sspr(['agent'], { SSPR_DATA_DIR: dir });
    expect(noUrl.exitCode).toBe(1);
    expect(noUrl.err.join('\n')).toContain('server.url is not set');

    const noAdapter = await sspr(['agent'], {
      SSPR_DATA_DIR: dir,
      SSPR_SERVER_URL: 'http://127.0.0.1:9',
    });
    expect(noAdapter.exitCode).toBe(1);
    expect(noAdapter.err.join('\n')).toContain(
      'the agent needs directory.kind, directory.bindDn, directory.bindPassword, directory.baseDn, directory.urls',
    );
  });
});
