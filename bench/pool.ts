/**
 * A fixed-size concurrency pool bounded by a task count and a time budget, whichever ends first:
 * `concurrency` workers each take the next index until `maxTasks` have started or `maxMs` has
 * passed; tasks already running are awaited. The elapsed time includes that tail.
 */
export async function runBounded(options: {
  readonly concurrency: number;
  readonly maxTasks: number;
  readonly maxMs: number;
  readonly task: (index: number) => Promise<void>;
}): Promise<{ readonly started: number; readonly elapsedMs: number }> {
  const { concurrency, maxTasks, maxMs, task } = options;
  const begin = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < maxTasks && performance.now() - begin < maxMs) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, maxTasks)) }, worker));
  return { started: next, elapsedMs: performance.now() - begin };
}
