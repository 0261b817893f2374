/**
 * Like bench/pool.ts, but each worker owns a resource (an LDAP connection bound once): one worker
 * per resource takes the next index until `maxTasks` have started or `maxMs` has passed; tasks
 * already running are awaited. The elapsed time includes that tail.
 */
export async function runWorkers<T>(options: {
  readonly workers: readonly T[];
  readonly maxTasks: number;
  readonly maxMs: number;
  readonly task: (worker: T, index: number) => Promise<void>;
}): Promise<{ readonly started: number; readonly elapsedMs: number }> {
  const { workers, maxTasks, maxMs, task } = options;
  const begin = performance.now();
  let next = 0;
  await Promise.all(
    workers.map(async (worker) => {
      while (next < maxTasks && performance.now() - begin < maxMs) {
        const index = next++;
        await task(worker, index);
      }
    }),
  );
  return { started: next, elapsedMs: performance.now() - begin };
}

/** Prints `line()` every `everyMs` until the returned function is called. */
export function ticker(line: () => string, everyMs = 5_000): () => void {
  const timer = setInterval(() => {
    process.stderr.write(`[bench]   … ${line()}\n`);
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
