/**
 * The IPC between the directory benchmarks (parent) and bench/directory-server-process.ts (child):
 * one request at a time, each answered by a reply with the same id.
 */

export interface DirectoryServerStart {
  readonly storeUrl: string;
  readonly dataDir: string;
  /** base64, 32 bytes */
  readonly secretsKey: string;
  /** null: the production default of createServerRuntime. */
  readonly timingFloorMs: number | null;
}

export interface TotpUser {
  readonly upn: string;
  /** Base32 TOTP secret; the parent computes the codes from it. */
  readonly secret: string;
}

export interface SyncResult {
  /** Wall time of agentLink.sync as the server sees it, request to summary. */
  readonly ms: number;
  readonly full: boolean;
  readonly users: { readonly added: number; readonly updated: number; readonly deleted: number };
  readonly groups: { readonly added: number; readonly updated: number; readonly deleted: number };
  readonly unchangedUsers: number;
  readonly pages: number;
  readonly conflicts: number;
  readonly invalidContacts: number;
  readonly error: string | null;
  readonly usersInStore: number;
}

/** Requests and what each answers. */
export interface Requests {
  start: { request: DirectoryServerStart; reply: { url: string; timingFloorMs: number } };
  /** A one-time agent registration token (createAgentRegistrationToken). */
  agentToken: { request: Record<string, never>; reply: { token: string } };
  /** Waits until an agent is connected and reports its directory reachable. */
  waitForAgent: { request: { timeoutMs: number }; reply: { agents: number } };
  sync: { request: { full: boolean }; reply: SyncResult };
  /** Gives each synced user a TOTP method (straight through the store). */
  seedTotp: {
    request: { users: readonly TotpUser[] };
    reply: { seeded: number; missing: string[] };
  };
  /** Closes the server; the process exits after answering. */
  stop: { request: Record<string, never>; reply: { mailsSent: number } };
}

export type Op = keyof Requests;

export interface RequestMessage<O extends Op = Op> {
  readonly id: number;
  readonly op: O;
  readonly args: Requests[O]['request'];
}

export type ReplyMessage =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };
