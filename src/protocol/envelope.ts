/**
 * The agent link's cryptography (node:crypto only), shared by the server and the agent.
 *
 * - Envelope: a password leaves the server sealed to ONE agent's X25519 public key. A fresh
 *   ephemeral X25519 key pair per envelope; HKDF-SHA256 over the shared secret (salt: the
 *   ephemeral and the recipient public keys, info `opensspr-agent-envelope-v1`) gives an
 *   AES-256-GCM key; the job id is the additional authenticated data, so an envelope cannot be
 *   replayed inside another job. Tampering, a wrong key or a wrong job id make `open` throw.
 * - Hello: the agent proves it holds its Ed25519 signing key by signing
 *   `opensspr-agent-hello-v1:<agentId>:<nonce>` (the server's random challenge).
 * - Keys: PEM (SPKI public, PKCS#8 private), as the server stores them and the agent keeps them.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { Envelope } from './messages.js';

export const ENVELOPE_INFO = 'opensspr-agent-envelope-v1';
export const HELLO_CONTEXT = 'opensspr-agent-hello-v1';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A PEM key pair: SPKI public key, PKCS#8 private key. */
export interface PemKeyPair {
  readonly publicKey: string;
  readonly privateKey: string;
}

/** The agent's two key pairs: Ed25519 to sign its hello, X25519 to receive sealed passwords. */
export interface AgentKeyPairs {
  readonly signing: PemKeyPair;
  readonly encryption: PemKeyPair;
}

/** Thrown by `open` (and by the key parsers) with a message that never contains key or data. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

function pemPair(type: 'ed25519' | 'x25519'): PemKeyPair {
  const { publicKey, privateKey } =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('x25519');
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Fresh key pairs for a new agent. */
export function generateAgentKeys(): AgentKeyPairs {
  return { signing: pemPair('ed25519'), encryption: pemPair('x25519') };
}

/**
 * Parses an SPKI PEM public key of the given type; throws EnvelopeError otherwise (the server
 * checks registrations with it).
 */
export function parsePublicKey(pem: string, type: 'ed25519' | 'x25519'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new EnvelopeError(`not a PEM public key (${type} expected)`);
  }
  if (key.asymmetricKeyType !== type) {
    throw new EnvelopeError(
      `a ${type} public key is expected, not ${String(key.asymmetricKeyType)}`,
    );
  }
  return key;
}

function parsePrivateKey(pem: string, type: 'ed25519' | 'x25519'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new EnvelopeError(`not a PEM private key (${type} expected)`);
  }
  if (key.asymmetricKeyType !== type) {
    throw new EnvelopeError(`a ${type} private key is expected`);
  }
  return key;
}

/** The raw 32 bytes of an X25519 public key (from its JWK `x`). */
function rawX25519(key: KeyObject): Buffer {
  const { x } = key.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new EnvelopeError('not an X25519 key');
  return Buffer.from(x, 'base64url');
}

function contentKey(shared: Buffer, epk: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', shared, Buffer.concat([epk, recipient]), ENVELOPE_INFO, 32),
  );
}

/** Seals `plaintext` to the recipient's X25519 public key, bound to `aad` (the job id). */
export function seal(recipientPublicKeyPem: string, plaintext: Uint8Array, aad: string): Envelope {
  const recipient = parsePublicKey(recipientPublicKeyPem, 'x25519');
  const ephemeral = generateKeyPairSync('x25519');
  const epk = rawX25519(ephemeral.publicKey);
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const key = contentKey(shared, epk, rawX25519(recipient));
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  key.fill(0);
  return {
    epk: epk.toString('base64url'),
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Opens an envelope with the recipient's X25519 private key; throws EnvelopeError on any mismatch. */
export function open(privateKeyPem: string, envelope: Envelope, aad: string): Uint8Array {
  const privateKey = parsePrivateKey(privateKeyPem, 'x25519');
  const epk = Buffer.from(envelope.epk, 'base64url');
  const iv = Buffer.from(envelope.iv, 'base64');
  const tag = Buffer.from(envelope.tag, 'base64');
  if (epk.length !== 32 || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new EnvelopeError('the envelope is malformed');
  }
  let key: Buffer;
  try {
    const ephemeral = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: epk.toString('base64url') },
      format: 'jwk',
    });
    const shared = diffieHellman({ privateKey, publicKey: ephemeral });
    key = contentKey(shared, epk, rawX25519(createPublicKey(privateKey)));
  } catch {
    throw new EnvelopeError('the envelope key agreement failed');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return new Uint8Array(
      Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]),
    );
  } catch {
    throw new EnvelopeError(
      'the envelope cannot be opened (tampered with, another key or another job id)',
    );
  } finally {
    key.fill(0);
  }
}

/** What the agent signs in its hello. */
export function helloPayload(agentId: string, nonce: string): Buffer {
  return Buffer.from(`${HELLO_CONTEXT}:${agentId}:${nonce}`, 'utf8');
}

/** The agent's hello signature (base64), with its Ed25519 private key. */
export function signHello(signingPrivateKeyPem: string, agentId: string, nonce: string): string {
  const key = parsePrivateKey(signingPrivateKeyPem, 'ed25519');
  return sign(null, helloPayload(agentId, nonce), key).toString('base64');
}

/** True when `signature` is the agent's signature of this hello; false on any problem. */
export function verifyHello(
  signingPublicKeyPem: string,
  agentId: string,
  nonce: string,
  signature: string,
): boolean {
  try {
    const key = parsePublicKey(signingPublicKeyPem, 'ed25519');
    const bytes = Buffer.from(signature, 'base64');
    if (bytes.length !== 64) return false;
    return verify(null, helloPayload(agentId, nonce), key, bytes);
  } catch {
    return false;
  }
}
