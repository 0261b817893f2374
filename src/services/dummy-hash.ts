import type { ServiceDeps } from './deps.js';

const hashes = new WeakMap<object, Promise<string>>();

/**
 * A real hash of a random value nobody knows, made once per hasher: verifying against it costs
 * what a real verification costs, so an unknown user or a missing answer takes the same time.
 */
export function dummyHash(deps: Pick<ServiceDeps, 'hasher' | 'random'>): Promise<string> {
  let hash = hashes.get(deps.hasher);
  if (hash === undefined) {
    hash = deps.hasher.hash(Buffer.from(deps.random.bytes(16)).toString('base64url'));
    hashes.set(deps.hasher, hash);
  }
  return hash;
}
