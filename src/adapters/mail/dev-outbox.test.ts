import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../test/fakes/fixed-clock.js';
import { createSeededRandom } from '../../../test/fakes/seeded-random.js';
import { createDevOutbox } from './dev-outbox.js';

describe('createDevOutbox', () => {
  it('records mails and SMS with id, channel, recipient, subject, text and time, newest first', async () => {
    const clock = createFixedClock('2026-03-01T10:00:00.000Z');
    const outbox = createDevOutbox({ capacity: 10, clock, random: createSeededRandom('outbox') });
    await outbox.mailer.send({
      to: 'john@contoso.test',
      subject: 'Your code',
      text: 'Code 12345678',
      html: '<b>12345678</b>',
    });
    clock.advance(1_000);
    await outbox.sms.send({ to: '+1 4255550100', channel: 'sms', text: 'Code 87654321' });

    const [sms, mail] = outbox.list();
    expect(outbox.list()).toHaveLength(2);
    expect(sms).toMatchObject({
      channel: 'sms',
      to: '+1 4255550100',
      subject: null,
      text: 'Code 87654321',
      sentAt: '2026-03-01T10:00:01.000Z',
    });
    expect(mail).toMatchObject({
      channel: 'email',
      to: 'john@contoso.test',
      subject: 'Your code',
      text: 'Code 12345678',
      sentAt: '2026-03-01T10:00:00.000Z',
    });
    expect(sms?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sms?.id).not.toBe(mail?.id);
  });

  it('records voice calls on their own channel', async () => {
    const outbox = createDevOutbox({ capacity: 5 });
    await outbox.sms.send({
      to: '+48 601234567',
      channel: 'voice',
      text: 'Your code is 12345678',
      code: '12345678',
    });
    expect(outbox.list()).toEqual([
      expect.objectContaining({
        channel: 'voice',
        to: '+48 601234567',
        subject: null,
        text: 'Your code is 12345678',
      }),
    ]);
  });

  it('keeps at most capacity entries, dropping the oldest', async () => {
    const outbox = createDevOutbox({ capacity: 3 });
    for (let i = 1; i <= 5; i++)
      await outbox.sms.send({ to: '+1 4255550100', channel: 'sms', text: `m${String(i)}` });
    expect(outbox.list().map((e) => e.text)).toEqual(['m5', 'm4', 'm3']);
  });

  it('returns snapshots that callers cannot use to change the outbox', async () => {
    const outbox = createDevOutbox({ capacity: 5 });
    await outbox.sms.send({ to: '+1 4255550100', channel: 'sms', text: 'one' });
    const snapshot = outbox.list() as unknown as unknown[];
    snapshot.length = 0;
    expect(outbox.list()).toHaveLength(1);
    expect(Object.isFrozen(outbox.list()[0])).toBe(true);
  });

  it('clears', async () => {
    const outbox = createDevOutbox({ capacity: 5 });
    await outbox.mailer.send({ to: 'a@b.test', subject: 's', text: 't' });
    outbox.clear();
    expect(outbox.list()).toEqual([]);
  });

  it('rejects a capacity below 1', () => {
    expect(() => createDevOutbox({ capacity: 0 })).toThrow(RangeError);
  });
});
