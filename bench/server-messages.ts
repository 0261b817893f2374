/** The IPC messages between the benchmark (parent) and bench/server-process.ts (child). */

export interface SeedUser {
  readonly upn: string;
  /** Base32 TOTP secret; the parent computes the codes from it. */
  readonly secret: string;
}

export interface StartMessage {
  readonly type: 'start';
  readonly storeUrl: string;
  readonly dataDir: string;
  /** base64, shared by every server on one store so the sealed TOTP secrets stay readable. */
  readonly secretsKey: string;
  /** null: the production default of createServerRuntime. */
  readonly timingFloorMs: number | null;
  /** Users to create before listening (the first server on a store seeds, the next reuses). */
  readonly seed: readonly SeedUser[];
}

/** `mark` starts the CPU count reported by `stopped` (the measured phase only). */
export type ParentMessage = StartMessage | { readonly type: 'mark' } | { readonly type: 'stop' };

export type ChildMessage =
  | {
      readonly type: 'ready';
      readonly url: string;
      /** The floor the running server uses (read back from its services). */
      readonly timingFloorMs: number;
      readonly users: number;
    }
  | { readonly type: 'marked' }
  | { readonly type: 'failed'; readonly message: string }
  | {
      readonly type: 'stopped';
      readonly mailsSent: number;
      /** CPU time of the whole server process (all threads, Argon2 included) since `mark`. */
      readonly cpuMs: number;
    };
