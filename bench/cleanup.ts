import { progress } from './report.js';

/**
 * Undo steps for servers and processes a benchmark started, run newest first by `close()` (from a
 * `finally`) or on Ctrl+C / SIGTERM, where `finally` would not run. npm and tsx forward the signal
 * again: later ones are ignored until the cleanup is done.
 */
export function cleanupScope() {
  const steps: { label: string; run: () => Promise<unknown> }[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      while (steps.length > 0) {
        const step = steps.pop();
        if (step === undefined) break;
        await step.run().catch((error: unknown) => {
          progress(
            `cleanup (${step.label}) failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
      }
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing !== undefined) return;
    progress(`${signal}: stopping the servers`);
    void close().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    /** Registers an undo step; the returned function runs it now (and unregisters it). */
    add(label: string, run: () => Promise<unknown>): () => Promise<void> {
      const step = { label, run };
      steps.push(step);
      return async () => {
        const at = steps.indexOf(step);
        if (at < 0) return;
        steps.splice(at, 1);
        await run();
      };
    },
    async close(): Promise<void> {
      try {
        await close();
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}
