/** Authenticated encryption of secrets at rest (TOTP seeds), keyed by `secrets.key`. */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}
