/** Source of randomness; the real one is node:crypto, tests inject a seeded one. */
export interface Random {
  bytes(length: number): Uint8Array;
  /** Uniform integer in [0, max). */
  int(max: number): number;
  uuid(): string;
}
