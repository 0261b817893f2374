import { errorRegistry, type ErrorName } from './registry.js';

/** Details safe to show to the caller: field issues, rule results, retry hints. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** An expected failure with a stable code. Anything else becomes an opaque SSPR_9000. */
export class SsprError extends Error {
  override readonly name = 'SsprError';
  readonly errorName: ErrorName;
  readonly code: string;
  readonly status: number;
  readonly details: ErrorDetails | undefined;
  /** Seconds the client should wait (429 answers carry it as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    errorName: ErrorName,
    options: { details?: ErrorDetails; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    const spec = errorRegistry[errorName];
    super(spec.message, { cause: options.cause });
    this.errorName = errorName;
    this.code = spec.code;
    this.status = spec.status;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function fail(
  errorName: ErrorName,
  options?: { details?: ErrorDetails; cause?: unknown; retryAfterSeconds?: number },
): never {
  throw new SsprError(errorName, options);
}

export function assertThat(
  condition: unknown,
  errorName: ErrorName,
  options?: { details?: ErrorDetails },
): asserts condition {
  if (!condition) fail(errorName, options);
}

export function isSsprError(error: unknown, name?: ErrorName): error is SsprError {
  return error instanceof SsprError && (name === undefined || error.errorName === name);
}
