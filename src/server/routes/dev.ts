import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

export interface DevOutboxEntry {
  readonly id: string;
  readonly channel: string;
  readonly to: string;
  readonly subject: string | null;
  readonly text: string;
  readonly sentAt: string;
}

export interface DevOutboxView {
  list(): readonly DevOutboxEntry[];
}

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Demo mode only: every mail and SMS "sent", as JSON and as a page. */
export function devRoutes(outbox: DevOutboxView): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/api/v1/dev/outbox', { schema: { hide: true } }, () => ({
      messages: [...outbox.list()],
    }));
    app.get('/dev/outbox', { schema: { hide: true } }, async (_request, reply) => {
      const rows = outbox
        .list()
        .map(
          (m) =>
            `<article><h2>${escape(m.subject ?? m.channel)}</h2><p><b>To:</b> ${escape(m.to)} · <b>${escape(m.channel)}</b> · ${escape(m.sentAt)}</p><pre>${escape(m.text)}</pre></article>`,
        )
        .join('\n');
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Development outbox</title></head><body><h1>Development outbox</h1><p>Demo mode: messages are kept here instead of being sent. Newest first; reload to refresh.</p>${rows || '<p>No messages yet.</p>'}</body></html>`,
        );
    });
  };
}
