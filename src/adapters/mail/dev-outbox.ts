import type { Clock } from '../../domain/ports/clock.js';
import type { Mailer } from '../../domain/ports/mailer.js';
import type { Random } from '../../domain/ports/random.js';
import type { SmsSender } from '../../domain/ports/sms-sender.js';
import { createNodeRandom } from '../crypto/node-random.js';
import { createSystemClock } from '../crypto/system-clock.js';

export type OutboxChannel = 'email' | 'sms' | 'voice';

export interface OutboxEntry {
  readonly id: string;
  readonly channel: OutboxChannel;
  readonly to: string;
  /** The mail subject; null for an SMS or a voice call. */
  readonly subject: string | null;
  readonly text: string;
  /** ISO-8601 UTC. */
  readonly sentAt: string;
}

export interface DevOutbox {
  /** A Mailer that records the mail instead of sending it. */
  readonly mailer: Mailer;
  /** An SMS / voice sender that records the text (or what the call would read) instead. */
  readonly sms: SmsSender;
  /** What was "sent", newest first; at most `capacity` entries. */
  list(): readonly OutboxEntry[];
  clear(): void;
}

export interface DevOutboxOptions {
  /** Oldest entries are dropped beyond this many. */
  readonly capacity: number;
  readonly clock?: Clock;
  readonly random?: Random;
}

/**
 * Demo mode's outbox: every mail, SMS and voice call the server would send is kept in memory (a bounded ring)
 * so the demo can show it on a page and through an API. It holds real codes by design — never wire
 * it outside demo mode.
 */
export function createDevOutbox(options: DevOutboxOptions): DevOutbox {
  if (!Number.isInteger(options.capacity) || options.capacity < 1) {
    throw new RangeError('capacity must be a positive integer');
  }
  const clock = options.clock ?? createSystemClock();
  const random = options.random ?? createNodeRandom();
  const entries: OutboxEntry[] = [];

  const record = (entry: Omit<OutboxEntry, 'id' | 'sentAt'>): void => {
    entries.push(Object.freeze({ id: random.uuid(), ...entry, sentAt: clock.now().toISOString() }));
    if (entries.length > options.capacity) entries.splice(0, entries.length - options.capacity);
  };

  return {
    mailer: {
      send(message) {
        record({ channel: 'email', to: message.to, subject: message.subject, text: message.text });
        return Promise.resolve();
      },
    },
    sms: {
      send(message) {
        record({ channel: message.channel, to: message.to, subject: null, text: message.text });
        return Promise.resolve();
      },
    },
    list: () => [...entries].reverse(),
    clear: () => {
      entries.length = 0;
    },
  };
}
