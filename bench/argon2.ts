import { createArgon2Hasher } from '../src/adapters/crypto/argon2-hasher.js';
import { progress } from './report.js';

export interface Argon2Result {
  /** Wall time of one hash with nothing else running. */
  readonly msPerHash: number;
  /** Hashes per second with `parallel` hashes in flight (libuv's thread pool, 4 by default). */
  readonly hashesPerSecond: number;
  readonly parallel: number;
}

/**
 * The cost of the one Argon2id hash every reset makes, with the production (OWASP) parameters,
 * measured in this process while no server runs: the ceiling for flows per second.
 */
export async function measureArgon2(seconds = 2): Promise<Argon2Result> {
  progress('argon2id: measuring the OWASP hash');
  const hasher = createArgon2Hasher();
  await hasher.hash('warm-up-Password-1!');
  let begin = performance.now();
  const sequential = 5;
  for (let i = 0; i < sequential; i++) await hasher.hash(`Sequential-Password-${i}!`);
  const msPerHash = (performance.now() - begin) / sequential;

  const parallel = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  let done = 0;
  begin = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() - begin < seconds * 1000) {
      await hasher.hash(`Parallel-Password-${done}!`);
      done++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const hashesPerSecond = done / ((performance.now() - begin) / 1000);
  return { msPerHash, hashesPerSecond, parallel };
}
