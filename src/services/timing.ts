import type { ServiceDeps } from './deps.js';

/**
 * Runs an anonymous step and answers no sooner than the timing floor, success or failure, so the
 * time taken does not tell a known user id from an unknown one (Authelia's TimingAttackDelay).
 */
export async function withTimingFloor<T>(
  deps: Pick<ServiceDeps, 'settings' | 'sleep'>,
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const pad = async () => {
    const left = deps.settings.timingFloorMs - (performance.now() - started);
    if (left > 0) await deps.sleep(left);
  };
  try {
    const result = await fn();
    await pad();
    return result;
  } catch (error) {
    await pad();
    throw error;
  }
}
