/** Argon2id in production (adapters/crypto/argon2-hasher.ts). */
export interface PasswordHasher {
  hash(secret: string): Promise<string>;
  verify(hash: string, secret: string): Promise<boolean>;
}
