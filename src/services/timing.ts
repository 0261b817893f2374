import type { ServiceDeps } from './deps.js';

/**
 * Runs an anonymous step and answers no sooner than the timing floor, success or failure, so the
 * time taken does not tell a known user id from an unknown one (Authelia's TimingAttackDelay).
 * `fn` gets the floor's deadline (performance.now() time; undefined when the floor is 0) so that
 * slow work only known users cause, such as delivering a code, can finish after the answer.
 */
export async function withTimingFloor<T>(
  deps: Pick<ServiceDeps, 'settings' | 'sleep'>,
  fn: (deadline: number | undefined) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const deadline =
    deps.settings.timingFloorMs > 0 ? started + deps.settings.timingFloorMs : undefined;
  const pad = async () => {
    const left = deps.settings.timingFloorMs - (performance.now() - started);
    if (left > 0) await deps.sleep(left);
  };
  try {
    const result = await fn(deadline);
    await pad();
    return result;
  } catch (error) {
    await pad();
    throw error;
  }
}

/**
 * Waits for `work` until the deadline at most; the work goes on afterwards (it must handle its own
 * errors). Without a deadline it is awaited to the end.
 */
export async function settleBy(
  deps: Pick<ServiceDeps, 'sleep'>,
  work: Promise<void>,
  deadline: number | undefined,
): Promise<void> {
  if (deadline === undefined) {
    await work;
    return;
  }
  const left = deadline - performance.now();
  if (left <= 0) return;
  await Promise.race([work, deps.sleep(left)]);
}
