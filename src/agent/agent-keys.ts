import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { AgentKeyPairs } from '../protocol/envelope.js';
import { AgentSetupError } from './log.js';

/** The agent's identity file in `dataDir` (mode 0600): its id and its two private keys. */
export const AGENT_KEYS_FILE = 'agent-keys.json';

export interface AgentIdentity {
  readonly agentId: string;
  /** The server URL it registered with (informational). */
  readonly serverUrl: string;
  readonly registeredAt: string;
  readonly keys: AgentKeyPairs;
}

const pair = z.object({ publicKey: z.string().min(1), privateKey: z.string().min(1) }).strict();
const fileSchema = z
  .object({
    format: z.literal(1),
    agentId: z.string().min(1).max(100),
    serverUrl: z.string(),
    registeredAt: z.string(),
    signing: pair,
    encryption: pair,
  })
  .strict();

export const agentKeysPath = (dataDir: string): string => join(dataDir, AGENT_KEYS_FILE);

/** The stored identity, or null when the agent has not registered yet. */
export async function loadAgentIdentity(dataDir: string): Promise<AgentIdentity | null> {
  const path = agentKeysPath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AgentSetupError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
  } catch {
    throw new AgentSetupError(
      `${path} is damaged; delete it and register the agent again with a new token (sspr admin agent-token create)`,
    );
  }
  return {
    agentId: parsed.agentId,
    serverUrl: parsed.serverUrl,
    registeredAt: parsed.registeredAt,
    keys: { signing: parsed.signing, encryption: parsed.encryption },
  };
}

/** Writes the identity atomically (temporary file, then rename), readable by the owner only. */
export async function saveAgentIdentity(dataDir: string, identity: AgentIdentity): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = agentKeysPath(dataDir);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const body: z.infer<typeof fileSchema> = {
    format: 1,
    agentId: identity.agentId,
    serverUrl: identity.serverUrl,
    registeredAt: identity.registeredAt,
    signing: identity.keys.signing,
    encryption: identity.keys.encryption,
  };
  try {
    await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
