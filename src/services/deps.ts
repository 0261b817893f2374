import type { AgentLink } from '../domain/ports/agent-link.js';
import type { Captcha } from '../domain/ports/captcha.js';
import type { Clock } from '../domain/ports/clock.js';
import type { Mailer } from '../domain/ports/mailer.js';
import type { PasswordHasher } from '../domain/ports/password-hasher.js';
import type { Random } from '../domain/ports/random.js';
import type { SecretBox } from '../domain/ports/secret-box.js';
import type { SmsSender } from '../domain/ports/sms-sender.js';
import type { Store } from '../domain/ports/store.js';

/** Everything the use cases need, wired by a composition root in src/main/. */
export interface ServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly random: Random;
  readonly hasher: PasswordHasher;
  readonly secretBox: SecretBox;
  readonly mailer: Mailer;
  /**
   * Text messages and voice calls (`sms.provider`, or the outbox in demo mode); undefined when no
   * provider is configured: the phone methods are then not offered and registration answers SSPR_3506.
   */
  readonly sms?: SmsSender | undefined;
  readonly captcha: Captcha;
  /** The shipped global banned-password terms; the admin's custom list comes from the policy. */
  readonly globalBannedTerms: readonly string[];
  readonly settings: ServiceSettings;
  /** Waits; injected so tests with a fake clock need not sleep. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: ServiceLogger;
  /** The agents (writeback, sync); undefined when this server runs without an agent gateway. */
  readonly agentLink?: AgentLink | undefined;
}

export interface ServiceSettings {
  readonly captchaEnabled: boolean;
  readonly organizationName: string;
  /** HMAC key for one-time codes and for pseudonyms of unknown user ids. Never logged. */
  readonly codeKey: Uint8Array;
  /**
   * Anonymous flow steps answer no faster than this, so a known and an unknown user id take the
   * same time whatever work (mail delivery, hashing) happened behind the answer.
   */
  readonly timingFloorMs: number;
  readonly publicUrl: string;
  readonly sessionTtlMinutes: number;
}

export interface ServiceLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
}
