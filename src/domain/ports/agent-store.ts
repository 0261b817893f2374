/** Registered writeback agents and their one-time registration tokens (store side). */
export interface AgentRecord {
  readonly id: string;
  readonly name: string;
  /** Ed25519 public key (SPKI PEM): verifies the agent's hello signature. */
  readonly signingPublicKey: string;
  /** X25519 public key (SPKI PEM): passwords are sealed to it. */
  readonly encryptionPublicKey: string;
  readonly version: string;
  readonly createdAt: string;
  readonly lastSeenAt: string | null;
  readonly revokedAt: string | null;
}

export interface AgentRepository {
  /** Stores a registration token (only its SHA-256) valid until `expiresAt`. */
  createRegistrationToken(
    token: { id: string; tokenHash: string; expiresAt: string },
    now: string,
  ): Promise<void>;
  /** Atomically marks an unused, unexpired token used; true only for the first caller. */
  consumeRegistrationToken(tokenHash: string, now: string): Promise<boolean>;
  create(
    agent: Omit<AgentRecord, 'lastSeenAt' | 'revokedAt' | 'createdAt'>,
    now: string,
  ): Promise<AgentRecord>;
  findById(id: string): Promise<AgentRecord | null>;
  list(): Promise<readonly AgentRecord[]>;
  touch(id: string, now: string, version: string): Promise<void>;
  revoke(id: string, now: string): Promise<void>;
}
